"""Factories for a policy's after-sales records: delivery and annual reviews."""

import datetime

import factory
from factory.django import DjangoModelFactory

from servicing.models import AnnualReview, Delivery, DeliveryItem, DeliveryTick

from .factories import ClientFactory
from .policy_factories import PolicyFactory


class DeliveryFactory(DjangoModelFactory):
    class Meta:
        model = Delivery

    policy = factory.SubFactory(PolicyFactory)


class DeliveryTickFactory(DjangoModelFactory):
    class Meta:
        model = DeliveryTick

    delivery = factory.SubFactory(DeliveryFactory)
    item = DeliveryItem.THANK_YOU_SENT
    by = factory.SelfAttribute("delivery.policy.owner")


class AnnualReviewFactory(DjangoModelFactory):
    """A review of the first anniversary of the default policy (effective 15 March 2024).
    Pass `policies=[...]`: they must be held by the household."""

    class Meta:
        model = AnnualReview
        skip_postgeneration_save = True

    household = factory.SubFactory(ClientFactory)
    anniversary = datetime.date(2025, 3, 15)
    held_on = datetime.date(2025, 3, 20)
    findings = "保障齐全"
    needs = "孩子教育金"

    @factory.post_generation
    def policies(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.policies.set(extracted)
