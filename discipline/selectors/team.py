"""The manager's service figures (/team/service/) read from the nightly summary: a fixed
number of grouped queries over the summary rows of the agents in scope, whatever the size
of their books. The scope comes from the referral pages' team selectors (teams, sub-teams,
agents), so a manager never reaches another team's rows.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from referrals.periods import Period
from referrals.selectors.team import feedback_compliance
from touches.registry import occasion_kind

from ..models import PersistencyCohort, ServiceMonth, ServiceMonthKind
from ..summary import KIND_FIELDS, MONTH_FIELDS, month_start, months_from
from .team_bands import Bands, TeamBands, team_bands

GOAL_13 = Decimal("93")
GOAL_25 = Decimal("88")


def pct(part, whole) -> float | None:
    return round(float(part) * 100 / float(whole), 1) if whole else None


@dataclass
class Persistency:
    """Reached and kept at 13 and 25 months, counted and by annualised premium."""

    reached_13: int = 0
    kept_13: int = 0
    reached_13_premium: Decimal = Decimal(0)
    kept_13_premium: Decimal = Decimal(0)
    reached_25: int = 0
    kept_25: int = 0
    reached_25_premium: Decimal = Decimal(0)
    kept_25_premium: Decimal = Decimal(0)

    def add(self, other: "Persistency") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def rate_13(self):
        return pct(self.kept_13, self.reached_13)

    @property
    def rate_13_premium(self):
        return pct(self.kept_13_premium, self.reached_13_premium)

    @property
    def rate_25(self):
        return pct(self.kept_25, self.reached_25)

    @property
    def rate_25_premium(self):
        return pct(self.kept_25_premium, self.reached_25_premium)


@dataclass
class Discipline:
    """One agent's (or the total's) service figures over the period."""

    touches_due: int = 0
    touches_on_time: int = 0
    touches_late: int = 0
    touches_skipped: int = 0
    touches_open: int = 0
    promises_due: int = 0
    promises_on_time: int = 0
    promises_late: int = 0
    promises_open: int = 0
    feedback_on_time: int = 0
    feedback_owed: int = 0
    contacts: int = 0
    clients: int = 0  # at the period's end
    clients_silent: int = 0  # at the period's end
    lapses: int = 0
    lapsed_premium: Decimal = Decimal(0)
    introductions: int = 0
    introductions_on_time: int = 0

    def add(self, other: "Discipline") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def touches_on_time_pct(self):
        return pct(self.touches_on_time, self.touches_due)

    @property
    def promises_on_time_pct(self):
        return pct(self.promises_on_time, self.promises_due)

    @property
    def feedback_pct(self):
        return pct(self.feedback_on_time, self.feedback_owed)

    @property
    def silent_pct(self):
        return pct(self.clients_silent, self.clients)

    @property
    def contacts_per_client(self):
        return round(self.contacts / self.clients, 2) if self.clients else None

    @property
    def introductions_pct(self):
        return pct(self.introductions_on_time, self.introductions)


@dataclass
class AgentRow:
    agent: User | None
    discipline: Discipline = field(default_factory=Discipline)
    persistency: Persistency = field(default_factory=Persistency)
    bands: Bands = field(default_factory=Bands)  # at the period's end


@dataclass
class MonthRow:
    month: datetime.date
    discipline: Discipline = field(default_factory=Discipline)
    persistency: Persistency = field(default_factory=Persistency)
    band_clients: int = 0  # at the month's end, every band
    band_below_floor: int = 0

    @property
    def below_floor_pct(self):
        return pct(self.band_below_floor, self.band_clients)


@dataclass
class KindRow:
    kind: str
    label: str
    due: int = 0
    on_time: int = 0
    late: int = 0
    skipped: int = 0
    open: int = 0

    @property
    def on_time_pct(self):
        return pct(self.on_time, self.due)


@dataclass
class TeamService:
    period: Period
    rows: list[AgentRow]
    total: AgentRow
    trend: list[MonthRow]
    kinds: list[KindRow]
    bands: TeamBands | None = None
    goal_13: Decimal = GOAL_13
    goal_25: Decimal = GOAL_25

    def chart_data(self) -> dict:
        labels = [f"{m.month:%Y-%m}" for m in self.trend]
        return {
            "persistency": {
                "labels": labels,
                "series": [
                    {
                        "label": _("13-month persistency %"),
                        "data": [m.persistency.rate_13 for m in self.trend],
                    },
                    {
                        "label": _("25-month persistency %"),
                        "data": [m.persistency.rate_25 for m in self.trend],
                    },
                    {
                        "label": _("Goal (13 months)"),
                        "data": [float(self.goal_13)] * len(labels),
                        "goal": True,
                    },
                    {
                        "label": _("Goal (25 months)"),
                        "data": [float(self.goal_25)] * len(labels),
                        "goal": True,
                    },
                ],
            },
            "discipline": {
                "labels": labels,
                "series": [
                    {
                        "label": _("Touches done on time %"),
                        "data": [m.discipline.touches_on_time_pct for m in self.trend],
                    },
                    {
                        "label": _("Promises kept on time %"),
                        "data": [m.discipline.promises_on_time_pct for m in self.trend],
                    },
                    {
                        "label": _("Clients not contacted in 12 months %"),
                        "data": [m.discipline.silent_pct for m in self.trend],
                    },
                    {
                        "label": _("Clients under the contact floor %"),
                        "data": [m.below_floor_pct for m in self.trend],
                    },
                ],
            },
            "lapses": {
                "labels": labels,
                "series": [
                    {"label": _("Lapses"), "data": [m.discipline.lapses for m in self.trend]},
                    {
                        "label": _("Contacts logged"),
                        "data": [m.discipline.contacts for m in self.trend],
                        "axis": "y1",
                    },
                ],
            },
        }


def _persistency(values: dict, prefix_13: bool, prefix_25: bool) -> Persistency:
    p = Persistency()
    if prefix_13:
        for name in ("reached_13", "kept_13", "reached_13_premium", "kept_13_premium"):
            setattr(p, name, values[name] or 0)
    if prefix_25:
        for name in ("reached_25", "kept_25", "reached_25_premium", "kept_25_premium"):
            setattr(p, name, values[name] or 0)
    return p


def team_service(
    *,
    agents: Sequence[User],
    period: Period,
    today: datetime.date,
    goal_13: Decimal = GOAL_13,
    goal_25: Decimal = GOAL_25,
) -> TeamService:
    """Every figure of /team/service/ for these agents over the period, from the summary.

    Persistency for a month M: the cohort issued in M − 13 (whose 13th month is M) and the
    one issued in M − 25. Clients and silent clients are the figures at the period's end
    (its last month's row); everything else is summed over the months of the period."""
    ids = [a.id for a in agents]
    months = months_from(period.start, period.end)
    last_month = months[-1]
    rows = {a.id: AgentRow(agent=a) for a in agents}
    trend = {m: MonthRow(m) for m in months}

    for r in (
        ServiceMonth.objects.filter(owner_id__in=ids, month__in=months)
        .values("month")
        .annotate(**{f: Sum(f) for f in MONTH_FIELDS})
        .order_by()
    ):
        _apply(trend[r["month"]].discipline, r)
    for r in (
        ServiceMonth.objects.filter(owner_id__in=ids, month__in=months)
        .values("owner_id")
        .annotate(**{f: Sum(f) for f in MONTH_FIELDS})
        .order_by()
    ):
        _apply(rows[r["owner_id"]].discipline, r, with_clients=False)
    for r in ServiceMonth.objects.filter(owner_id__in=ids, month=last_month).values(
        "owner_id", "clients", "clients_silent"
    ):
        rows[r["owner_id"]].discipline.clients = r["clients"]
        rows[r["owner_id"]].discipline.clients_silent = r["clients_silent"]

    kinds: dict[str, KindRow] = {}
    for r in (
        ServiceMonthKind.objects.filter(owner_id__in=ids, month__in=months)
        .values("owner_id", "month", "kind")
        .annotate(**{f: Sum(f) for f in KIND_FIELDS})
        .order_by()
    ):
        kind = r["kind"]
        if kind not in kinds:
            registered = occasion_kind(kind)
            kinds[kind] = KindRow(kind, str(registered.label) if registered else kind)
        for name in KIND_FIELDS:
            setattr(kinds[kind], name, getattr(kinds[kind], name) + r[name])
        for target in (rows[r["owner_id"]].discipline, trend[r["month"]].discipline):
            target.touches_due += r["due"]
            target.touches_on_time += r["on_time"]
            target.touches_late += r["late"]
            target.touches_skipped += r["skipped"]
            target.touches_open += r["open"]

    # Persistency: cohorts 13 and 25 months before the months of the period.
    c13 = {month_start(m, back=13): m for m in months}
    c25 = {month_start(m, back=25): m for m in months}
    for r in PersistencyCohort.objects.filter(
        owner_id__in=ids, month__in=set(c13) | set(c25)
    ).values():
        in13, in25 = r["month"] in c13, r["month"] in c25
        p = _persistency(r, in13, in25)
        rows[r["owner_id"]].persistency.add(p)
        if in13:
            trend[c13[r["month"]]].persistency.add(_persistency(r, True, False))
        if in25:
            trend[c25[r["month"]]].persistency.add(_persistency(r, False, True))

    compliance = feedback_compliance(owner_ids=ids, start=period.start, end=period.end, today=today)
    for owner_id, (on_time, owed) in compliance.items():
        rows[owner_id].discipline.feedback_on_time = on_time
        rows[owner_id].discipline.feedback_owed = owed

    by_band = team_bands(agents=agents, months=months)
    for month, clients, below in by_band.trend:
        trend[month].band_clients, trend[month].band_below_floor = clients, below

    total = AgentRow(agent=None, bands=by_band.total)
    for row in rows.values():
        row.bands = by_band.by_agent[row.agent.id]
        total.discipline.add(row.discipline)
        total.persistency.add(row.persistency)
    return TeamService(
        period=period,
        rows=[rows[a.id] for a in agents],
        total=total,
        trend=list(trend.values()),
        kinds=sorted(kinds.values(), key=lambda k: -k.due),
        bands=by_band,
        goal_13=goal_13,
        goal_25=goal_25,
    )


def _apply(target: Discipline, r: dict, *, with_clients: bool = True) -> None:
    target.promises_due += r["promises_due"] or 0
    target.promises_on_time += r["promises_on_time"] or 0
    target.promises_late += r["promises_late"] or 0
    target.promises_open += r["promises_open"] or 0
    target.contacts += r["contacts"] or 0
    target.lapses += r["lapses"] or 0
    target.lapsed_premium += r["lapsed_premium"] or 0
    target.introductions += r["introductions"] or 0
    target.introductions_on_time += r["introductions_on_time"] or 0
    if with_clients:
        target.clients = r["clients"] or 0
        target.clients_silent = r["clients_silent"] or 0
