"""Dates that stay true (issue 12 §4): correcting a date retires the open touches built from
the old one (dashboard and calendar feed read the same rows) and builds the new ones, a
touch already done stays; solar, lunar or both birthdays; a birthday without the year; the
rule of a moved lunar birthday on the row; one birthday touch for a family member who is a
client too."""

import datetime
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from agentcrm.core.calendar import lunar_month_days, lunar_occurrence, solar_to_lunar
from clients.models import CustomDate
from clients.services import client_update
from touches import build
from touches.greetings import touch_label
from touches.models import Touch

from .factories import ClientFactory, FamilyMemberFactory
from .policy_factories import PolicyFactory, RiderFactory
from .touch_factories import TouchFactory

TODAY = date(2026, 11, 24)
NOON = datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.timezone(timedelta(hours=8)))

pytestmark = pytest.mark.django_db


def _committed() -> None:
    """The set-up's transaction commits: its queued rebuilds run and are gone, so the
    correction below queues its own rebuild (in a test everything is one transaction, and
    a client's rebuild already queued would only be widened)."""
    pending = list(connection.run_on_commit)
    connection.run_on_commit.clear()
    for _sids, callback, _robust in pending:
        callback()


def _open(kind: str, **filters):
    return list(
        Touch.objects.filter(kind=kind, status=Touch.Status.OPEN, **filters).values_list(
            "occasion_date", flat=True
        )
    )


