from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from events.models import Event, Invitee, InviteeStatus
from gifts.models import Gift

from .factories import ClientFactory, UserFactory


class EventFactory(DjangoModelFactory):
    class Meta:
        model = Event

    owner = factory.SubFactory(UserFactory)
    title = "新年答谢晚宴"
    date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    venue = "和平饭店"
    budget = Decimal("6000")


class InviteeFactory(DjangoModelFactory):
    """An invitation written directly: for tests of reads. Tests of the rules go through
    events.services."""

    class Meta:
        model = Invitee

    event = factory.SubFactory(EventFactory)
    client = factory.SubFactory(ClientFactory, owner=factory.SelfAttribute("..event.owner"))
    status = InviteeStatus.INVITED
    invited_on = factory.LazyFunction(timezone.localdate)
    status_changed_at = factory.LazyFunction(timezone.now)


class GiftFactory(DjangoModelFactory):
    class Meta:
        model = Gift

    client = factory.SubFactory(ClientFactory)
    owner = factory.SelfAttribute("client.owner")
    what = "月饼"
    occasion = "mid_autumn"
    cost = Decimal("150")
    given_on = factory.LazyFunction(timezone.localdate)
    gift_cap = Decimal("200")
    year_cap = Decimal("500")
    year_total = Decimal("150")
