"""The build: turn every registered occasion kind into touches due on one day.

For one due day and one range of agents, each kind is asked once per distinct lead time in
use (the default, and each lead an agent chose), and each answer is written with one
`INSERT … SELECT … ON CONFLICT DO NOTHING`. Nothing is read into Python but the agents'
settings; the unique constraint on Touch makes every statement safe to repeat.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import DateField, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from .models import Touch, TouchPreference
from .registry import BuildScope, OccasionKind, occasion_kinds

INSERT_COLUMNS = (
    "owner_id",
    "client_id",
    "occasion_date",
    "source",
    "label",
    "kind",
    "due_date",
    "priority",
    "status",
    "note",
    "created_at",
)
SELECT_ALIASES = (
    "t_owner",
    "t_client",
    "t_occasion",
    "t_source",
    "t_label",
    "t_kind",
    "t_due",
    "t_priority",
    "t_status",
    "t_note",
    "t_created",
)


@dataclass(frozen=True)
class AgentRange:
    """Agents with first <= id <= last, or exactly `ids` when given."""

    first: int
    last: int
    ids: tuple[int, ...] | None = None

    def q(self, column: str = "t_owner") -> Q:
        if self.ids is not None:
            return Q(**{f"{column}__in": self.ids})
        return Q(**{f"{column}__gte": self.first, f"{column}__lte": self.last})


def lead_groups(
    *, kind: OccasionKind, agents: AgentRange
) -> list[tuple[int, tuple[int, ...] | None, tuple[int, ...]]]:
    """[(lead, only these agents or None for "all the others", agents to leave out)].

    Agents without a setting use the default lead; agents who switched the kind off are
    left out of every group. One small query per kind and batch.
    """
    prefs = TouchPreference.objects.filter(agents.q("owner_id"), kind=kind.key).values_list(
        "owner_id", "enabled", "lead_days"
    )
    by_lead: dict[int, list[int]] = defaultdict(list)
    special: list[int] = []
    for owner_id, enabled, lead in prefs:
        special.append(owner_id)
        if enabled:
            lead = lead if kind.lead_configurable else kind.default_lead_days
            by_lead[lead].append(owner_id)
    groups = [(kind.default_lead_days, None, tuple(special))]
    groups += [(lead, tuple(ids), ()) for lead, ids in by_lead.items()]
    return groups


def _rows(
    *,
    kind: OccasionKind,
    scope: BuildScope,
    agents: AgentRange,
    only: tuple[int, ...] | None,
    leave_out: tuple[int, ...],
    client_ids: Iterable[int] | None,
    now,
) -> list[QuerySet]:
    querysets = []
    for qs in kind.source(scope):
        qs = qs.filter(agents.q())
        if only is not None:
            qs = qs.filter(t_owner__in=only)
        if leave_out:
            qs = qs.exclude(t_owner__in=leave_out)
        if client_ids is not None:
            qs = qs.filter(t_client__in=list(client_ids))
        qs = qs.annotate(
            t_kind=Value(kind.key),
            t_due=Cast(Value(scope.due), DateField()),
            t_priority=Value(kind.priority, output_field=IntegerField()),
            t_status=Value(Touch.Status.OPEN),
            t_note=Value(""),
            t_created=Value(now),
        )
        querysets.append(qs.order_by().values_list(*SELECT_ALIASES))
    return querysets


def insert_select(qs: QuerySet) -> int:
    """Write the rows of a queryset into the touch table; rows already there are skipped.
    Returns the number of rows written."""
    select_sql, params = qs.query.sql_with_params()
    table = connection.ops.quote_name(Touch._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in INSERT_COLUMNS)
    if connection.vendor == "postgresql":
        sql = f"INSERT INTO {table} ({columns}) {select_sql} ON CONFLICT DO NOTHING"
    else:  # SQLite: the same statement, its own spelling
        sql = f"INSERT OR IGNORE INTO {table} ({columns}) {select_sql}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _without_jit() -> None:
    """Switch PostgreSQL's JIT off for the current transaction. The build's statements are
    index probes whose planned cost is high (a subquery per client), so JIT compiled each
    one, at 100–300 ms a statement, for nothing: the ordinary night took twice as long."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def build_day(
    *,
    due: date,
    agents: AgentRange,
    client_ids: Iterable[int] | None = None,
    late: bool = False,
) -> int:
    """Write every touch due on `due` for these agents (and clients); returns rows written.

    One transaction per kind: a kind that fails leaves the others written, and repeating
    the day writes only what is missing.

    `late` (a client's record changed today): also the occasions nearer than the lead, due
    today. A birthday entered today for today or tomorrow is owed a touch too, although its
    regular due day (3 days before) is past.
    """
    written = 0
    now = timezone.now()
    client_ids = tuple(client_ids) if client_ids is not None else None
    for kind in occasion_kinds().values():
        for lead, only, leave_out in lead_groups(kind=kind, agents=agents):
            leads = [lead]
            if late and kind.late_catch:
                leads += range(lead)
            with transaction.atomic():
                _without_jit()
                for scope_lead in leads:
                    for qs in _rows(
                        kind=kind,
                        scope=BuildScope(due=due, lead_days=scope_lead),
                        agents=agents,
                        only=only,
                        leave_out=leave_out,
                        client_ids=client_ids,
                        now=now,
                    ):
                        written += insert_select(qs)
    return written
