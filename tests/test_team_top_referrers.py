"""The top referrers of the team page from the kept monthly counts per referrer
(referrals.summary, referrals.selectors.top_referrers): the build keeps
`ReferralMonthReferrer` and `ReferralReferrerTotal` equal to a fresh count (also after
missed nights, and after a change to an old month), and the page ranks the same referrers
with the same counts as the live count, reading the kept months for the agents the totals
settle.

One agent's book, February to May 2026 kept (built 2026-06-02), June (today 2026-06-10)
live: referrer R6 has two referrals in June, given after that build, that lift them into
the top five."""

import datetime
from collections import defaultdict

import pytest
import time_machine

from referrals import periods, summary
from referrals.models import ReferralMonthChange, ReferralMonthReferrer, ReferralReferrerTotal
from referrals.periods import Period
from referrals.selectors import team as team_stats
from referrals.selectors import top_referrers

from .factories import ClientFactory
from .test_team_referral_months import both
from .test_team_referrals import SH, d, referral

TODAY = d("2026-06-10")
BUILT = datetime.datetime(2026, 6, 2, 1, 30, tzinfo=SH)  # May ended: February to May kept
# Referrals per referrer and month (February to May), then June's, given after the build.
BOOK = {
    "R0": ([2, 2, 2, 2], 0),
    "R1": ([3, 0, 4, 0], 0),
    "R2": ([1, 2, 1, 2], 0),
    "R3": ([0, 3, 0, 3], 0),
    "R4": ([1, 1, 1, 2], 0),
    "R5": ([1, 1, 1, 1], 0),
    "R6": ([1, 1, 1, 1], 2),
    "R7": ([0, 1, 0, 0], 1),
}
MONTHS = ["2026-02", "2026-03", "2026-04", "2026-05"]


@pytest.fixture
def book(owner, teammate):
    people = {name: ClientFactory(owner=owner, name=name) for name in BOOK}
    for name, (monthly, _june) in BOOK.items():
        for month, n in zip(MONTHS, monthly, strict=True):
            for i in range(n):
                referral(owner, people[name], f"{month}-{10 + i:02d}")
    # A teammate with one referrer: fewer than five, always ranked live.
    mate = ClientFactory(owner=teammate)
    referral(teammate, mate, "2026-03-03")
    return people


def june(owner, people) -> None:
    """June's referrals, given after the build of 2026-06-02."""
    for name, (_monthly, n) in BOOK.items():
        for i in range(n):
            referral(owner, people[name], f"2026-06-{5 + i:02d}")


def stored_referrers() -> dict:
    return {
        (row.agent_id, row.month, row.referrer_id): row.given
        for row in ReferralMonthReferrer.objects.all()
    }


def stored_totals() -> dict:
    return {
        (row.agent_id, row.referrer_id): row.given for row in ReferralReferrerTotal.objects.all()
    }


def fresh(*, today: datetime.date) -> tuple[dict, dict]:
    """The kept counts and totals recomputed from the referrals (February to today's month)."""
    months = periods.months_between(start=d("2026-01-01"), end=today)
    counts = summary.month_referrer_counts(ranges=[(months[0], team_stats.month_end(months[-1]))])
    totals: dict = defaultdict(int)
    for (agent, _month, referrer), n in counts.items():
        totals[agent, referrer] += n
    return counts, dict(totals)


def build(when: datetime.datetime) -> dict:
    with time_machine.travel(when, tick=False):
        return summary.referral_months_build()


def ranked_live(monkeypatch) -> list:
    """Records the agents each full-period live ranking was asked for."""
    calls: list = []
    real = top_referrers.live_top

    def spy(*, owner_ids, ranges, limit):
        calls.append((list(owner_ids), list(ranges)))
        return real(owner_ids=owner_ids, ranges=ranges, limit=limit)

    monkeypatch.setattr(top_referrers, "live_top", spy)
    return calls


@pytest.mark.django_db
def test_the_kept_counts_equal_a_fresh_count_and_catch_up_missed_nights(owner, book):
    build(BUILT)
    counts, totals = fresh(today=d("2026-06-02"))
    assert stored_referrers() == counts
    assert stored_totals() == totals
    assert stored_referrers()[owner.pk, d("2026-03-01"), book["R3"].pk] == 3
    assert stored_totals()[owner.pk, book["R0"].pk] == 8

    # Running again changes nothing.
    first = (stored_referrers(), stored_totals())
    build(BUILT + datetime.timedelta(minutes=5))
    assert (stored_referrers(), stored_totals()) == first

    # Nights missed until 2026-08-03; meanwhile referrals in June and July, written without
    # marks (as an import would).
    june(owner, book)
    referral(owner, book["R7"], "2026-07-04")
    build(datetime.datetime(2026, 8, 3, 1, 30, tzinfo=SH))
    counts, totals = fresh(today=d("2026-08-03"))
    assert stored_referrers() == counts
    assert stored_totals() == totals
    assert stored_referrers()[owner.pk, d("2026-06-01"), book["R6"].pk] == 2
    assert stored_totals()[owner.pk, book["R7"].pk] == 1 + 1 + 1


