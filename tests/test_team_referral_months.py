"""The team figures kept by month (referrals.summary): the nightly build equals a fresh
computation (also after missed nights), running it twice changes nothing, the team page
gives the same figures with and without it for several periods, a write to a past month is
read live until the next build, and beat runs the build.

The data is test_team_referrals' fixture (February to May 2026, three agents and an
outsider), built on 2026-05-30 unless a test says otherwise."""

import datetime

import pytest
import time_machine
from django.conf import settings

from agentcrm.accounts.models import User
from agentcrm.celery import app as celery_app
from referrals import periods, services, summary
from referrals.models import (
    ReferralMonth,
    ReferralMonthBuild,
    ReferralMonthChange,
    ReferralMonthReferrer,
    ReferralReferrerTotal,
    Stage,
)
from referrals.periods import Period
from referrals.selectors import team as team_stats

from .factories import ClientFactory
from .test_team_referrals import SH, d, data, referral, request, sub, sub_team  # noqa: F401

BUILT = datetime.datetime(2026, 5, 30, 1, 30, tzinfo=SH)


def stored() -> dict:
    """Every summary row's figures, by (agent, month)."""
    return {
        (row.agent_id, row.month): {f: getattr(row, f) for f in summary.FIGURES}
        for row in ReferralMonth.objects.all()
    }


def fresh(*, first: datetime.date, today: datetime.date) -> dict:
    """The same figures computed from the rows, for every month from `first`'s to today's,
    the months with nothing left out as the build leaves them out."""
    months = periods.months_between(start=first, end=today)
    figures = team_stats.month_figures(
        owner_ids=None, ranges=[(months[0], team_stats.month_end(months[-1]))], today=today
    )
    return {key: {f: getattr(row, f) for f in summary.FIGURES} for key, row in figures.items()}


def build(when: datetime.datetime) -> dict:
    with time_machine.travel(when, tick=False):
        return summary.referral_months_build()


def page_figures(stats) -> dict:
    def row(r):
        top = r.top_referrer
        return (
            r.requests,
            r.names,
            r.refusals,
            r.received,
            r.contacted,
            r.won,
            r.deepest,
            r.feedback_on_time,
            r.feedback_owed,
            (top.referrer_id, top.count) if top else None,
        )

    return {
        "rows": {r.agent.pk: row(r) for r in stats.rows},
        "total": row(stats.total),
        "trend": [(m.month, m.requests, m.referrals, m.won) for m in stats.trend],
        "refusals": stats.refusals,
        "top": [(t.referrer_id, t.agent.pk, t.count) for t in stats.top_referrers],
    }


def both(*, manager, period: Period, today: datetime.date) -> tuple[dict, dict, list]:
    """The page's figures with the summary and without it, and the months read from it."""
    agents = team_stats.team_agents(
        user=manager, teams=[t for t, _l in team_stats.manager_teams(user=manager)]
    )
    ids = [a.pk for a in agents]
    with_summary = team_stats.team_referral_stats(agents=agents, period=period, today=today)
    live = team_stats.team_referral_stats(
        agents=agents, period=period, today=today, use_summary=False
    )
    months = team_stats.summary_months(owner_ids=ids, period=period, today=today)
    return page_figures(with_summary), page_figures(live), months


@pytest.mark.django_db
@pytest.mark.usefixtures("data")
def test_the_build_equals_a_fresh_computation_and_catches_up_missed_nights(owner):
    sub_agent = User.objects.get(username="sub")
    done = build(BUILT)
    assert done["months"] == 4  # February (the first dated row) to May
    assert stored() == fresh(first=d("2026-02-01"), today=d("2026-05-30"))
    assert stored()  # not an empty comparison

    # Nights missed from 2026-05-31 to 2026-08-02; meanwhile rows were written in May, June
    # and July without the services (no marks), as an import would.
    referral(owner, ClientFactory(owner=owner), "2026-05-31", Stage.WON, contacted=True)
    referral(
        sub_agent, ClientFactory(owner=sub_agent), "2026-06-15", Stage.CONTACTED, contacted=True
    )
    request(owner, "2026-07-02", 0, "gossip")
    with time_machine.travel(datetime.datetime(2026, 8, 3, 1, 30, tzinfo=SH), tick=False):
        due = summary.months_to_build(today=d("2026-08-03"))
        # May was built before it ended; June and July never; August is the current month.
        assert due == [d("2026-05-01"), d("2026-06-01"), d("2026-07-01"), d("2026-08-01")]
        summary.referral_months_build()
    assert stored() == fresh(first=d("2026-02-01"), today=d("2026-08-03"))
    # The top referrers' counts per (agent, month, referrer) and their totals too.
    counts = summary.month_referrer_counts(ranges=[(d("2026-01-01"), d("2026-08-31"))])
    assert {
        (r.agent_id, r.month, r.referrer_id): r.given for r in ReferralMonthReferrer.objects.all()
    } == counts
    totals: dict = {}
    for (agent, _month, referrer), n in counts.items():
        totals[agent, referrer] = totals.get((agent, referrer), 0) + n
    assert {
        (t.agent_id, t.referrer_id): t.given for t in ReferralReferrerTotal.objects.all()
    } == totals
    assert counts  # not an empty comparison
    assert stored()[owner.pk, d("2026-07-01")]["refusals_by_reason"] == {"gossip": 1}
    assert stored()[sub_agent.pk, d("2026-06-01")]["contacted"] == 1
    built = dict(ReferralMonthBuild.objects.values_list("month", "built_at"))
    assert sorted(built) == [d(f"2026-{m:02d}-01") for m in range(2, 9)]


