"""The figures the nightly summary keeps, computed from the history in a fixed number of
grouped SQL statements (never a loop over agents, clients or policies).

`month_figures` and `cohort_figures` answer plain rows; `services.service_summary_refresh`
writes them into the summary tables, and the tests compare the table with a fresh answer.

Definitions (the pages state them too):
- A touch counts in the month of its occasion day. Due: closed, or open with its occasion
  past. On time: done by the occasion day (local date); late: done after it; skipped; open:
  still open with the occasion past.
- A promise counts in the month it was due: kept on time (done on or before the due date),
  late, or open past due.
- Silent clients: clients (stage client: prospects left out; not archived, not merged)
  with no contact logged in the 12
  months up to the month's last day (the day of the run for the month under way).
- Lapses: status moves to "lapsed" in the month, any policy the agent serves.
- Introductions: "introduce yourself" touches after a handover whose handover day fell in
  the month and whose 7 days have passed (or that were done); on time: done within 7 days.
- Persistency: see `cohort_figures`.
- Contacts per client by premium band (ServiceMonthBand): see `discipline.bands`, the
  definition shared with the agent's own page.
"""

import datetime
from collections.abc import Sequence

from django.db import connection

from agentcrm.core.calendar import years_before
from clients.models import Client, Commitment, Interaction
from policies.models import Policy, PolicyStatusChange
from touches.models import Touch

from . import backend

INTRODUCTION_KIND = "agent_introduction"
INTRODUCTION_DAYS = 7
# Annualised premium: premium per payment × payments a year (a single premium once).
PAYMENTS_PER_YEAR = {"annual": 1, "semi_annual": 2, "quarterly": 4, "monthly": 12, "single": 1}
# Kept at the point: still in force (grace included), reinstated, paid up, or ended by a
# claim or maturity (not a lapse). Lost: lapsed or surrendered.
KEPT_STATUSES = (
    Policy.Status.IN_FORCE,
    Policy.Status.GRACE,
    Policy.Status.REINSTATED,
    Policy.Status.PAID_UP,
    Policy.Status.MATURED,
    Policy.Status.TERMINATED_CLAIM,
)

_TOUCH = Touch._meta.db_table
_CLIENT = Client._meta.db_table
_COMMITMENT = Commitment._meta.db_table
_INTERACTION = Interaction._meta.db_table
_POLICY = Policy._meta.db_table
_STATUS = PolicyStatusChange._meta.db_table

MONTH_FIELDS = (
    "promises_due",
    "promises_on_time",
    "promises_late",
    "promises_open",
    "contacts",
    "clients_contacted",
    "clients",
    "clients_silent",
    "lapses",
    "lapsed_premium",
    "introductions",
    "introductions_on_time",
)
KIND_FIELDS = ("due", "on_time", "late", "skipped", "open")
COHORT_FIELDS = (
    "policies",
    "premium",
    "reached_13",
    "reached_13_premium",
    "kept_13",
    "kept_13_premium",
    "reached_25",
    "reached_25_premium",
    "kept_25",
    "kept_25_premium",
)


