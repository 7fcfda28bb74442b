"""One source of gift ideas (touches.registry section 12): the dashboard's cards show the
agent's own lists of /gifts/ideas/ for the touch's festival and the client's segments, in one
query for the whole page, and never another agent's lists."""

import datetime
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from clients.models import Segment
from gifts.ideas import DEFAULT_IDEAS
from gifts.services import gift_ideas_save
from touches import selectors
from touches.registry import gift_ideas_lookup

from .factories import ClientFactory
from .touch_factories import TouchFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 9, 20)
NOON = datetime.datetime(2026, 9, 20, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def _rows(user):
    board = selectors.dashboard(user=user, today=TODAY)
    return {t.pk: t for g in board.groups for c in g.cards for t in c.touches}


def _woman(owner, name="王芳"):
    client = ClientFactory(owner=owner, name=name)
    client.segments.add(Segment.objects.get(code=Segment.Code.WOMAN))
    return client


def _mid_autumn(client):
    return TouchFactory(
        client=client,
        kind="festival",
        source="festival:mid_autumn",
        label="mid_autumn",
        due_date=TODAY,
        occasion_date=TODAY + datetime.timedelta(days=5),
    )


def test_the_card_shows_the_agents_edited_ideas_for_the_festival_and_segment(
    as_user, owner, teammate
):
    birthday = TouchFactory(client=_woman(owner), kind="birthday", due_date=TODAY)
    http = as_user(owner)
    defaults = str(DEFAULT_IDEAS["segment:woman"]).splitlines()
    assert _rows(owner)[birthday.pk].gifts == defaults
    http.post(reverse("gifts:ideas"), {"topic": "segment:woman", "ideas": "丝巾\n护手霜"})
    assert _rows(owner)[birthday.pk].gifts == ["丝巾", "护手霜"]
    with time_machine.travel(NOON, tick=False):
        body = http.get("/").content.decode()
    assert "丝巾; 护手霜" in body
    # Another agent's edits of the same topic never show on this agent's cards, and this
    # agent's edits never show on theirs.
    theirs = TouchFactory(client=_woman(teammate, "李娜"), kind="birthday", due_date=TODAY)
    as_user(teammate).post(
        reverse("gifts:ideas"), {"topic": "segment:woman", "ideas": "同事的礼物"}
    )
    assert _rows(owner)[birthday.pk].gifts == ["丝巾", "护手霜"]
    assert _rows(teammate)[theirs.pk].gifts == ["同事的礼物"]


def test_a_festival_card_puts_the_festivals_ideas_first(owner):
    touch = _mid_autumn(_woman(owner))
    ideas = _rows(owner)[touch.pk].gifts
    assert ideas[0] == str(DEFAULT_IDEAS["festival:mid_autumn"])
    gift_ideas_save(owner=owner, topic="festival:mid_autumn", ideas="广式月饼\n大闸蟹")
    ideas = _rows(owner)[touch.pk].gifts
    assert ideas[:2] == ["广式月饼", "大闸蟹"]
    assert str(DEFAULT_IDEAS["festival:mid_autumn"]) not in ideas


def test_no_ideas_for_a_kind_that_is_no_occasion_for_a_gift(owner):
    client = _woman(owner)
    premium = TouchFactory(client=client, kind="premium_due", due_date=TODAY)
    assert _rows(owner)[premium.pk].gifts == []
    lookup = gift_ideas_lookup(owner=owner, kinds={"premium_due"})
    assert lookup("premium_due", "", ["woman"]) == []


def test_one_query_for_the_ideas_whatever_the_number_of_cards(
    owner, django_assert_num_queries, django_assert_max_num_queries
):
    with django_assert_num_queries(0):  # no gift kind on the page: not even one query
        gift_ideas_lookup(owner=owner, kinds={"premium_due"})
    with django_assert_num_queries(1):
        lookup = gift_ideas_lookup(owner=owner, kinds={"birthday"})
    with django_assert_num_queries(0):
        assert lookup("birthday", "", ["woman", "manager"])
    for i in range(3):
        TouchFactory(client=_woman(owner, f"客户{i}"), kind="birthday", due_date=TODAY)
    with django_assert_max_num_queries(12) as few:
        selectors.dashboard(user=owner, today=TODAY)
    small = len(few.captured_queries)
    for i in range(30):
        TouchFactory(client=_woman(owner, f"更多{i}"), kind="birthday", due_date=TODAY)
        _mid_autumn(_woman(owner, f"中秋{i}"))
    with django_assert_max_num_queries(small):
        rows = _rows(owner)
    assert all(t.gifts for t in rows.values())
