"""The manager's team referral statistics (/team/referrals/) and one agent's drill-down.

Everything here starts from a list of agents the caller has already scoped with
`team_agents` (the people of `access.team_agents_for_manager`): a manager never reaches
another team's rows because every query filters on `owner_id IN (those agents)`.

The figures come from a fixed set of queries, whatever the number of agents or months:

1. the whole past months the nightly run kept (`ReferralMonth`, `referrals.summary`) and
   not changed since: which months (`summary_months`, two small queries) and their rows;
2. for the other days of the period (the current month, a start or end inside a month, a
   month changed since its build), `month_figures`: requests per (agent, month, refusal
   reason), referrals per (agent, month) (received, contacted, won, deepest chain) and
   feedback compliance per (agent, month of the deadline), the same queries the nightly
   run stores; the agents' rows, the trend and the refusal breakdown add the two up;
3. the top five referrers of each agent (`top_referrers.best_referrers`): the kept months
   of the few referrers who can rank plus their live days, or a window function over the
   referrals of the period when the kept totals cannot settle an agent's ranking. The
   team's top five are among them. Then the names of those few referrers.

Cohorts: "received", "contacted", "won", conversion and the deepest chain all count the
referrals *given in the period* (a referral given in March and won in May counts as won
for March), so the monthly trend adds up to the table's totals. "Deepest chain" is the
greatest chain depth reached by a referral given in the period (depth 1 = the referrer was
not referred themself). Top referrers with as many referrals as each other are ranked by
who was recorded first.
"""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db.models import Count, DateField, F, Max, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agentcrm.accounts.models import Team, User
from agentcrm.accounts.selectors import teams_for_manager
from clients.models import Client

from ..models import (
    Referral,
    ReferralMonth,
    ReferralMonthBuild,
    ReferralMonthChange,
    ReferralRequest,
    ReferralStageChange,
    RefusalReason,
    Stage,
)
from ..periods import Period, months_between
from .top_referrers import best_referrers, in_ranges

TOP_REFERRERS = 5
# The figures of a `ReferralMonth` the page adds up.
SUMMED = (
    "requests",
    "names",
    "refusals",
    "refusals_by_reason",
    "received",
    "contacted",
    "won",
    "deepest",
    "feedback_on_time",
    "feedback_owed",
)


# --- scope --------------------------------------------------------------------------------


def manager_teams(*, user: User) -> list[tuple[Team, int]]:
    """The manager's teams and sub-teams in tree order, each with its depth below the
    teams the manager leads (for the team filter)."""
    teams = list(teams_for_manager(user=user).order_by("name", "id"))
    ids = {team.id for team in teams}
    children: dict[int | None, list[Team]] = defaultdict(list)
    for team in teams:
        children[team.parent_id if team.parent_id in ids else None].append(team)
    ordered: list[tuple[Team, int]] = []

    def walk(parent_id: int | None, level: int) -> None:
        for team in children.get(parent_id, []):
            ordered.append((team, level))
            walk(team.id, level + 1)

    walk(None, 0)
    return ordered


def team_agents(*, user: User, teams: Sequence[Team], team: Team | None = None) -> list[User]:
    """The agents whose figures the manager sees: all of their teams', or one team's and its
    sub-teams' when `team` is given. `teams` must be the manager's teams (from
    `manager_teams`, which scopes them): the agents are read from them, and the sub-teams
    walked, without walking the manager's tree again."""
    if team is None:
        wanted = {t.id for t in teams}
    else:
        wanted = {team.id}
        grew = True
        while grew:
            more = {t.id for t in teams if t.parent_id in wanted} - wanted
            wanted |= more
            grew = bool(more)
    # team_agents_for_manager's people, from the teams already walked: one query, where
    # filtering that queryset walked the manager's tree a second time.
    return list(
        User.objects.filter(team_id__in=wanted, is_active=True)
        .exclude(pk=user.pk)
        .select_related("team")
        .order_by("team__name", "username")
    )


