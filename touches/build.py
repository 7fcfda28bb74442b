"""The touch build: turn every registered occasion kind into touches, and run it by day.

**The statement.** For one due day and one range of agents, each kind is asked once per
distinct lead time in use (the default, and each lead an agent chose), and each answer is
written with one `INSERT … SELECT … ON CONFLICT DO NOTHING`. Nothing is read into Python but
the agents' settings; the unique constraint on Touch makes every statement safe to repeat.

**The run.** The nightly task asks `touch_build_plan` for the days not built yet (from the
day after the marker up to today + HORIZON_DAYS, so the dashboard can show the coming week),
splits each day into batches of agents, and queues one task per batch. Each batch claims
itself with a conditional update, builds, and marks itself done; the batch that completes a
day moves the marker, but only over days that are complete, in order. A redelivered task, a
second beat or a second worker repeats statements whose rows already exist: nothing is
written twice. A changed record rebuilds the days already built for its client only
(`touch_rebuild_for_client`), for the kinds it feeds; a bulk write rebuilds all the clients
it wrote at once (`touch_build_for_clients`, reached through the registry's
`touches_rebuild_for_clients`, the rule every bulk write follows): one statement per kind and
lead group, the union of every built day, with the clients read from a temporary table when
there are thousands (an import), not one statement per day with the ids in each.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import DateField, F, IntegerField, Max, Min, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from agentcrm.accounts.models import User
from agentcrm.core.models import JobMarker
from agentcrm.core.services import job_marker_record_success
from clients.models import Client

from .models import BUILD_JOB, Touch, TouchBuildBatch, TouchBuildRun, TouchPreference
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
    client_ids: "Iterable[int] | QuerySet | None",
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
            ids = client_ids if isinstance(client_ids, QuerySet | RawSQL) else list(client_ids)
            qs = qs.filter(t_client__in=ids)
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
    client_ids: "Iterable[int] | QuerySet | None" = None,
    late: bool = False,
    kinds: Iterable[str] | None = None,
    counts: Counter | None = None,
) -> int:
    """Write every touch due on `due` for these agents (and clients); returns rows written.

    One transaction per kind: a kind that fails leaves the others written, and repeating
    the day writes only what is missing.

    `late` (a client's record changed today): also the occasions nearer than the lead, due
    today. A birthday entered today for today or tomorrow is owed a touch too, although its
    regular due day (3 days before) is past.

    `client_ids`: a list of ids, or a queryset of client ids (a subquery). `counts`, when
    given, is added the rows written per kind.
    """
    written = 0
    now = timezone.now()
    if client_ids is not None and not isinstance(client_ids, QuerySet):
        client_ids = tuple(client_ids)
    wanted = set(kinds) if kinds is not None else None
    for kind in occasion_kinds().values():
        if wanted is not None and kind.key not in wanted:
            continue
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
                        made = insert_select(qs)
                        written += made
                        if counts is not None and made:
                            counts[kind.key] += made
    return written


# --- the run: days, batches and the marker ----------------------------------------
HORIZON_DAYS = 7
# Agents per batch (one task each). Each kind's statement scans its rows once per batch, so
# fewer, larger batches read less: the ordinary night at 250,000 clients (250 agents), in
# one process, took 3.6 s in batches of 50 agents, 2.0 s of 125, 1.9–2.1 s of 250
# (bench: batches of the same night). 125 keeps 8 batches for 1,000 agents, enough for two
# workers to share, and each statement well under a second.
AGENTS_PER_BATCH = 125
# A first build (no marker yet) starts this many days back, so today's overdue list is full.
FIRST_BUILD_DAYS_BACK = 7


@dataclass(frozen=True)
class BuildPlan:
    days: list[date]
    batch_ids: list[int]


def _agent_id_ranges(size: int) -> list[tuple[int, int]]:
    """Contiguous id ranges of at most `size` agents: one query over the users' ids."""
    ids = list(User.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    return [
        (chunk[0], chunk[-1]) for chunk in (ids[i : i + size] for i in range(0, len(ids), size))
    ]


def touch_build_days(*, today: date) -> list[date]:
    marker = JobMarker.objects.filter(name=BUILD_JOB).values_list("last_completed_day", flat=True)
    last = marker.first()
    start = last + timedelta(days=1) if last else today - timedelta(days=FIRST_BUILD_DAYS_BACK)
    end = today + timedelta(days=HORIZON_DAYS)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@transaction.atomic
def touch_build_plan(*, today: date, agents_per_batch: int = AGENTS_PER_BATCH) -> BuildPlan:
    """Create the runs and batches still to do, and return the batches not done yet."""
    days = touch_build_days(today=today)
    ranges = _agent_id_ranges(agents_per_batch)
    for day in days:
        run, created = TouchBuildRun.objects.get_or_create(
            day=day, defaults={"batches_total": len(ranges)}
        )
        if created and ranges:
            TouchBuildBatch.objects.bulk_create(
                [
                    TouchBuildBatch(run=run, number=n, first_owner_id=first, last_owner_id=last)
                    for n, (first, last) in enumerate(ranges)
                ],
                ignore_conflicts=True,
            )
        elif created:
            _run_complete(run_id=run.pk)
    pending = TouchBuildBatch.objects.filter(run__day__in=days, done_at__isnull=True)
    return BuildPlan(
        days=days,
        batch_ids=list(pending.order_by("run__day", "number").values_list("id", flat=True)),
    )


def touch_build_batch(*, batch_id: int) -> int:
    """Build one batch; safe to run twice or at the same time as a copy of itself."""
    batch = TouchBuildBatch.objects.select_related("run").get(pk=batch_id)
    if batch.done_at is not None:
        return 0
    written = build_day(
        due=batch.run.day, agents=AgentRange(batch.first_owner_id, batch.last_owner_id)
    )
    with transaction.atomic():
        claimed = TouchBuildBatch.objects.filter(pk=batch_id, done_at__isnull=True).update(
            done_at=timezone.now(), touches_written=written
        )
        if claimed:
            TouchBuildRun.objects.filter(pk=batch.run_id).update(
                batches_done=F("batches_done") + 1,
                touches_written=F("touches_written") + written,
            )
    if claimed:
        _run_complete(run_id=batch.run_id)
    return written


def _run_complete(*, run_id: int) -> None:
    TouchBuildRun.objects.filter(
        pk=run_id, completed_at__isnull=True, batches_done__gte=F("batches_total")
    ).update(completed_at=timezone.now())
    touch_build_marker_advance()


def touch_build_marker_advance() -> date | None:
    """Move the marker to the last day of the unbroken series of complete runs after it."""
    marker, _ = JobMarker.objects.get_or_create(name=BUILD_JOB)
    runs = TouchBuildRun.objects.all()
    if marker.last_completed_day:
        runs = runs.filter(day__gt=marker.last_completed_day)
    incomplete = runs.filter(completed_at__isnull=True).aggregate(first=Min("day"))["first"]
    complete = runs.filter(completed_at__isnull=False)
    if incomplete:
        complete = complete.filter(day__lt=incomplete)
    last = complete.aggregate(last=Max("day"))["last"]
    if last:
        job_marker_record_success(name=BUILD_JOB, day=last)
    return last


def touch_build_now(*, today: date, days: list[date] | None = None) -> int:
    """Build synchronously (the build_touches command; tests): the same batches, in-process."""
    if days is None:
        plan = touch_build_plan(today=today)
        return sum(touch_build_batch(batch_id=batch_id) for batch_id in plan.batch_ids)
    # Explicit days are rebuilt whatever the marker says; the marker is left alone.
    everyone = AgentRange(0, 2**62)
    return sum(build_day(due=day, agents=everyone) for day in days)


def touch_rebuild_for_client(
    *, client_id: int, owner_id: int, today: date, kinds: Iterable[str] | None = None
) -> int:
    """After a client's record changed (a new family member, a policy, a life event…): build
    the days already built again, for that client only, so the change shows before tomorrow.

    Only adds: touches already made stay as they are, since the agent may have snoozed or
    annotated them; one made from a date since corrected can be skipped with a reason.
    """
    # A corrected date: the open touches it no longer gives go first (done ones stay).
    touch_retire_moved(client_ids=[client_id], kinds=kinds)
    counts = touch_build_for_clients(
        client_ids=[client_id], owner_ids=[owner_id], today=today, kinds=kinds
    )
    return sum(counts.values())


def touch_built_days(*, today: date) -> list[date]:
    """The days from today through the last day the nightly build has built: the window a
    rebuild writes. Empty when nothing is built ahead (the nightly build will see the
    records then). Never a day before today: an occasion already past when a record
    arrives is not owed a touch."""
    marker = JobMarker.objects.filter(name=BUILD_JOB).values_list("last_completed_day", flat=True)
    last = marker.first()
    if last is None or last < today:
        return []
    return [today + timedelta(days=i) for i in range((last - today).days + 1)]


def touch_build_for_clients(
    *,
    client_ids: "Iterable[int] | QuerySet",
    today: date | None = None,
    kinds: Iterable[str] | None = None,
    owner_ids: Iterable[int] | None = None,
) -> dict[str, int]:
    """The engine's side of the bulk-write rule (`touches.registry.touches_rebuild_for_clients`
    sends `clients_bulk_written`, answered by this): every touch due in the built window
    (`touch_built_days`) for these clients, set-based: one statement per kind and lead group
    for all of them, over every day of the window (`_build_days_for_clients`), today's
    nearer occasions included (`late`); thousands of clients are read from a temporary table
    (`_client_set`), not sent as a list with every statement. Returns {kind: touches made}.
    `owner_ids` (the clients' agents) saves the one query that finds them."""
    today = today or timezone.localdate()
    days = touch_built_days(today=today)
    if not isinstance(client_ids, QuerySet):
        client_ids = sorted(set(client_ids))
        if not client_ids:
            return {}
    if not days:
        return {}
    counts: Counter = Counter()
    with _client_set(client_ids) as clients:
        if owner_ids is None:
            owner_ids = (
                Client.objects.filter(pk__in=clients)
                .order_by()
                .values_list("owner_id", flat=True)
                .distinct()
            )
        owner_ids = sorted(set(owner_ids))
        if not owner_ids:
            return {}
        agents = AgentRange(owner_ids[0], owner_ids[-1], ids=tuple(owner_ids))
        _build_days_for_clients(
            days=days, today=today, agents=agents, client_ids=clients, kinds=kinds, counts=counts
        )
    return dict(counts)


# Above this many clients, a rebuild reads them from a temporary table (one statement fills
# it) instead of a list of ids repeated in every statement.
CLIENT_SET_TABLE_FROM = 200
_CLIENT_SET = "touch_rebuild_clients"


class _ClientSet:
    def __init__(self, client_ids):
        self.client_ids = client_ids
        self.table = False

    def __enter__(self):
        ids = self.client_ids
        if isinstance(ids, QuerySet) or len(ids) < CLIENT_SET_TABLE_FROM:
            return ids
        quote = connection.ops.quote_name(_CLIENT_SET)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {quote}")
            cursor.execute(f"CREATE TEMPORARY TABLE {quote} (id bigint PRIMARY KEY)")
            if connection.vendor == "postgresql":
                cursor.execute(f"INSERT INTO {quote} (id) SELECT unnest(%s::bigint[])", [ids])
                cursor.execute(f"ANALYZE {quote}")
            else:
                cursor.executemany(f"INSERT INTO {quote} (id) VALUES (%s)", [(i,) for i in ids])
        self.table = True
        return RawSQL(f"SELECT id FROM {quote}", [])

    def __exit__(self, exc_type, exc, _tb):
        # After an error the transaction is rolled back (the table with it); a statement
        # now would fail and hide the error. A table left outside a transaction is dropped
        # by the next rebuild of this connection, before it fills its own.
        if self.table and exc_type is None:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(_CLIENT_SET)}")
        return False


def _client_set(client_ids) -> _ClientSet:
    """The clients of a rebuild as something every statement can filter on: the queryset or
    short list given, or, for a long list (an import's thousands of clients), a temporary
    table filled once and read as a subquery."""
    return _ClientSet(client_ids)


def _build_days_for_clients(
    *, days: list[date], today: date, agents: AgentRange, client_ids, kinds, counts: Counter
) -> None:
    """Every touch due on `days` for these clients: per kind and lead group ONE statement,
    the union of its days and leads (today's nearer occasions included), not one per day and
    lead. The touch table's unique constraint drops what is already there (and a row two
    parts of the union give twice)."""
    wanted = set(kinds) if kinds is not None else None
    now = timezone.now()
    for kind in occasion_kinds().values():
        if wanted is not None and kind.key not in wanted:
            continue
        for lead, only, leave_out in lead_groups(kind=kind, agents=agents):
            parts = []
            for day in days:
                leads = [lead]
                if day == today and kind.late_catch:
                    leads += range(lead)
                for scope_lead in leads:
                    parts += _rows(
                        kind=kind,
                        scope=BuildScope(due=day, lead_days=scope_lead),
                        agents=agents,
                        only=only,
                        leave_out=leave_out,
                        client_ids=client_ids,
                        now=now,
                    )
            if not parts:
                continue
            with transaction.atomic():
                _without_jit()
                combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
                made = insert_select(combined)
            if made:
                counts[kind.key] += made


def touch_build_on_bulk_write(sender, *, client_ids, kinds=None, today=None, **kwargs):
    """Receiver of `clients_bulk_written` (connected in TouchesConfig.ready())."""
    return touch_build_for_clients(client_ids=client_ids, kinds=kinds, today=today)


def touch_retire_moved(*, client_ids: Iterable[int], kinds: Iterable[str] | None = None) -> int:
    """Retire the open touches of these clients that were built from a date since corrected:
    for each kind marked `dated` (of `kinds`, when given), the kind's source is asked for
    the day of each open touch (lead 0, so the occasion is that day), and an open touch it
    no longer gives (same client, agent and source on that day) is deleted, from the
    dashboard and the calendar feed at once. Done and skipped touches stay in the history.
    One query for the open touches and one per kind and occasion day among them."""
    wanted = set(kinds) if kinds is not None else None
    dated = {
        key: kind
        for key, kind in occasion_kinds().items()
        if kind.dated and (wanted is None or key in wanted)
    }
    client_ids = list(client_ids)
    if not dated or not client_ids:
        return 0
    open_touches = Touch.objects.filter(
        client_id__in=client_ids, status=Touch.Status.OPEN, kind__in=list(dated)
    ).values_list("pk", "kind", "occasion_date", "client_id", "owner_id", "source")
    by_day: dict[tuple[str, date], list[tuple]] = defaultdict(list)
    for pk, kind, day, client_id, owner_id, source in open_touches:
        by_day[(kind, day)].append((pk, client_id, owner_id, source))
    retired: list[int] = []
    for (key, day), touches in by_day.items():
        still: set[tuple] = set()
        for qs in dated[key].source(BuildScope(due=day, lead_days=0)):
            rows = qs.filter(t_client__in={t[1] for t in touches}, t_occasion=day)
            still.update(rows.order_by().values_list("t_client", "t_owner", "t_source"))
        retired += [pk for pk, *who in touches if tuple(who) not in still]
    if retired:
        Touch.objects.filter(pk__in=retired, status=Touch.Status.OPEN).delete()
    return len(retired)


def touch_rebuild_collected(
    *, collected: dict[tuple[int, int], set[str] | None], today: date
) -> int:
    """The rebuild after a bulk write of saves (`touches.triggers.rebuilds_collected`): the
    days already built, for every collected client at once, set-based (one statement per
    kind and day for all of them), for the union of the kinds their saves fed."""
    if not collected:
        return 0
    kinds: set[str] | None = set()
    for fed in collected.values():
        if fed is None:
            kinds = None
            break
        kinds |= fed
    client_ids = {client for client, _owner in collected}
    touch_retire_moved(client_ids=client_ids, kinds=kinds)
    counts = touch_build_for_clients(
        owner_ids={owner for _client, owner in collected},
        client_ids=client_ids,
        today=today,
        kinds=kinds,
    )
    return sum(counts.values())


def touches_insert_rows(
    *, kind: str, rows: QuerySet, due: date, priority: int | None = None, note: str = ""
) -> int:
    """Write touches of a registered `kind` from `rows` (a queryset annotated by the
    registry's `occasion_rows`) with ONE `INSERT … SELECT`, all due on `due`: for writes
    that are not an occasion of the nightly build but a decision of the agent (a campaign
    to a filtered audience). Nothing is read into Python; rows already there (same agent,
    client, kind, occasion and source) are skipped. Returns the touches written."""
    registered = occasion_kinds().get(kind)
    if registered is None:
        raise ValueError(f"occasion kind {kind!r} is not registered")
    qs = rows.annotate(
        t_kind=Value(kind),
        t_due=Cast(Value(due), DateField()),
        t_priority=Value(
            registered.priority if priority is None else priority, output_field=IntegerField()
        ),
        t_status=Value(Touch.Status.OPEN),
        t_note=Value(note),
        t_created=Value(timezone.now()),
    )
    with transaction.atomic():
        _without_jit()
        return insert_select(qs.order_by().values_list(*SELECT_ALIASES))
