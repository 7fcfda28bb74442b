"""The deck's irregular-service moments on the touch list: the life events it names give a
touch with its guidance (hospital 做个临时亲戚, bereavement, complaint, discouraged,
promotion); and asking the same referrer again within 30 days is warned, not refused."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from clients.models import LifeEvent
from referrals.models import ReferralRequest
from touches.build import AgentRange, build_day
from touches.greetings import LIFE_EVENT_GUIDANCE, guidance
from touches.models import Touch

from .factories import ClientFactory, LifeEventFactory
from .touch_factories import TouchFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (LifeEvent.Kind.HOSPITALISED, "hospital_visit"),
        (LifeEvent.Kind.BEREAVEMENT, "life_event"),
        (LifeEvent.Kind.COMPLAINT, "life_event"),
        (LifeEvent.Kind.DISCOURAGED, "life_event"),
        (LifeEvent.Kind.PROMOTION, "life_event"),
    ],
)
def test_each_life_event_of_the_deck_gives_a_touch_with_its_guidance(owner, event, kind):
    client = ClientFactory(owner=owner)
    LifeEventFactory(client=client, kind=event, date=TODAY)
    build_day(due=TODAY, agents=AgentRange(owner.pk, owner.pk), kinds=[kind])
    touch = Touch.objects.get(client=client, kind=kind)
    assert touch.label == event
    assert guidance(touch) == str(LIFE_EVENT_GUIDANCE[event])
    assert guidance(touch)


def test_other_touches_carry_no_guidance(owner):
    assert guidance(TouchFactory(client=ClientFactory(owner=owner), kind="birthday")) == ""


def test_the_dashboard_shows_the_guidance_in_chinese(as_user, owner):
    TouchFactory(
        client=ClientFactory(owner=owner, name="投诉客户"),
        kind="life_event",
        label=LifeEvent.Kind.COMPLAINT,
        occasion_date=TODAY,
        due_date=TODAY,
    )
    with time_machine.travel(datetime.datetime(2026, 11, 24, 9, 0), tick=False):
        body = as_user(owner).get("/").content.decode()
    assert "touch-guidance" in body
    assert "客户不满指责时" in body


def _asked(client, day):
    return ReferralRequest.objects.create(
        owner=client.owner, client=client, asked_on=day, refusal_reason="no_one"
    )


@pytest.mark.parametrize(("days_later", "warned"), [(0, True), (29, True), (30, False)])
def test_asking_again_within_30_days_is_warned(as_user, owner, days_later, warned):
    client = ClientFactory(owner=owner, name="老陈")
    _asked(client, datetime.date(2026, 10, 1))
    now = datetime.datetime(2026, 10, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(now + datetime.timedelta(days=days_later), tick=False):
        http = as_user(owner)
        check = http.get(reverse("referrals:ask_check"), {"client": client.pk})
        page = http.get(reverse("referrals:ask"), {"client": client.pk})
    assert check.status_code == 200
    assert ("alert-warning" in check.content.decode()) is warned
    assert 'id="reask-warning"' in page.content.decode()
    assert ("10月1日" in page.content.decode().split('id="reask-warning"')[1][:400]) is warned


def test_the_warned_ask_is_still_saved(as_user, owner):
    client = ClientFactory(owner=owner, name="老陈")
    _asked(client, datetime.date(2026, 11, 10))
    data = {
        "client": client.pk,
        "asked_on": "2026-11-24",
        "context": "other",
        "back": "client",
        "refusal_reason": "no_one",
        "people-TOTAL_FORMS": "0",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "5",
    }
    now = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(now, tick=False):
        response = as_user(owner).post(reverse("referrals:ask"), data, follow=True)
    assert ReferralRequest.objects.filter(client=client).count() == 2
    shown = [str(m) for m in response.context["messages"]]
    assert any("11月10日" in m for m in shown), shown


def test_another_agents_client_is_404_on_the_check(as_user, owner, teammate):
    theirs = ClientFactory(owner=teammate)
    assert (
        as_user(owner).get(reverse("referrals:ask_check"), {"client": theirs.pk}).status_code == 404
    )
