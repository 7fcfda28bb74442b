"""The deck's pitfall 过分利用介绍人 as a figure on the agent's service page: the asks in the
period that came within 30 days of an earlier ask of the same client (the warning where the
agent asks is in test_referral_ask_check)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from referrals.selectors.pages import reasks_in_period

from .factories import ClientFactory, UserFactory
from .referral_factories import ReferralRequestFactory

pytestmark = pytest.mark.django_db

D = datetime.date
START, END = D(2026, 3, 1), D(2026, 3, 31)


@pytest.fixture
def book():
    agent = UserFactory()
    often, spaced, same_day, earlier = (ClientFactory(owner=agent) for _ in range(4))
    ReferralRequestFactory(client=often, asked_on=D(2026, 3, 2))
    ReferralRequestFactory(client=often, asked_on=D(2026, 3, 20))  # 18 days later: a re-ask
    ReferralRequestFactory(client=spaced, asked_on=D(2026, 1, 5))
    ReferralRequestFactory(client=spaced, asked_on=D(2026, 3, 5))  # 59 days later: fine
    ReferralRequestFactory(client=same_day, asked_on=D(2026, 3, 10))
    ReferralRequestFactory(client=same_day, asked_on=D(2026, 3, 10))  # twice in a day: one
    # Asked in February, again 30 days later in March: exactly 30 days is not within 30.
    ReferralRequestFactory(client=earlier, asked_on=D(2026, 2, 1))
    ReferralRequestFactory(client=earlier, asked_on=D(2026, 3, 3))
    ReferralRequestFactory(client=earlier, asked_on=D(2026, 3, 31))  # 28 days after 3 Mar
    # Another agent's asks of their own client never count here.
    other = ClientFactory()
    ReferralRequestFactory(client=other, asked_on=D(2026, 3, 2))
    ReferralRequestFactory(client=other, asked_on=D(2026, 3, 3))
    return agent, often, same_day, earlier


def test_reasks_counted_against_a_hand_count(book, django_assert_num_queries):
    agent, often, same_day, earlier = book
    with django_assert_num_queries(2):
        r = reasks_in_period(agent=agent, start=START, end=END)
    assert r.asks == 7  # every ask of the agent dated in March
    assert r.reasks == 3
    assert [(a.client_id, a.asked_on) for a in r.latest] == [
        (earlier.pk, D(2026, 3, 31)),
        (often.pk, D(2026, 3, 20)),
        (same_day.pk, D(2026, 3, 10)),
    ]


def test_an_earlier_ask_before_the_period_still_makes_a_reask():
    agent = UserFactory()
    client = ClientFactory(owner=agent)
    ReferralRequestFactory(client=client, asked_on=D(2026, 2, 25))
    ReferralRequestFactory(client=client, asked_on=D(2026, 3, 4))
    r = reasks_in_period(agent=agent, start=START, end=END)
    assert (r.asks, r.reasks) == (1, 1)


def test_the_service_page_shows_the_figure_and_the_warning(client, book):
    agent, often, *_ = book
    client.force_login(agent)
    at = datetime.datetime(2026, 4, 2, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(at, tick=False):
        body = client.get("/service/?start=2026-03-01&end=2026-03-31").content.decode()
    assert 'id="panel-reasks"' in body
    assert 'data-figure="reasks">3<' in body
    assert "不可过分利用介绍人" in body and often.name in body


def test_no_reask_says_so(client):
    agent = UserFactory()
    ReferralRequestFactory(client=ClientFactory(owner=agent), asked_on=D(2026, 3, 2))
    client.force_login(agent)
    at = datetime.datetime(2026, 4, 2, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(at, tick=False):
        body = client.get("/service/?start=2026-03-01&end=2026-03-31").content.decode()
    assert 'data-figure="reasks">0<' in body
    assert "没有客户在 30 天内被索取两次转介绍" in body
