"""The morning email's setting per user: on or off, the address (the account's unless
changed), the send time; beat asks every quarter of an hour and each user gets one mail a day,
at the first beat after their time."""

import datetime
from datetime import date, time

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.urls import reverse

from touches import digest, tasks
from touches.models import DigestPreference

from .touch_factories import TouchFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 24)
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def local(hour: int, minute: int = 0, day: date = TODAY) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def due(owner, client_obj):
    """The owner has a touch due today and an account address."""
    owner.email = "owner@example.com"
    owner.save()
    return TouchFactory(client=client_obj, due_date=TODAY)


def beat_at(moment: datetime.datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return tasks.send_digests.delay().get()


def test_beat_asks_every_quarter_of_an_hour():
    schedule = settings.CELERY_BEAT_SCHEDULE["touch-digests"]["schedule"]
    assert schedule == crontab(minute="*/15")


def test_by_default_at_seven_to_the_account_address(owner, due):
    assert beat_at(local(6, 45)) == 0
    assert mail.outbox == []
    assert beat_at(local(7, 0)) == 1
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]


def test_at_the_users_own_time(owner, due):
    DigestPreference.objects.create(owner=owner, send_at=time(8, 30))
    assert digest.digest_recipients(day=TODAY, at=time(7, 0)) == []
    assert digest.digest_recipients(day=TODAY, at=time(8, 29)) == []
    assert digest.digest_recipients(day=TODAY, at=time(8, 30)) == [owner.pk]
    # A beat that was late (or a time between two beats) still sends it.
    assert beat_at(local(8, 45)) == 1
    assert len(mail.outbox) == 1


def test_once_a_day_however_many_beats(owner, due):
    assert beat_at(local(7, 0)) == 1
    # Already sent today: later beats leave the user out.
    assert beat_at(local(7, 15)) == 0
    assert beat_at(local(12, 0)) == 0
    assert len(mail.outbox) == 1
    TouchFactory(client=due.client, due_date=TODAY + datetime.timedelta(days=1), source="next")
    assert beat_at(local(7, 0, day=TODAY + datetime.timedelta(days=1))) == 1
    assert len(mail.outbox) == 2


def test_switched_off_nothing_is_sent(owner, due):
    DigestPreference.objects.create(owner=owner, enabled=False)
    assert beat_at(local(9, 0)) == 0
    assert not digest.digest_send(owner_id=owner.pk, day=TODAY)
    assert mail.outbox == []


def test_to_the_address_the_user_chose(owner, due):
    DigestPreference.objects.create(owner=owner, email="wang.home@example.com")
    assert beat_at(local(7, 0)) == 1
    assert [m.to for m in mail.outbox] == [["wang.home@example.com"]]


def test_an_address_of_its_own_is_enough(owner, due):
    owner.email = ""
    owner.save()
    assert beat_at(local(7, 0)) == 0
    DigestPreference.objects.create(owner=owner, email="wang.home@example.com")
    assert beat_at(local(7, 15)) == 1
    assert [m.to for m in mail.outbox] == [["wang.home@example.com"]]


def test_a_catch_up_for_a_given_day_ignores_the_hour(owner, due):
    DigestPreference.objects.create(owner=owner, send_at=time(23, 45))
    with time_machine.travel(local(6, 0), tick=False):
        assert tasks.send_digests.delay(TODAY.isoformat()).get() == 1


# --- The setting on the settings page -------------------------------------------------------


def test_the_settings_page_shows_the_card_and_the_calendar_link(as_user, owner):
    owner.email = "owner@example.com"
    owner.save()
    body = as_user(owner).get(reverse("touches:settings")).content.decode()
    assert 'id="digest-card"' in body
    assert "每天早上给我发提醒邮件" in body and "发送时间" in body
    assert 'value="owner@example.com"' in body and 'value="07:00"' in body
    assert reverse("calendar_feed:settings") in body
    # And the calendar page leads back.
    calendar = as_user(owner).get(reverse("calendar_feed:settings")).content.decode()
    assert reverse("touches:settings") in calendar


def test_saving_the_setting(as_user, owner):
    owner.email = "owner@example.com"
    owner.save()
    http = as_user(owner)
    response = http.post(
        reverse("touches:digest_settings"),
        {"enabled": "on", "email": "wang.home@example.com", "send_at": "06:30"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("touches:settings")
    preference = DigestPreference.objects.get(owner=owner)
    assert (preference.enabled, preference.email, preference.send_at) == (
        True,
        "wang.home@example.com",
        time(6, 30),
    )
    # Switched off; the account's own address is kept as "the account's" (blank).
    http.post(
        reverse("touches:digest_settings"), {"email": "OWNER@example.com", "send_at": "07:00"}
    )
    preference.refresh_from_db()
    assert (preference.enabled, preference.email) == (False, "")


def test_htmx_swaps_the_card(as_user, owner):
    owner.email = "owner@example.com"
    owner.save()
    response = as_user(owner).post(
        reverse("touches:digest_settings"),
        {"enabled": "on", "email": "", "send_at": "07:15"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card') and "<html" not in body
    assert "邮件设置已保存" in body and 'value="07:15"' in body


@pytest.mark.parametrize(
    "data, message",
    [
        ({"enabled": "on", "email": "不是邮箱", "send_at": "07:00"}, "有效"),
        ({"enabled": "on", "email": "", "send_at": ""}, "请选择发送时间"),
        ({"enabled": "on", "email": "", "send_at": "七点"}, "请按 7:00 这样的格式填写时间"),
    ],
)
def test_bad_input_saves_nothing(as_user, owner, data, message):
    for htmx in (False, True):
        extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = as_user(owner).post(reverse("touches:digest_settings"), data, **extra)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not DigestPreference.objects.filter(owner=owner).exists()


def test_no_address_at_all_is_refused_while_on(as_user, owner):
    owner.email = ""
    owner.save()
    http = as_user(owner)
    response = http.post(
        reverse("touches:digest_settings"), {"enabled": "on", "email": "", "send_at": "07:00"}
    )
    assert response.status_code == 400
    assert "你的账户没有邮箱" in response.content.decode()
    assert not DigestPreference.objects.filter(owner=owner).exists()
    # Off, no address is needed.
    response = http.post(reverse("touches:digest_settings"), {"email": "", "send_at": "07:00"})
    assert response.status_code == 302
    assert DigestPreference.objects.get(owner=owner).enabled is False


def test_each_user_sees_and_changes_only_their_own(as_user, owner, teammate):
    DigestPreference.objects.create(owner=teammate, email="mate.home@example.com")
    http = as_user(owner)
    assert "mate.home@example.com" not in http.get(reverse("touches:settings")).content.decode()
    http.post(reverse("touches:digest_settings"), {"email": "x@example.com", "send_at": "09:00"})
    assert DigestPreference.objects.get(owner=teammate).email == "mate.home@example.com"
    assert DigestPreference.objects.get(owner=owner).email == "x@example.com"


def test_a_manager_reaches_it_from_the_menu(as_user, manager):
    body = as_user(manager).get("/").content.decode()
    assert reverse("touches:digest_settings") in body
    assert as_user(manager).get(reverse("touches:digest_settings")).status_code == 200


def test_a_touch_the_digest_would_not_show_queues_nothing(owner, due, teammate):
    # The client went to a teammate: the owner's old touch shows nowhere, so no mail is
    # queued for it every quarter of an hour.
    due.client.owner = teammate
    due.client.save()
    assert digest.digest_recipients(day=TODAY, at=time(9, 0)) == []