@time_machine.travel(NOON, tick=False)
def test_correcting_a_birth_date_retires_the_old_touch_and_builds_the_new(
    owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client = ClientFactory(owner=owner, name="王芳", birth_date=date(1985, 11, 27))
    last_year = TouchFactory(
        client=client,
        kind="birthday",
        source="client",
        due_date=date(2025, 11, 24),
        status=Touch.Status.DONE,
    )
    _committed()
    build.touch_build_now(today=TODAY)
    assert _open("birthday", client=client) == [date(2026, 11, 27)]

    with django_capture_on_commit_callbacks(execute=True):
        client_update(client=client, birth_date=date(1985, 11, 29))

    assert _open("birthday", client=client) == [date(2026, 11, 29)]
    last_year.refresh_from_db()
    assert last_year.status == Touch.Status.DONE  # history stays


@time_machine.travel(NOON, tick=False)
def test_a_done_touch_of_the_old_date_stays_done(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client = ClientFactory(owner=owner, birth_date=date(1985, 11, 27))
    _committed()
    build.touch_build_now(today=TODAY)
    Touch.objects.filter(client=client, kind="birthday").update(status=Touch.Status.DONE)
    with django_capture_on_commit_callbacks(execute=True):
        client_update(client=client, birth_date=date(1985, 11, 28))
    assert set(Touch.objects.filter(client=client).values_list("occasion_date", "status")) == {
        (date(2026, 11, 27), Touch.Status.DONE),
        (date(2026, 11, 28), Touch.Status.OPEN),
    }


@time_machine.travel(NOON, tick=False)
def test_an_unchanged_save_keeps_an_overdue_touch(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client = ClientFactory(owner=owner, birth_date=date(1985, 11, 20))
    _committed()
    build.touch_build_now(today=TODAY)
    overdue = Touch.objects.get(client=client, kind="birthday")
    with django_capture_on_commit_callbacks(execute=True):
        client_update(client=client, occupation="教师")
    assert Touch.objects.filter(pk=overdue.pk, status=Touch.Status.OPEN).exists()


@time_machine.travel(NOON, tick=False)
def test_correcting_a_wedding_date_and_a_custom_date(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client = ClientFactory(owner=owner, birth_date=None, wedding_date=date(2010, 11, 26))
        day = CustomDate.objects.create(client=client, name="开业纪念日", month=11, day=27)
    _committed()
    build.touch_build_now(today=TODAY)
    assert _open("wedding_anniversary") == [date(2026, 11, 26)]
    assert _open("custom_date") == [date(2026, 11, 27)]
    with django_capture_on_commit_callbacks(execute=True):
        client_update(
            client=client,
            wedding_date=date(2010, 11, 28),
            dates=[{"id": day.pk, "month": 11, "day": 29}],
        )
    assert _open("wedding_anniversary") == [date(2026, 11, 28)]
    assert _open("custom_date") == [date(2026, 11, 29)]


@time_machine.travel(NOON, tick=False)
def test_correcting_a_policy_effective_date_and_a_rider_expiry(
    owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        holder = ClientFactory(owner=owner, birth_date=None)
        policy = PolicyFactory(holder=holder, effective_date=date(2020, 11, 27))
        rider = RiderFactory(policy=policy, expiry_date=date(2026, 12, 25))
    _committed()
    build.touch_build_now(today=TODAY)
    assert date(2026, 11, 27) in _open("policy_anniversary")
    assert _open("rider_expiry") == [date(2026, 12, 25)]
    with django_capture_on_commit_callbacks(execute=True):
        policy.effective_date = date(2020, 12, 15)
        policy.save()
        rider.expiry_date = date(2026, 12, 27)
        rider.save()
    assert _open("policy_anniversary") == []
    assert _open("rider_expiry") == [date(2026, 12, 27)]


@time_machine.travel(NOON, tick=False)
def test_both_birthdays_celebrated_make_two_touches(owner):
    # Solar 11-30; the lunar birthday is the lunar date of 11-26 this year.
    lunar_day = date(2026, 11, 26)
    _y, month, day, leap = solar_to_lunar(lunar_day)
    client = ClientFactory(
        owner=owner,
        birth_date=date(1985, 11, 30),
        birthday_calendar="both",
        lunar_birth_month=month,
        lunar_birth_day=day,
        lunar_birth_leap=leap,
    )
    _committed()
    build.touch_build_now(today=TODAY)
    touches = {t.occasion_date: t for t in Touch.objects.filter(client=client, kind="birthday")}
    assert set(touches) == {date(2026, 11, 26), date(2026, 11, 30)}
    assert touch_label(touches[lunar_day]) == "农历生日"
    assert touch_label(touches[date(2026, 11, 30)]) == ""


@time_machine.travel(NOON, tick=False)
def test_a_birthday_without_the_year_makes_touches_and_shows_age_unknown(as_user, owner):
    client = ClientFactory(owner=owner, birth_date=None, birth_month=11, birth_day=27)
    _committed()
    build.touch_build_now(today=TODAY)
    assert _open("birthday", client=client) == [date(2026, 11, 27)]
    page = as_user(owner).get(reverse("clients:detail", kwargs={"pk": client.pk}))
    assert "年龄不详" in page.content.decode()
    dashboard = as_user(owner).get(reverse("dashboard"))
    assert "年龄不详" in dashboard.content.decode()


def _a_short_month(year: int) -> int:
    return next(m for m in range(1, 13) if lunar_month_days(year, m, False) == 29)


def test_a_lunar_birthday_on_day_30_of_a_short_month_says_which_rule_applied(owner):
    lunar_year = 2026
    month = _a_short_month(lunar_year)
    kept_on = lunar_occurrence(lunar_year=lunar_year, month=month, day=30, leap=False)
    client = ClientFactory(
        owner=owner,
        birth_date=None,
        birthday_calendar="lunar",
        lunar_birth_month=month,
        lunar_birth_day=30,
    )
    today = kept_on - timedelta(days=3)
    with time_machine.travel(
        datetime.datetime.combine(today, datetime.time(12), tzinfo=NOON.tzinfo), tick=False
    ):
        build.touch_build_now(today=today)
    touch = Touch.objects.get(client=client, kind="birthday")
    assert touch.occasion_date == kept_on
    assert touch.label == "lunar:day30"
    assert "廿九" in touch_label(touch)


@time_machine.travel(NOON, tick=False)
def test_a_family_member_who_is_a_client_gets_one_birthday_touch(owner):
    mother = ClientFactory(owner=owner, name="张秀英", birth_date=date(1960, 11, 27))
    daughter = ClientFactory(owner=owner, name="王芳", birth_date=None)
    FamilyMemberFactory(
        client=daughter,
        relation="parent",
        name="张秀英",
        birth_date=date(1960, 11, 27),
        as_client=mother,
    )
    unlinked = FamilyMemberFactory(client=daughter, name="王小明", birth_date=date(2015, 11, 27))
    _committed()
    build.touch_build_now(today=TODAY)
    assert list(Touch.objects.filter(kind="birthday").values_list("client", flat=True)) == [
        mother.pk
    ]
    assert list(Touch.objects.filter(kind="family_birthday").values_list("label", flat=True)) == [
        unlinked.name
    ]
