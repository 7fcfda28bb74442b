"""Contact cadence per client tier for "not contacted for a long time": a Diamond client is
owed a call after 30 days of silence, Gold 60, Silver 90, Standard the agent's days (180);
each agent may set their own days per tier on the settings page (Chinese messages for bad
input, nothing saved); the build stays one statement per lead, whatever the number of clients."""

import datetime
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Client
from touches import services
from touches.build import AgentRange, build_day
from touches.models import ContactCadence, Touch
from touches.occasions import TIER_CADENCE_DAYS

from .factories import ClientFactory, InteractionFactory
from .test_touch_actions import settings_data
from .touch_factories import TouchPreferenceFactory

pytestmark = pytest.mark.django_db
LAST_CALL = date(2026, 1, 1)


def quiet(owner, name: str, tier: str) -> Client:
    client = ClientFactory(owner=owner, name=name, vip_tier=tier, stage="client", birth_date=None)
    InteractionFactory(client=client, date=LAST_CALL)
    return client


def neglected_on(owner, day: date) -> list[str]:
    build_day(due=day, agents=AgentRange(owner.pk, owner.pk), kinds=["neglect"])
    return sorted(
        Touch.objects.filter(kind="neglect", due_date=day).values_list("client__name", flat=True)
    )


def after(days: int) -> date:
    return LAST_CALL + timedelta(days=days)


@pytest.fixture
def book(owner):
    return {
        tier: quiet(owner, name, tier)
        for tier, name in (
            (Client.Tier.DIAMOND, "钻石"),
            (Client.Tier.GOLD, "金卡"),
            (Client.Tier.SILVER, "银卡"),
            (Client.Tier.STANDARD, "普通"),
        )
    }


def test_each_tier_has_its_own_default_cadence(owner, book):
    assert TIER_CADENCE_DAYS == {"diamond": 30, "gold": 60, "silver": 90, "standard": 180}
    assert neglected_on(owner, after(29)) == []
    assert neglected_on(owner, after(30)) == ["钻石"]
    assert neglected_on(owner, after(59)) == []
    assert neglected_on(owner, after(60)) == ["金卡"]
    assert neglected_on(owner, after(90)) == ["银卡"]
    assert neglected_on(owner, after(179)) == []
    assert neglected_on(owner, after(180)) == ["普通"]
    # One touch per silence: the Diamond client is not owed a second one.
    assert Touch.objects.filter(kind="neglect", client=book["diamond"]).count() == 1


def test_an_agents_own_days_per_tier(owner, teammate, book):
    ContactCadence.objects.create(owner=owner, tier="diamond", days=14)
    ContactCadence.objects.create(owner=owner, tier="silver", days=120)
    assert neglected_on(owner, after(14)) == ["钻石"]
    assert neglected_on(owner, after(90)) == ["金卡"]  # silver now waits 120 days
    assert neglected_on(owner, after(120)) == ["银卡"]
    # Another agent's setting changes nothing here, and theirs is their own.
    other = quiet(teammate, "同事的钻石", "diamond")
    ContactCadence.objects.create(owner=teammate, tier="diamond", days=45)
    build_day(due=after(30), agents=AgentRange(teammate.pk, teammate.pk), kinds=["neglect"])
    assert not Touch.objects.filter(client=other).exists()
    build_day(due=after(45), agents=AgentRange(teammate.pk, teammate.pk), kinds=["neglect"])
    assert Touch.objects.filter(client=other).count() == 1


def test_standard_follows_the_agents_days_and_caps_the_defaults(owner, book):
    # The agent's "days without contact" (the neglect kind's lead) is Standard's cadence;
    # a tier's default is never longer than it.
    TouchPreferenceFactory(owner=owner, kind="neglect", lead_days=75)
    assert neglected_on(owner, after(30)) == ["钻石"]
    assert neglected_on(owner, after(60)) == ["金卡"]
    assert neglected_on(owner, after(75)) == ["普通", "银卡"]


def test_the_build_is_two_statements_whatever_the_number_of_clients(owner):
    for n in range(30):
        quiet(owner, f"客户{n}", ["diamond", "gold", "silver", "standard"][n % 4])
    ContactCadence.objects.create(owner=owner, tier="gold", days=40)
    with CaptureQueriesContext(connection) as queries:
        build_day(due=after(200), agents=AgentRange(owner.pk, owner.pk), kinds=["neglect"])
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    # One per index range: the clients contacted before, and those never contacted.
    assert len(inserts) == 2
    assert Touch.objects.filter(kind="neglect").count() == 30


def test_the_service_stores_only_what_differs_and_refuses_bad_days(owner):
    services.contact_cadences_save(owner=owner, days={"diamond": 30, "gold": 45, "silver": 90})
    assert dict(ContactCadence.objects.values_list("tier", "days")) == {"gold": 45}
    with pytest.raises(Exception) as refused:
        services.contact_cadences_save(owner=owner, days={"diamond": 3, "gold": 50})
    assert "7" in str(refused.value) and "730" in str(refused.value)
    assert dict(ContactCadence.objects.values_list("tier", "days")) == {"gold": 45}


@pytest.fixture
def http(as_user, owner):
    return as_user(owner)


NOON = datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.timezone(timedelta(hours=8)))


def test_the_settings_page_edits_the_cadence_per_tier(http, owner):
    with time_machine.travel(NOON, tick=False):
        page = http.get(reverse("touches:settings")).content.decode()
        assert "按客户等级的联系频率" in page
        assert 'name="cadence-diamond"' in page and 'value="30"' in page
        data = settings_data(
            **{"cadence-diamond": "21", "cadence-gold": "60", "cadence-silver": "100"}
        )
        response = http.post(reverse("touches:settings"), data)
        assert response.status_code == 302
        assert dict(ContactCadence.objects.values_list("tier", "days")) == {
            "diamond": 21,
            "silver": 100,
        }
        page = http.get(reverse("touches:settings")).content.decode()
        assert 'value="21"' in page


def test_bad_days_on_the_settings_page_save_nothing(http, owner):
    with time_machine.travel(NOON, tick=False):
        data = settings_data(
            **{"cadence-diamond": "3", "cadence-gold": "", "cadence-silver": "100"}
        )
        data["kinds-0-lead_days"] = "9"  # a valid change elsewhere is not saved either
        response = http.post(reverse("touches:settings"), data)
        assert response.status_code == 400
        page = response.content.decode()
        assert "请填写 7 至 730 天。" in page and "请填写天数。" in page
        assert "未保存" in page
        assert not ContactCadence.objects.exists()
        assert 'value="100"' in page  # what was typed is kept