def month_start(day: datetime.date, *, back: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 - back
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_end(month: datetime.date) -> datetime.date:
    return month_start(month, back=-1) - datetime.timedelta(days=1)


def months_from(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = month_start(month, back=-1)
    return months


def annual_premium_sql(alias: str = "p") -> str:
    cases = " ".join(f"WHEN '{k}' THEN {n}" for k, n in PAYMENTS_PER_YEAR.items())
    return f"({alias}.premium * CASE {alias}.payment_frequency {cases} ELSE 1 END)"


def _local(column: str) -> str:
    return backend.local_date(column)


def fetch_rows(sql: str, params) -> list[tuple]:
    """The rows of one raw statement (the figures here are SQL the ORM cannot say)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _owner_filter(column: str, owner_ids) -> str:
    return "" if owner_ids is None else f" AND {backend.in_ids(column, owner_ids)}"


def month_figures(
    *, months: Sequence[datetime.date], today: datetime.date, owner_ids=None
) -> tuple[dict, dict]:
    """({(owner, month): {field: value}}, {(owner, month, kind): {field: value}}) for the
    given months (first days), as of `today`; every agent when owner_ids is None."""
    if not months:
        return {}, {}
    months = sorted(months)
    after = month_start(months[-1], back=-1)
    params = {
        "first": months[0],
        "after": after,
        "first_at": backend.local_midnight(months[0]),
        "after_at": backend.local_midnight(after),
        "today": today,
        "intro": INTRODUCTION_KIND,
    }
    figures: dict = {}

    def add(owner: int, month, **values) -> None:
        row = figures.setdefault((owner, backend.as_date(month)), dict.fromkeys(MONTH_FIELDS, 0))
        for key, value in values.items():
            row[key] += value or 0

    def month_of(col: str) -> str:
        return backend.month_of(col)

    def in_months(col: str) -> str:
        return backend.in_dates(month_of(col), months)

    kinds: dict = {}
    for owner, month, kind, due, on_time, late, skipped, open_ in fetch_rows(
        f"""SELECT t.owner_id, {month_of("t.occasion_date")}, t.kind,
              COUNT(*) FILTER (WHERE t.status <> 'open' OR t.occasion_date < %(today)s),
              COUNT(*) FILTER (WHERE t.status = 'done'
                               AND {_local("t.closed_at")} <= t.occasion_date),
              COUNT(*) FILTER (WHERE t.status = 'done'
                               AND {_local("t.closed_at")} > t.occasion_date),
              COUNT(*) FILTER (WHERE t.status = 'skipped'),
              COUNT(*) FILTER (WHERE t.status = 'open' AND t.occasion_date < %(today)s)
            FROM {_TOUCH} t
            WHERE t.occasion_date >= %(first)s AND t.occasion_date < %(after)s
              AND {in_months("t.occasion_date")}
              {_owner_filter("t.owner_id", owner_ids)}
            GROUP BY 1, 2, 3""",
        params,
    ):
        if due:
            values = (due, on_time, late, skipped, open_)
            key = (owner, backend.as_date(month), kind)
            kinds[key] = dict(zip(KIND_FIELDS, values, strict=True))

    for owner, month, due, on_time, late, open_ in fetch_rows(
        f"""SELECT c.owner_id, {month_of("m.due_date")},
              COUNT(*) FILTER (WHERE m.done_date IS NOT NULL OR m.due_date < %(today)s),
              COUNT(*) FILTER (WHERE m.done_date <= m.due_date),
              COUNT(*) FILTER (WHERE m.done_date > m.due_date),
              COUNT(*) FILTER (WHERE m.done_date IS NULL AND m.due_date < %(today)s)
            FROM {_COMMITMENT} m JOIN {_CLIENT} c ON c.id = m.client_id
            WHERE m.due_date >= %(first)s AND m.due_date < %(after)s
              AND {in_months("m.due_date")}
              {_owner_filter("c.owner_id", owner_ids)}
            GROUP BY 1, 2""",
        params,
    ):
        add(
            owner,
            month,
            promises_due=due,
            promises_on_time=on_time,
            promises_late=late,
            promises_open=open_,
        )

    for owner, month, contacts, reached in fetch_rows(
        f"""SELECT c.owner_id, {month_of("i.date")}, COUNT(*),
              COUNT(DISTINCT i.client_id)
            FROM {_INTERACTION} i JOIN {_CLIENT} c ON c.id = i.client_id
            WHERE i.date >= %(first)s AND i.date < %(after)s AND i.date <= %(today)s
              AND {in_months("i.date")}
              {_owner_filter("c.owner_id", owner_ids)}
            GROUP BY 1, 2""",
        params,
    ):
        add(owner, month, contacts=contacts, clients_contacted=reached)

    # The months as a derived table: (month, its last day or today, 12 months before that).
    lit = backend.date_literal
    month_rows = " UNION ALL ".join(
        f"SELECT {lit(m)} AS month, {lit(end)} AS last_day, {lit(years_before(end, 1))} AS since"
        for m, end in ((m, min(month_end(m), today)) for m in months)
    )
    for owner, month, clients, silent in fetch_rows(
        f"""SELECT c.owner_id, m.month, COUNT(*),
              COUNT(*) FILTER (WHERE NOT EXISTS (
                SELECT 1 FROM {_INTERACTION} i WHERE i.client_id = c.id
                  AND i.date <= m.last_day AND i.date > m.since))
            FROM ({month_rows}) m
            JOIN {_CLIENT} c ON {_local("c.created_at")} <= m.last_day
            WHERE c.merged_into_id IS NULL AND c.stage = 'client'
              AND (c.archived_at IS NULL OR {_local("c.archived_at")} > m.last_day)
              {_owner_filter("c.owner_id", owner_ids)}
            GROUP BY 1, 2""",
        params,
    ):
        add(owner, month, clients=clients, clients_silent=silent)

    for owner, month, lapses, premium in fetch_rows(
        f"""SELECT p.owner_id, {month_of(_local("s.at"))}, COUNT(*),
              SUM({annual_premium_sql()})
            FROM {_STATUS} s JOIN {_POLICY} p ON p.id = s.policy_id
            WHERE s.to_status = 'lapsed' AND s.at >= %(first_at)s AND s.at < %(after_at)s
              AND {in_months(_local("s.at"))}
              {_owner_filter("p.owner_id", owner_ids)}
            GROUP BY 1, 2""",
        params,
    ):
        add(owner, month, lapses=lapses, lapsed_premium=backend.as_decimal(premium))

    for owner, month, due, on_time in fetch_rows(
        f"""SELECT t.owner_id, {month_of("t.occasion_date")},
              COUNT(*) FILTER (WHERE t.status <> 'open'
                 OR {backend.plus_days("t.occasion_date", INTRODUCTION_DAYS)} < %(today)s),
              COUNT(*) FILTER (WHERE t.status = 'done' AND {_local("t.closed_at")}
                 <= {backend.plus_days("t.occasion_date", INTRODUCTION_DAYS)})
            FROM {_TOUCH} t
            WHERE t.kind = %(intro)s
              AND t.occasion_date >= %(first)s AND t.occasion_date < %(after)s
              AND {in_months("t.occasion_date")}
              {_owner_filter("t.owner_id", owner_ids)}
            GROUP BY 1, 2""",
        params,
    ):
        add(owner, month, introductions=due, introductions_on_time=on_time)

    # Keep the rows that say something (an agent with no clients yet has no month row).
    figures = {key: row for key, row in figures.items() if any(row.values())}
    return figures, kinds


def _status_at(point: str) -> str:
    """SQL: the policy's status at the end of the local day `point` (a column): the last
    recorded move on or before it; a policy whose history starts later (imported) has the
    status it was first recorded with; one with no history, its status now."""
    return f"""COALESCE(
        (SELECT s.to_status FROM {_STATUS} s WHERE s.policy_id = pol.id
           AND {_local("s.at")} <= {point} ORDER BY s.at DESC, s.id DESC LIMIT 1),
        (SELECT COALESCE(NULLIF(s.from_status, ''), s.to_status) FROM {_STATUS} s
           WHERE s.policy_id = pol.id ORDER BY s.at, s.id LIMIT 1),
        pol.status)"""


def cohort_figures(*, today: datetime.date, owner_ids=None) -> dict:
    """{(owner, cohort month): {field: value}}: persistency of the agent's own policies.

    A cohort is the own policies (sold by others left out) whose effective date falls in the
    month; left out also: pending applications (not issued) and policies cancelled in the
    cooling-off period (犹豫期退保: surrendered on or before `cooling_off_end`, or straight
    from pending). A policy reaches its 13th (25th) month on its effective date + 13 (25)
    months (29 February + 13 months is 29 March); it is counted once that day has passed,
    as kept when its status at the end of that day is in KEPT_STATUSES. One statement."""
    kept = ", ".join(f"'{s}'" for s in KEPT_STATUSES)
    params = {"today": today}
    sql = f"""
        WITH pol AS (
          SELECT p.id, p.owner_id, p.status,
            {backend.month_of("p.effective_date")} AS month,
            {annual_premium_sql()} AS annual,
            {backend.plus_months("p.effective_date", 13)} AS at13,
            {backend.plus_months("p.effective_date", 25)} AS at25
          FROM {_POLICY} p
          WHERE NOT p.sold_by_others AND p.status <> 'pending'
            AND p.effective_date < %(today)s
            {_owner_filter("p.owner_id", owner_ids)}
            AND NOT EXISTS (
              SELECT 1 FROM {_STATUS} s WHERE s.policy_id = p.id AND s.to_status = 'surrendered'
                AND (s.from_status = 'pending' OR (p.cooling_off_end IS NOT NULL
                     AND {_local("s.at")} <= p.cooling_off_end)))
        ), states AS (
          SELECT pol.owner_id, pol.month, pol.annual,
            CASE WHEN pol.at13 < %(today)s THEN {_status_at("pol.at13")} END AS s13,
            CASE WHEN pol.at25 < %(today)s THEN {_status_at("pol.at25")} END AS s25
          FROM pol
        )
        SELECT owner_id, month, COUNT(*), COALESCE(SUM(annual), 0),
          COUNT(s13), COALESCE(SUM(annual) FILTER (WHERE s13 IS NOT NULL), 0),
          COUNT(*) FILTER (WHERE s13 IN ({kept})),
          COALESCE(SUM(annual) FILTER (WHERE s13 IN ({kept})), 0),
          COUNT(s25), COALESCE(SUM(annual) FILTER (WHERE s25 IS NOT NULL), 0),
          COUNT(*) FILTER (WHERE s25 IN ({kept})),
          COALESCE(SUM(annual) FILTER (WHERE s25 IN ({kept})), 0)
        FROM states GROUP BY 1, 2"""
    money = {i for i, name in enumerate(COHORT_FIELDS) if name.endswith("premium")}
    return {
        (row[0], backend.as_date(row[1])): {
            name: backend.as_decimal(value) if i in money else value
            for i, (name, value) in enumerate(zip(COHORT_FIELDS, row[2:], strict=True))
        }
        for row in fetch_rows(sql, params)
    }