@pytest.mark.django_db
@pytest.mark.usefixtures("data")
def test_running_twice_changes_nothing():
    build(BUILT)
    first = stored()
    ids = sorted(ReferralMonth.objects.values_list("pk", flat=True))
    build(BUILT + datetime.timedelta(minutes=5))
    assert stored() == first
    assert sorted(ReferralMonth.objects.values_list("pk", flat=True)) == ids
    # The next night rebuilds only the current month: the past months are already built.
    with time_machine.travel(BUILT + datetime.timedelta(days=1), tick=False):
        assert summary.months_to_build(today=d("2026-05-31")) == [d("2026-05-01")]


@pytest.mark.django_db
@pytest.mark.usefixtures("data")
def test_a_month_left_empty_loses_its_row(owner):
    lone = referral(owner, ClientFactory(owner=owner), "2026-01-10")
    build(BUILT)
    assert (owner.pk, d("2026-01-01")) in stored()
    with time_machine.travel(BUILT + datetime.timedelta(hours=1), tick=False):
        lone.delete()  # marks January (the post_delete receiver)
    assert ReferralMonthChange.objects.filter(agent=owner, month=d("2026-01-01")).exists()
    build(BUILT + datetime.timedelta(days=1))
    assert (owner.pk, d("2026-01-01")) not in stored()
    assert stored() == fresh(first=d("2026-02-01"), today=d("2026-05-31"))


PERIODS = [
    # (today, period) — presets, whole months by hand, and days that cut months.
    ("2026-06-10", "last_12_months"),
    ("2026-06-10", "last_3_months"),
    ("2026-06-10", "this_year"),
    ("2026-06-10", "this_month"),
    ("2026-06-10", ("2026-03-01", "2026-04-30")),
    ("2026-06-10", ("2026-02-15", "2026-05-20")),
    ("2026-06-10", ("2026-03-01", "2026-06-05")),
    ("2026-05-30", "last_12_months"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("today", "chosen"), PERIODS)
@pytest.mark.usefixtures("data")
def test_the_page_is_the_same_with_and_without_the_summary(manager, today, chosen):
    build(BUILT)
    build(datetime.datetime(2026, 6, 2, 1, 30, tzinfo=SH))  # May, now ended
    day = d(today)
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(10), tzinfo=SH)):
        if isinstance(chosen, str):
            period = periods.period_for_preset(preset=chosen, today=day)
        else:
            period = Period(d(chosen[0]), d(chosen[1]))
        with_summary, live, months = both(manager=manager, period=period, today=day)
    assert with_summary == live
    whole_past = [
        m
        for m in periods.months_between(start=period.start, end=period.end)
        if m >= period.start
        and team_stats.month_end(m) <= period.end
        and m < day.replace(day=1)
        and m >= d("2026-02-01")
    ]
    # The whole past months were read from the summary (the comparison is not live vs live).
    assert months == whole_past


@pytest.mark.django_db
@pytest.mark.usefixtures("data")
def test_the_page_reads_the_summary_for_whole_past_months(manager, owner):
    build(datetime.datetime(2026, 6, 2, 1, 30, tzinfo=SH))
    ReferralMonth.objects.filter(agent=owner, month=d("2026-03-01")).update(received=100)
    period = Period(d("2026-03-01"), d("2026-03-31"))
    with_summary, live, _months = both(manager=manager, period=period, today=d("2026-06-10"))
    assert with_summary["rows"][owner.pk][3] == 100
    assert live["rows"][owner.pk][3] == 3


@pytest.mark.django_db
@pytest.mark.usefixtures("data")
def test_a_month_not_built_after_it_ended_is_computed_live(manager, owner):
    build(BUILT)  # May built on the 30th: the 31st is missing from it
    referral(owner, ClientFactory(owner=owner), "2026-05-31", Stage.WON, contacted=True)
    period = Period(d("2026-05-01"), d("2026-05-31"))
    with_summary, live, months = both(manager=manager, period=period, today=d("2026-06-01"))
    assert months == []
    assert with_summary == live
    assert live["rows"][owner.pk][3] == 3