@pytest.mark.django_db
def test_a_change_to_an_old_month_is_read_live_then_kept(manager, owner, book):
    build(BUILT)
    june(owner, book)
    gone = book["R0"].referrals_made.filter(given_on__month=3).first()
    with time_machine.travel(datetime.datetime(2026, 6, 10, 10, tzinfo=SH), tick=False):
        gone.delete()  # marks March (the post_delete receiver)
    assert ReferralMonthChange.objects.filter(agent=owner, month=d("2026-03-01")).exists()
    period = periods.period_for_preset(preset="last_12_months", today=TODAY)
    with time_machine.travel(datetime.datetime(2026, 6, 10, 10, tzinfo=SH), tick=False):
        with_summary, live, months = both(manager=manager, period=period, today=TODAY)
    assert d("2026-03-01") not in months and d("2026-04-01") in months
    assert with_summary == live
    assert ("R0", 7) in [(t_name(t), n) for t, _a, n in with_summary["top"]]

    build(datetime.datetime(2026, 6, 11, 1, 30, tzinfo=SH))
    assert stored_referrers()[owner.pk, d("2026-03-01"), book["R0"].pk] == 1
    assert stored_totals()[owner.pk, book["R0"].pk] == 7
    counts, totals = fresh(today=d("2026-06-11"))
    assert stored_referrers() == counts and stored_totals() == totals


def t_name(referrer_id: int) -> str:
    from clients.models import Client

    return Client.objects.get(pk=referrer_id).name


PERIODS = [
    "last_12_months",
    "this_year",
    "last_3_months",
    "this_month",
    ("2026-03-01", "2026-04-30"),
    ("2026-02-15", "2026-05-20"),
    ("2026-02-01", "2026-06-09"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("chosen", PERIODS)
def test_the_page_ranks_as_the_live_count(manager, owner, book, chosen):
    build(BUILT)
    june(owner, book)
    with time_machine.travel(datetime.datetime(2026, 6, 10, 10, tzinfo=SH), tick=False):
        if isinstance(chosen, str):
            period = periods.period_for_preset(preset=chosen, today=TODAY)
        else:
            period = Period(d(chosen[0]), d(chosen[1]))
        with_summary, live, _months = both(manager=manager, period=period, today=TODAY)
    assert with_summary == live
    assert with_summary["top"]  # not an empty comparison


@pytest.mark.django_db
def test_the_kept_totals_settle_the_ranking_with_the_live_days(manager, owner, book, monkeypatch):
    build(BUILT)
    june(owner, book)
    calls = ranked_live(monkeypatch)
    period = periods.period_for_preset(preset="last_12_months", today=TODAY)
    with time_machine.travel(datetime.datetime(2026, 6, 10, 10, tzinfo=SH), tick=False):
        with_summary, live, months = both(manager=manager, period=period, today=TODAY)
    assert months == [d(f"{m}-01") for m in MONTHS]
    assert with_summary == live
    # R6 ties R2 and R3 at 6 with June's two (kept total 4: found by the second round);
    # ties rank the older record first. R4 (5) is sixth.
    top = [(t_name(r), n) for r, agent, n in with_summary["top"] if agent == owner.pk]
    assert top == [("R0", 8), ("R1", 7), ("R2", 6), ("R3", 6), ("R6", 6)]
    # The owner was ranked from the kept months: only the teammate (one referrer) and the
    # live-only comparison were ranked over the whole period from the referrals.
    whole = [ids for ids, ranges in calls if ranges == [(period.start, period.end)]]
    summary_call, live_call = whole
    assert owner.pk not in summary_call
    assert owner.pk in live_call


@pytest.mark.django_db
def test_a_referrer_with_only_live_referrals_can_top_the_period(manager, owner, book):
    """R8 has no kept month (seven referrals in June, after the build): no kept total names
    them, so the owner's ranking cannot be settled from the totals and is counted live."""
    build(BUILT)
    june(owner, book)
    newcomer = ClientFactory(owner=owner, name="R8")
    for i in range(7):
        referral(owner, newcomer, f"2026-06-{1 + i:02d}")
    period = periods.period_for_preset(preset="last_12_months", today=TODAY)
    with time_machine.travel(datetime.datetime(2026, 6, 10, 10, tzinfo=SH), tick=False):
        with_summary, live, _months = both(manager=manager, period=period, today=TODAY)
    assert with_summary == live
    top = [(t_name(r), n) for r, agent, n in with_summary["top"] if agent == owner.pk]
    assert top == [("R0", 8), ("R1", 7), ("R8", 7), ("R2", 6), ("R3", 6)]
