"""Reminders out of the app: the iCalendar feed behind a secret URL and the morning digest."""

import datetime
from datetime import date

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from touches import calendar_feed, digest, tasks
from touches.models import CalendarFeed, Touch

from .factories import ClientFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 24)
MORNING = datetime.datetime(2026, 11, 24, 7, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def touch(owner, client, *, kind="birthday", due=TODAY, status="open", priority=2, **extra):
    return Touch.objects.create(
        owner=owner,
        client=client,
        kind=kind,
        occasion_date=due + datetime.timedelta(days=3),
        due_date=due,
        priority=priority,
        source=extra.pop("source", "client"),
        status=status,
        **extra,
    )


@pytest.fixture
def touches(owner, teammate, client_obj):
    foreign = ClientFactory(owner=teammate, name="别人的客户")
    return {
        "today": touch(owner, client_obj),
        "old": touch(owner, ClientFactory(owner=owner, name="很久以前"), due=date(2026, 10, 1)),
        "done": touch(owner, ClientFactory(owner=owner, name="已完成"), status="done"),
        "foreign": touch(teammate, foreign),
    }


def events(body: bytes) -> list[str]:
    return [str(e["summary"]) for e in Calendar.from_ical(body).walk("VEVENT")]


def test_feed_lists_own_open_touches_without_login(client, owner, touches):
    token = calendar_feed.calendar_feed_for(owner=owner).token
    with time_machine.travel(MORNING):
        response = client.get(reverse("calendar_feed:feed", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    summaries = events(response.content)
    assert len(summaries) == 1 and "王芳" in summaries[0]  # not done, not foreign, not old


def test_regenerating_kills_the_old_url(as_user, owner, touches):
    old = calendar_feed.calendar_feed_for(owner=owner).token
    http = as_user(owner)
    response = http.post(reverse("calendar_feed:regenerate"))
    assert response.status_code == 302
    new = CalendarFeed.objects.get(owner=owner).token
    assert new != old
    assert http.get(reverse("calendar_feed:feed", args=[old])).status_code == 404
    assert http.get(reverse("calendar_feed:feed", args=[new])).status_code == 200


def test_unknown_token_and_inactive_agent_are_404(client, owner, touches):
    assert client.get(reverse("calendar_feed:feed", args=["nope"])).status_code == 404
    token = calendar_feed.calendar_feed_for(owner=owner).token
    owner.is_active = False
    owner.save()
    assert client.get(reverse("calendar_feed:feed", args=[token])).status_code == 404


def test_settings_page_shows_only_your_own_address(as_user, owner, teammate):
    mine = calendar_feed.calendar_feed_for(owner=owner).token
    theirs = calendar_feed.calendar_feed_for(owner=teammate).token
    body = as_user(owner).get(reverse("calendar_feed:settings")).content.decode()
    assert mine in body and theirs not in body
    assert as_user(owner).get(reverse("calendar_feed:regenerate")).status_code == 405


def test_digest_is_sent_once_per_agent_and_day(owner, teammate, touches):
    owner.email, teammate.email = "owner@example.com", "mate@example.com"
    owner.save()
    teammate.save()
    with time_machine.travel(MORNING):
        assert tasks.send_digests.delay().get() == 2
        tasks.send_digests.delay().get()  # a second beat, or a redelivery
    assert sorted(m.to[0] for m in mail.outbox) == ["mate@example.com", "owner@example.com"]
    mine = next(m for m in mail.outbox if m.to == ["owner@example.com"])
    assert "王芳" in mine.body and "很久以前" in mine.body
    assert "别人的客户" not in mine.body and "已完成" not in mine.body
    assert "http://127.0.0.1:8000/" in mine.body


def test_no_digest_without_email_or_without_anything_due(owner, client_obj):
    touch(owner, client_obj, due=date(2026, 11, 28))  # coming, not due yet
    assert not digest.digest_send(owner_id=owner.pk, day=TODAY)
    owner.email = "owner@example.com"
    owner.save()
    assert not digest.digest_send(owner_id=owner.pk, day=TODAY)
    assert mail.outbox == []


def test_a_failed_send_can_be_retried(owner, client_obj, monkeypatch):
    owner.email = "owner@example.com"
    owner.save()
    touch(owner, client_obj)

    def broken(*args, **kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(digest, "send_mail", broken)
    with pytest.raises(ConnectionError):
        digest.digest_send(owner_id=owner.pk, day=TODAY)
    monkeypatch.undo()
    assert digest.digest_send(owner_id=owner.pk, day=TODAY)
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "path",
    ["/calendar/%00.ics", "/calendar/a%00b.ics", "/calendar/%0A.ics", "/calendar/%E2%80%AE.ics"],
)
def test_a_token_with_foreign_characters_is_a_plain_404(client, path):
    assert client.get(path).status_code == 404


def test_a_token_never_reaches_the_database_unless_it_could_be_one():
    assert calendar_feed.calendar_feed_owner(token="\x00") is None
    assert calendar_feed.calendar_feed_owner(token="x" * 65) is None


def test_the_feed_carries_no_control_characters(client, owner):
    name = "王\x01芳\x0c\x1b[31m\u0085\x7f\r\n二号\t"  # (PostgreSQL stores no NUL)
    touch(owner, ClientFactory(owner=owner, name=name))
    token = calendar_feed.calendar_feed_for(owner=owner).token
    with time_machine.travel(MORNING):
        response = client.get(reverse("calendar_feed:feed", args=[token]))
    body = response.content
    # Only the line ends (CRLF) of the format itself; no other control character anywhere.
    lines = body.decode().split("\r\n")
    assert not [line for line in lines if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in line)]
    (summary,) = events(body)
    assert "王芳 [31m 二号" in summary


def test_ical_text_keeps_words_and_drops_controls():
    assert calendar_feed.ical_text("张\x00三\n李四\t王五\x9b") == "张三 李四 王五"
    assert calendar_feed.ical_text("生日 · 农历闰六月十五") == "生日 · 农历闰六月十五"
