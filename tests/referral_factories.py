import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from referrals.models import Context, Referral, ReferralRequest, ReferralStageChange, Stage

from .factories import ClientFactory


class ReferralRequestFactory(DjangoModelFactory):
    class Meta:
        model = ReferralRequest

    client = factory.SubFactory(ClientFactory)
    owner = factory.SelfAttribute("client.owner")
    asked_on = factory.LazyFunction(timezone.localdate)
    context = Context.DELIVERY
    names_given = 1


class ReferralFactory(DjangoModelFactory):
    """A referral edge written directly (depth as given): for tests of reads. Tests of the
    rules go through referrals.services."""

    class Meta:
        model = Referral

    referrer = factory.SubFactory(ClientFactory)
    owner = factory.SelfAttribute("referrer.owner")
    referred = factory.SubFactory(
        ClientFactory, owner=factory.SelfAttribute("..owner"), source="referral", stage="prospect"
    )
    relationship = "friend"
    given_on = factory.LazyFunction(timezone.localdate)
    context = Context.OTHER
    depth = 1
    stage = Stage.NEW
    stage_changed_at = factory.LazyFunction(timezone.now)


class ReferralStageChangeFactory(DjangoModelFactory):
    class Meta:
        model = ReferralStageChange

    referral = factory.SubFactory(ReferralFactory)
    owner = factory.SelfAttribute("referral.owner")
    from_stage = Stage.NEW
    to_stage = Stage.CONTACTED
    changed_at = factory.LazyFunction(timezone.now)