class MonthStart(TruncMonth):
    """The first day of a date's month. On PostgreSQL, TruncMonth of a date column goes
    through `timestamp with time zone` (a time-zone conversion per row); a date has no time
    zone, so it is truncated as a plain timestamp, which is cheaper over 100,000 rows."""

    output_field = DateField()

    def as_postgresql(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        return f"DATE_TRUNC('month', ({sql})::timestamp)::date", params


# --- the figures --------------------------------------------------------------------------


def feedback_compliance(*, owner_ids, start, end, today) -> dict[int, tuple[int, int]]:
    """{agent id: (reported on time, owed)} for the stage changes whose report-back deadline
    falls in [start, end]. A change is owed once its deadline has passed or it was reported;
    one still within its deadline and unreported is not counted yet. Reported on time means
    reported (local date) on or before the deadline. One grouped query."""
    rows = (
        ReferralStageChange.objects.filter(
            owner_id__in=owner_ids,
            feedback_due__gte=start,
            feedback_due__lte=end,
        )
        .filter(Q(feedback_due__lt=today) | Q(reported_at__isnull=False))
        .annotate(reported_on=TruncDate("reported_at"))
        .values("owner_id")
        .annotate(
            owed=Count("id"),
            on_time=Count("id", filter=Q(reported_on__lte=F("feedback_due"))),
        )
    )
    return {row["owner_id"]: (row["on_time"], row["owed"]) for row in rows}


def _ratio(part: int, whole: int, *, scale: int = 100, digits: int = 1) -> float | None:
    return round(part * scale / whole, digits) if whole else None


@dataclass
class TopReferrer:
    referrer_id: int
    name: str
    agent: User
    count: int


@dataclass
class AgentRow:
    """One agent's figures over the period (agent None: the team's total)."""

    agent: User | None
    requests: int = 0
    names: int = 0
    refusals: int = 0
    received: int = 0
    contacted: int = 0
    won: int = 0
    feedback_on_time: int = 0
    feedback_owed: int = 0
    deepest: int = 0
    top_referrer: TopReferrer | None = None

    @property
    def names_per_request(self) -> float | None:
        return _ratio(self.names, self.requests, scale=1, digits=2)

    @property
    def conversion_pct(self) -> float | None:
        return _ratio(self.won, self.received)

    @property
    def compliance_pct(self) -> float | None:
        return _ratio(self.feedback_on_time, self.feedback_owed)


@dataclass
class MonthRow:
    month: datetime.date
    requests: int = 0
    referrals: int = 0
    won: int = 0


@dataclass
class TeamReferralStats:
    period: Period
    rows: list[AgentRow]
    total: AgentRow
    top_referrers: list[TopReferrer]
    trend: list[MonthRow]
    # (reason code, label, count) for every reason, in the order of RefusalReason.
    refusals: list[tuple[str, str, int]] = field(default_factory=list)

    def chart_data(self) -> dict:
        """What the page's charts draw (passed to the page with json_script)."""
        return {
            "trend": {
                "labels": [f"{m.month:%Y-%m}" for m in self.trend],
                "series": [
                    {
                        "label": str(_("Referral requests")),
                        "data": [m.requests for m in self.trend],
                    },
                    {
                        "label": str(_("Referrals received")),
                        "data": [m.referrals for m in self.trend],
                    },
                    {"label": str(_("Won")), "data": [m.won for m in self.trend]},
                ],
            },
            "refusals": {
                "labels": [label for _code, label, _n in self.refusals],
                "series": [
                    {
                        "label": str(_("Requests with no names")),
                        "data": [n for _code, _label, n in self.refusals],
                    }
                ],
            },
            "agents": {
                "labels": [str(row.agent) for row in self.rows],
                "series": [
                    {
                        "label": str(_("Conversion %")),
                        "data": [row.conversion_pct for row in self.rows],
                    },
                    {
                        "label": str(_("Feedback compliance %")),
                        "data": [row.compliance_pct for row in self.rows],
                    },
                ],
            },
        }


def month_figures(
    *,
    owner_ids: Sequence[int] | None,
    ranges: Sequence[tuple[datetime.date, datetime.date]],
    today: datetime.date,
) -> dict[tuple[int, datetime.date], ReferralMonth]:
    """The page's figures per (agent, month) over the date ranges, computed from the rows
    (three grouped queries whatever the number of ranges), as unsaved `ReferralMonth`s: what
    the page adds up for the days it computes live, and what the nightly run stores
    (`owner_ids` None: every agent)."""
    figures: dict[tuple[int, datetime.date], ReferralMonth] = {}
    if not ranges or owner_ids == []:
        return figures
    owners = Q() if owner_ids is None else Q(owner_id__in=owner_ids)

    def at(owner_id: int, month: datetime.date) -> ReferralMonth:
        row = figures.get((owner_id, month))
        if row is None:
            row = figures[owner_id, month] = ReferralMonth(
                agent_id=owner_id, month=month, refusals_by_reason={}
            )
        return row

    for r in (
        ReferralRequest.objects.filter(in_ranges("asked_on", ranges), owners)
        .annotate(month=MonthStart("asked_on"))
        .values("owner_id", "month", "refusal_reason")
        .annotate(
            n=Count("id"), names=Sum("names_given"), refused=Count("id", filter=Q(names_given=0))
        )
        .order_by()
    ):
        row = at(r["owner_id"], r["month"])
        row.requests += r["n"]
        row.names += r["names"] or 0
        row.refusals += r["refused"]
        if r["refused"]:
            reason = r["refusal_reason"] or RefusalReason.OTHER
            row.refusals_by_reason[reason] = row.refusals_by_reason.get(reason, 0) + r["refused"]

    for r in (
        Referral.objects.filter(in_ranges("given_on", ranges), owners)
        .annotate(month=MonthStart("given_on"))
        .values("owner_id", "month")
        .annotate(
            received=Count("id"),
            contacted=Count("id", filter=Q(contacted_at__isnull=False)),
            won=Count("id", filter=Q(stage=Stage.WON)),
            deepest=Max("depth"),
        )
        .order_by()
    ):
        row = at(r["owner_id"], r["month"])
        row.received, row.contacted, row.won = r["received"], r["contacted"], r["won"]
        row.deepest = r["deepest"] or 0

    for r in (
        ReferralStageChange.objects.filter(in_ranges("feedback_due", ranges), owners)
        .filter(Q(feedback_due__lt=today) | Q(reported_at__isnull=False))
        .annotate(month=MonthStart("feedback_due"), reported_on=TruncDate("reported_at"))
        .values("owner_id", "month")
        .annotate(
            owed=Count("id"),
            on_time=Count("id", filter=Q(reported_on__lte=F("feedback_due"))),
        )
        .order_by()
    ):
        row = at(r["owner_id"], r["month"])
        row.feedback_on_time, row.feedback_owed = r["on_time"], r["owed"]
    return figures


_DAY = datetime.timedelta(days=1)


def month_end(month: datetime.date) -> datetime.date:
    """The last day of the month starting on `month`."""
    return months_between(start=month, end=month + datetime.timedelta(days=31))[1] - _DAY


def summary_months(
    *, owner_ids: Sequence[int], period: Period, today: datetime.date
) -> list[datetime.date]:
    """The months of the period the page may read from `ReferralMonth`: whole months inside
    the period, before the current one, rebuilt for every agent after the month ended, and
    not changed for any of these agents since (two small queries)."""
    this_month = months_between(start=today, end=today)[0]
    candidates = [
        m
        for m in months_between(start=period.start, end=period.end)
        if m >= period.start and month_end(m) <= period.end and m < this_month
    ]
    if not candidates:
        return []
    built = dict(
        ReferralMonthBuild.objects.filter(month__in=candidates).values_list("month", "built_at")
    )
    changed = dict(
        ReferralMonthChange.objects.filter(agent_id__in=owner_ids, month__in=built)
        .values("month")
        .annotate(last=Max("changed_at"))
        .order_by()
        .values_list("month", "last")
    )
    return [
        m
        for m in candidates
        if m in built
        and timezone.localdate(built[m]) > month_end(m)
        and (m not in changed or changed[m] < built[m])
    ]


def live_ranges(
    *, period: Period, months: Sequence[datetime.date]
) -> list[tuple[datetime.date, datetime.date]]:
    """The parts of the period not covered by the whole `months` (sorted), as date ranges."""
    ranges, day = [], period.start
    for month in months:
        if day < month:
            ranges.append((day, month - _DAY))
        day = month_end(month) + _DAY
    if day <= period.end:
        ranges.append((day, period.end))
    return ranges


def team_referral_stats(
    *, agents: Sequence[User], period: Period, today: datetime.date, use_summary: bool = True
) -> TeamReferralStats:
    """Every figure of the manager's page for these agents over the period: the whole past
    months kept by the nightly run read from `ReferralMonth`, the other days (the current
    month, a period starting or ending mid-month, a month changed since its build) computed
    from the rows and added. `use_summary=False` computes everything from the rows."""
    ids = [agent.id for agent in agents]
    by_id = {agent.id: agent for agent in agents}
    rows = {agent.id: AgentRow(agent=agent) for agent in agents}
    start, end = period.start, period.end

    months = summary_months(owner_ids=ids, period=period, today=today) if use_summary else []
    # Plain records, not model instances: 50 agents × 12 months is 600 rows.
    figures: list = [
        SimpleNamespace(**row)
        for row in (
            ReferralMonth.objects.filter(agent_id__in=ids, month__in=months)
            .order_by()
            .values("agent_id", "month", *SUMMED)
            if months
            else []
        )
    ]
    live = live_ranges(period=period, months=months)
    figures += month_figures(owner_ids=ids, ranges=live, today=today).values()

    trend = {month: MonthRow(month) for month in months_between(start=start, end=end)}
    refused: dict[str, int] = defaultdict(int)
    for f in figures:
        row, month = rows[f.agent_id], trend[f.month]
        row.requests += f.requests
        row.names += f.names
        row.refusals += f.refusals
        row.received += f.received
        row.contacted += f.contacted
        row.won += f.won
        row.deepest = max(row.deepest, f.deepest)
        row.feedback_on_time += f.feedback_on_time
        row.feedback_owed += f.feedback_owed
        month.requests += f.requests
        month.referrals += f.received
        month.won += f.won
        for reason, n in f.refusals_by_reason.items():
            refused[reason] += n

    # Each agent's five best (no join: the names of the few winners are read after). The
    # team's top five are among them, as both rankings break ties the same way (more
    # referrals, then the older record).
    ranked = [
        {"owner_id": a, "referrer_id": r, "n": n}
        for a, r, n in best_referrers(
            owner_ids=ids,
            period=(start, end),
            months=months,
            live=live,
            limit=TOP_REFERRERS,
        )
    ]
    names = dict(
        Client.objects.filter(id__in={r["referrer_id"] for r in ranked}).values_list("id", "name")
    )
    ranked.sort(key=lambda r: (-r["n"], r["referrer_id"]))
    tops = [
        TopReferrer(r["referrer_id"], names.get(r["referrer_id"], ""), by_id[r["owner_id"]], r["n"])
        for r in ranked
    ]
    for top in tops:
        if rows[top.agent.id].top_referrer is None:
            rows[top.agent.id].top_referrer = top
    top_referrers = tops[:TOP_REFERRERS]

    agent_rows = [rows[agent.id] for agent in agents]
    return TeamReferralStats(
        period=period,
        rows=agent_rows,
        total=_total(agent_rows, top_referrers),
        top_referrers=top_referrers,
        trend=list(trend.values()),
        refusals=[(code, label, refused.get(code, 0)) for code, label in RefusalReason.choices],
    )


def _total(rows: list[AgentRow], top_referrers: list[TopReferrer]) -> AgentRow:
    total = AgentRow(agent=None, top_referrer=top_referrers[0] if top_referrers else None)
    for row in rows:
        for name in (
            "requests",
            "names",
            "refusals",
            "received",
            "contacted",
            "won",
            "feedback_on_time",
            "feedback_owed",
        ):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.deepest = max(total.deepest, row.deepest)
    return total


# --- the drill-down -----------------------------------------------------------------------


def agent_referrals(*, agent: User, period: Period, stage: str = ""):
    """One agent's referrals given in the period, newest first, with the people on both
    ends in the same query (the page masks their phones)."""
    qs = (
        Referral.objects.filter(owner=agent, given_on__range=(period.start, period.end))
        .select_related("referrer", "referred")
        .only(
            "id",
            "given_on",
            "context",
            "relationship",
            "depth",
            "stage",
            "stage_changed_at",
            "contacted_at",
            "referrer__id",
            "referrer__name",
            "referrer__mobile",
            "referred__id",
            "referred__name",
            "referred__mobile",
        )
        .order_by("-given_on", "-id")
    )
    if stage:
        qs = qs.filter(stage=stage)
    return qs


def feedback_owed(*, owner_ids, today: datetime.date) -> dict[int, tuple[int, int]]:
    """{agent id: (owed, late)}: the steps whose referrer has not heard about them yet, and
    of those the ones past their report-back deadline. One grouped query."""
    rows = (
        ReferralStageChange.objects.filter(
            owner_id__in=owner_ids, feedback_due__isnull=False, reported_at__isnull=True
        )
        .values("owner_id")
        .annotate(owed=Count("id"), late=Count("id", filter=Q(feedback_due__lt=today)))
        .order_by()
    )
    return {row["owner_id"]: (row["owed"], row["late"]) for row in rows}
