import datetime

import factory
from factory.django import DjangoModelFactory

from servicing.models import ServiceRequest, ServiceRequestDocument, ServiceRequestStatusChange

from .policy_factories import PolicyFactory


class ServiceRequestFactory(DjangoModelFactory):
    """An open hospital claim on a policy, owned by the policy's agent. Written directly: use
    the services when the test is about their rules (timeline, checklist)."""

    class Meta:
        model = ServiceRequest

    policy = factory.SubFactory(PolicyFactory)
    owner = factory.SelfAttribute("policy.owner")
    kind = ServiceRequest.Kind.CLAIM
    category = ServiceRequest.Category.HOSPITAL
    opened_on = datetime.date(2026, 3, 2)
    description = "住院理赔"


class ServiceRequestDocumentFactory(DjangoModelFactory):
    class Meta:
        model = ServiceRequestDocument

    request = factory.SubFactory(ServiceRequestFactory)
    name = factory.Sequence(lambda n: f"材料{n}")


class ServiceRequestStatusChangeFactory(DjangoModelFactory):
    class Meta:
        model = ServiceRequestStatusChange

    request = factory.SubFactory(ServiceRequestFactory)
    from_status = ""
    to_status = ServiceRequest.Status.SUBMITTED