@pytest.mark.django_db
@pytest.mark.usefixtures("data")
def test_a_write_to_a_past_month_is_read_live_until_the_next_build(manager, owner):
    build(datetime.datetime(2026, 6, 2, 1, 30, tzinfo=SH))
    late = referral(owner, ClientFactory(owner=owner), "2026-03-20")
    ReferralMonthChange.objects.all().delete()  # the factory wrote no mark; the service will
    now = datetime.datetime(2026, 6, 10, 10, tzinfo=SH)
    period = Period(d("2026-03-01"), d("2026-04-30"))
    with time_machine.travel(now, tick=False):
        services.referral_stage_change(referral=late, to_stage=Stage.CONTACTED, by=owner)
        with_summary, live, months = both(manager=manager, period=period, today=now.date())
    # March is changed since its build: live; April still from the summary.
    assert months == [d("2026-04-01")]
    assert with_summary == live
    assert live["rows"][owner.pk][4] == 2 + 1  # a1, a2 and the late one
    with time_machine.travel(now + datetime.timedelta(days=1), tick=False):
        summary.referral_months_build()
        with_summary, live, months = both(manager=manager, period=period, today=now.date())
    assert months == [d("2026-03-01"), d("2026-04-01")]
    assert with_summary == live
    assert not ReferralMonthChange.objects.exists()


@pytest.mark.django_db
def test_a_request_dated_back_marks_its_month(owner, client_obj):
    with time_machine.travel(datetime.datetime(2026, 6, 10, 10, tzinfo=SH), tick=False):
        services.referral_request_record(
            owner=owner,
            client=client_obj,
            asked_on=d("2026-04-03"),
            context="other",
            people=[],
            refusal_reason="gossip",
            by=owner,
        )
        services.referral_request_record(
            owner=owner,
            client=client_obj,
            asked_on=d("2026-06-03"),
            context="other",
            people=[],
            refusal_reason="gossip",
            by=owner,
        )
    # Only the past month: the current one is always computed live.
    assert list(ReferralMonthChange.objects.values_list("agent_id", "month")) == [
        (owner.pk, d("2026-04-01"))
    ]


def test_beat_runs_the_build_each_night():
    import referrals.tasks  # noqa: F401  (the worker imports it by autodiscovery)

    entry = settings.CELERY_BEAT_SCHEDULE["build-referral-months"]
    assert entry["task"] == "agentcrm.referrals.tasks.build_referral_months"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].hour == {1}


@pytest.mark.django_db
@pytest.mark.usefixtures("data")
def test_the_task_builds():
    from referrals.tasks import build_referral_months

    with time_machine.travel(BUILT, tick=False):
        assert build_referral_months.apply(kwargs={"today": "2026-05-30"}).get()["months"] == 4
    assert stored() == fresh(first=d("2026-02-01"), today=d("2026-05-30"))


@pytest.mark.django_db
def test_a_deleted_client_marks_the_months_of_their_referrals(owner):
    gone = ClientFactory(owner=owner)
    referral(owner, ClientFactory(owner=owner), "2026-03-05", referred=gone)
    with time_machine.travel(datetime.datetime(2026, 6, 10, 10, tzinfo=SH), tick=False):
        gone.delete()
    assert list(ReferralMonthChange.objects.values_list("agent_id", "month")) == [
        (owner.pk, d("2026-03-01"))
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("data")
def test_after_a_handover_the_team_figures_equal_a_fresh_computation(manager, owner, teammate):
    """A handover moves the referral rows with bulk UPDATEs: the months they count in are
    marked for both agents, so the page reads them live, and the next build stores them
    under their new agent."""
    from handover.services import handover_execute

    build(datetime.datetime(2026, 6, 2, 1, 30, tzinfo=SH))
    now = datetime.datetime(2026, 6, 10, 10, tzinfo=SH)
    period = Period(d("2026-02-01"), d("2026-05-31"))
    with time_machine.travel(now, tick=False):
        _before, live_before, _months = both(manager=manager, period=period, today=now.date())
        handover_execute(from_agent=owner, to_agents=[teammate], by=manager)
        with_summary, live, months = both(manager=manager, period=period, today=now.date())
    assert owner.pk not in live["rows"]  # switched off: the book is the teammate's now
    assert live["total"] == live_before["total"]
    assert months == [] or set(months) <= {d("2026-02-01")}
    assert with_summary == live
    with time_machine.travel(now + datetime.timedelta(days=1), tick=False):
        summary.referral_months_build()
        with_summary, live, months = both(manager=manager, period=period, today=now.date())
    assert months  # read from the summary again
    assert with_summary == live
    assert stored() == fresh(first=d("2026-02-01"), today=d("2026-06-11"))
