import datetime

import factory
from factory.django import DjangoModelFactory

from touches.models import FestivalPreference, GreetingTemplate, Touch, TouchPreference

from .factories import ClientFactory


class TouchFactory(DjangoModelFactory):
    """An open touch owned by its client's agent, due on `due_date`, the occasion 3 days on."""

    class Meta:
        model = Touch

    client = factory.SubFactory(ClientFactory)
    owner = factory.SelfAttribute("client.owner")
    kind = "birthday"
    due_date = datetime.date(2026, 11, 24)
    occasion_date = factory.LazyAttribute(lambda t: t.due_date + datetime.timedelta(days=3))
    priority = Touch.Priority.HIGH
    source = factory.Sequence(lambda n: f"client:{n}")
    label = ""
    status = Touch.Status.OPEN


class TouchPreferenceFactory(DjangoModelFactory):
    class Meta:
        model = TouchPreference

    kind = "birthday"
    enabled = True
    lead_days = 5


class FestivalPreferenceFactory(DjangoModelFactory):
    class Meta:
        model = FestivalPreference

    festival = "mid_autumn"
    enabled = True
    audience = "all_active"
    lead_days = 7


class GreetingTemplateFactory(DjangoModelFactory):
    class Meta:
        model = GreetingTemplate
        django_get_or_create = ("owner", "kind", "festival")

    kind = "birthday"
    festival = ""
    text = "{name}，生日快乐！"
