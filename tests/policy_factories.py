import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from policies.models import Beneficiary, Insurer, Payout, Policy, PremiumPayment, Rider
from policies.services import policy_premium_refresh

from .factories import ClientFactory


class InsurerFactory(DjangoModelFactory):
    class Meta:
        model = Insurer
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"保险公司{n}")


class PolicyFactory(DjangoModelFactory):
    """A policy on the holder's own life, owned by the holder's agent."""

    class Meta:
        model = Policy
        skip_postgeneration_save = True

    holder = factory.SubFactory(ClientFactory)
    owner = factory.SelfAttribute("holder.owner")
    insured_client = factory.SelfAttribute("holder")
    insurer = factory.SubFactory(InsurerFactory)
    number = factory.Sequence(lambda n: f"P{n:010d}")
    product_name = "福寿终身寿险"
    policy_type = Policy.Type.LIFE
    sum_assured = Decimal("500000.00")
    premium = Decimal("12000.00")
    payment_frequency = Policy.Frequency.ANNUAL
    payment_term_years = 20
    effective_date = datetime.date(2024, 3, 15)
    status = Policy.Status.IN_FORCE

    @factory.post_generation
    def premium_dates(obj, create, extracted, **kwargs):
        # The services keep the stored premium dates in step; so does the factory.
        if create:
            policy_premium_refresh(policy=obj)


class BeneficiaryFactory(DjangoModelFactory):
    class Meta:
        model = Beneficiary

    policy = factory.SubFactory(PolicyFactory)
    name = factory.Sequence(lambda n: f"受益人{n}")
    relation = Beneficiary.Relation.CHILD
    share = Decimal("100")


class RiderFactory(DjangoModelFactory):
    class Meta:
        model = Rider

    policy = factory.SubFactory(PolicyFactory)
    name = "附加住院医疗"
    sum_assured = Decimal("20000.00")
    premium = Decimal("600.00")
    start_date = datetime.date(2024, 3, 15)
    expiry_date = datetime.date(2025, 3, 14)
    yearly_renewable = True


class PayoutFactory(DjangoModelFactory):
    class Meta:
        model = Payout

    policy = factory.SubFactory(PolicyFactory)
    date = datetime.date(2029, 3, 15)
    amount = Decimal("5000.00")
    kind = Payout.Kind.SURVIVAL


class PremiumPaymentFactory(DjangoModelFactory):
    class Meta:
        model = PremiumPayment
        skip_postgeneration_save = True

    policy = factory.SubFactory(PolicyFactory)
    due_date = datetime.date(2024, 3, 15)
    paid_on = datetime.date(2024, 3, 15)
    amount = Decimal("12000.00")

    @factory.post_generation
    def premium_dates(obj, create, extracted, **kwargs):
        if create:
            policy_premium_refresh(policy=obj.policy)
