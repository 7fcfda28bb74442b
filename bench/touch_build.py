"""The nightly touch build at scale, its write ceiling, and the dashboard (issue 4).

Generates agents × clients (default 1,000 × 1,000) with ~1.5 policies each, riders, payouts,
family members, interactions, 10% lunar birthdays… with set-based SQL, then builds one due
day the way the worker does: `touch_build_batch` for every batch of the day, in a worker
process of its own (spawned, its own connection), and again in 2 processes in parallel.

Figures:
- ordinary day (no festival in reach) at 1/4 of the agents and at all of them: build time,
  touches written, touches/s, the worker's peak RSS and Python heap peak (flat as clients grow);
- worst day (the gift lead day of Spring Festival 2027: every active client), 1 and 2 workers;
- the ceiling: one plain INSERT … SELECT … ON CONFLICT DO NOTHING of as many rows into an
  empty copy of the touch table (same columns, indexes and unique constraint), and build/ceiling;
  for comparison, the same statement with the touch table's foreign keys, and into the touch
  table itself (populated: inserts land inside its indexes, not at their right edge);
- WAL written by each build and ceiling (pg_stat_wal, cluster-wide);
- the dashboard of an agent with 2,000 clients and 300 open touches: queries, median/p95 ms.

Each measured day is built the night before first (not timed), so it is a steady-state night:
the "not contacted for a long time" backlog of a first build is not counted in it.

Scale: BENCH_TOUCH_AGENTS (1000), BENCH_TOUCH_CLIENTS_PER_AGENT (1000). PostgreSQL only.
"""

import contextlib
import multiprocessing
import os
import queue
import resource
import statistics
import time
import traceback
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agentcrm.accounts.models import User
from agentcrm.core.models import JobMarker
from clients.models import Client
from clients.selectors import contactable
from touches import build, registry
from touches.build import INSERT_COLUMNS, AgentRange, build_day
from touches.models import Touch, TouchBuildRun

AGENTS = int(os.environ.get("BENCH_TOUCH_AGENTS", "1000"))
CLIENTS_PER_AGENT = int(os.environ.get("BENCH_TOUCH_CLIENTS_PER_AGENT", "1000"))
# Ordinary days: no festival within its gift lead, in November 2026.
SMALL_DAY = date(2026, 11, 17)
ORDINARY_DAY = date(2026, 11, 24)
# Spring Festival 2027 is 6 February; its gift lead is 7 days.
WORST_DAY = date(2027, 1, 30)
DASHBOARD_CLIENTS = 2000
DASHBOARD_OPEN = 300
WORKER_TIMEOUT = 3600


# --- data ------------------------------------------------------------------------------------


def _sql(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _scalar(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _seed_shared() -> None:
    _sql(
        "INSERT INTO policies_insurer (name, grace_days, confirmed) "
        "SELECT '保险公司' || g, 60, true FROM generate_series(1, 5) g ON CONFLICT DO NOTHING"
    )


def _add_agents(count: int, prefix: str) -> tuple[int, int]:
    """`count` agents (one fixed password hash); returns their first and last id."""
    start = _scalar("SELECT count(*) FROM accounts_user") + 1
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined, role, display_name, phone)"
            " SELECT %s, false, %s || g, '', '', '', false, true, now(), 'agent', '', ''"
            " FROM generate_series(%s, %s) g RETURNING id",
            [make_password("bench"), prefix, start, start + count - 1],
        )
        ids = [row[0] for row in cursor.fetchall()]
    return min(ids), max(ids)


# Month*100+day of a date column, as birth_md / wedding_md / anniversary_md are kept.
def _md(column: str) -> str:
    return f"(extract(month from {column}) * 100 + extract(day from {column}))::int"


def _populate(first: int, last: int, per_agent: int) -> dict:
    """Clients and everything the occasion kinds read, for agents first..last (ids)."""
    owners = {"first": first, "last": last, "n": per_agent}
    counts = {}
    # Clients: birthdays over the year, 10% celebrated on the lunar calendar (day <= 29 so
    # every date exists), half married, 10% prospects, 1% do-not-contact, 1% archived.
    counts["clients"] = _sql(
        f"""
        INSERT INTO clients_client (owner_id, name, gender, mobile, phone_other, wechat_id, email,
            address, occupation, employer, industry, marital_status, wedding_date, wedding_md,
            income_band, interests, vip_tier, is_influence_centre, source, stage, do_not_contact,
            do_not_contact_reason, notes, archived_at, created_at, updated_at, birth_date,
            birth_md, lunar_birth_year, lunar_birth_month, lunar_birth_day, lunar_birth_leap,
            birthday_calendar, salutation, greeting_style, id_number, id_number_digest)
        SELECT owner_id, '客户' || owner_id || '-' || g,
            CASE WHEN r1 < 0.5 THEN 'female' ELSE 'male' END, '', '', '', '', '',
            CASE WHEN r2 < 0.04 THEN '教师' WHEN r2 < 0.05 THEN '军人'
                 WHEN r2 < 0.5 THEN '职员' ELSE '' END,
            '', '', CASE WHEN wd IS NULL THEN '' ELSE 'married' END, wd,
            CASE WHEN wd IS NOT NULL THEN {_md("wd")} END,
            '', '', 'standard', false, 'other',
            CASE WHEN r3 < 0.1 THEN 'prospect' ELSE 'client' END, r4 < 0.01, '', '',
            CASE WHEN r5 < 0.01 THEN now() END, created, created, bd, {_md("bd")},
            CASE WHEN lunar THEN extract(year from bd)::int END,
            CASE WHEN lunar THEN 1 + floor(r6 * 12)::int END,
            CASE WHEN lunar THEN 1 + floor(r7 * 29)::int END,
            false, CASE WHEN lunar THEN 'lunar' ELSE 'solar' END, '', 'formal', '', ''
        FROM (
            SELECT u.id AS owner_id, g, random() AS r1, random() AS r2, random() AS r3,
                random() AS r4, random() AS r5, random() AS r6, random() AS r7,
                date '1950-01-01' + floor(random() * 20000)::int AS bd,
                CASE WHEN random() < 0.5
                     THEN date '1980-01-01' + floor(random() * 15700)::int END AS wd,
                random() < 0.1 AS lunar,
                timestamptz '2023-01-01' + random() * interval '1370 days' AS created
            FROM accounts_user u CROSS JOIN generate_series(1, %(n)s) g
            WHERE u.id BETWEEN %(first)s AND %(last)s
            ORDER BY u.id, g
        ) s
        """,
        owners,
    )
    # Family: a spouse or a parent for everyone, a child for every other client.
    counts["family"] = _sql(
        f"""
        INSERT INTO clients_familymember (client_id, relation, name, gender, is_living, notes,
            birth_date, birth_md, lunar_birth_year, lunar_birth_month, lunar_birth_day,
            lunar_birth_leap, birthday_calendar)
        SELECT client_id, relation, '家人' || k, 'unknown', r1 > 0.05, '', bd, {_md("bd")},
            CASE WHEN lunar THEN extract(year from bd)::int END,
            CASE WHEN lunar THEN 1 + floor(r2 * 12)::int END,
            CASE WHEN lunar THEN 1 + floor(r3 * 29)::int END,
            false, CASE WHEN lunar THEN 'lunar' ELSE 'solar' END
        FROM (
            SELECT c.id AS client_id, k,
                CASE WHEN k = 2 THEN 'child' WHEN c.id %% 3 = 0 THEN 'parent' ELSE 'spouse' END
                    AS relation,
                CASE WHEN k = 2 THEN date '2000-01-01' + floor(random() * 9000)::int
                     WHEN c.id %% 3 = 0 THEN date '1930-01-01' + floor(random() * 9000)::int
                     ELSE date '1955-01-01' + floor(random() * 15000)::int END AS bd,
                random() < 0.1 AS lunar, random() AS r1, random() AS r2, random() AS r3
            FROM clients_client c CROSS JOIN LATERAL generate_series(1, 1 + (c.id %% 2)::int) k
            WHERE c.owner_id BETWEEN %(first)s AND %(last)s
        ) s
        """,
        owners,
    )
    # Policies: 1 or 2 per client (1.5 on average), effective dates 2008–Nov 2026; the next
    # premium due is the next anniversary from 1 Nov 2026, kept for premium-paying statuses.
    counts["policies"] = _sql(
        f"""
        INSERT INTO policies_policy (owner_id, insurer_id, product_name, policy_type, number,
            holder_id, insured_client_id, sum_assured, premium, currency, payment_frequency,
            payment_term_years, coverage_kind, coverage_value, effective_date, cooling_off_end,
            status, status_changed_at, anniversary_md, premium_next_due, premium_grace_end,
            notes, created_at, updated_at, sold_by_others, sold_through)
        SELECT owner_id, insurers[1 + client_id %% 5], product, ptype, 'B' || client_id || '-' || k,
            client_id, client_id, 500000, 8000, 'CNY', 'annual', 20, 'whole_life', NULL, eff,
            eff + 15, status, now(), {_md("eff")},
            CASE WHEN status = 'grace' THEN (next_due - interval '1 year')::date
                 WHEN status IN ('in_force', 'reinstated') THEN next_due END,
            CASE WHEN status = 'grace' THEN (next_due - interval '1 year')::date + 60
                 WHEN status IN ('in_force', 'reinstated') THEN next_due + 60 END,
            '', now(), now(), false, ''
        FROM (
            SELECT *, CASE WHEN this_year >= date '2026-11-01' THEN this_year
                           ELSE (this_year + interval '1 year')::date END AS next_due
            FROM (
                SELECT c.owner_id, c.id AS client_id, k, eff,
                    (eff + make_interval(years => 2026 - extract(year from eff)::int))::date
                        AS this_year,
                    CASE WHEN r < 0.85 THEN 'in_force' WHEN r < 0.90 THEN 'grace'
                         WHEN r < 0.94 THEN 'lapsed' WHEN r < 0.97 THEN 'paid_up'
                         ELSE 'surrendered' END AS status,
                    CASE WHEN k = 1 THEN '终身寿险' ELSE '重大疾病保险' END AS product,
                    CASE WHEN k = 1 THEN 'life' ELSE 'critical_illness' END AS ptype,
                    (SELECT array_agg(id ORDER BY id) FROM policies_insurer) AS insurers
                FROM (
                    SELECT c.owner_id, c.id, k, random() AS r,
                        date '2008-01-01' + floor(random() * 6900)::int AS eff
                    FROM clients_client c
                    CROSS JOIN LATERAL generate_series(1, 1 + (c.id %% 2)::int) k
                    WHERE c.owner_id BETWEEN %(first)s AND %(last)s
                ) c
            ) p
        ) q
        """,
        owners,
    )
    # Riders on 30% of policies, renewed yearly: they expire on the next anniversary.
    counts["riders"] = _sql(
        """
        INSERT INTO policies_rider (policy_id, name, sum_assured, premium, start_date,
            expiry_date, yearly_renewable, policy_type)
        SELECT p.id, '附加意外伤害保险', 100000, 300, p.effective_date,
            GREATEST(COALESCE(p.premium_next_due, p.effective_date + 7300), p.effective_date),
            true, ''
        FROM policies_policy p
        WHERE p.owner_id BETWEEN %(first)s AND %(last)s AND p.id %% 10 < 3
        """,
        owners,
    )
    # Survival benefits on 10% of policies: three yearly payouts on the anniversary.
    counts["payouts"] = _sql(
        """
        INSERT INTO policies_payout (policy_id, date, amount, kind, claimed)
        SELECT p.id, (p.effective_date + make_interval(
                years => y - extract(year from p.effective_date)::int))::date,
            5000, 'survival', false
        FROM policies_policy p CROSS JOIN generate_series(2026, 2028) y
        WHERE p.owner_id BETWEEN %(first)s AND %(last)s AND p.id %% 10 = 3
            AND y > extract(year from p.effective_date)
        """,
        owners,
    )
    # Interactions: 1–3 for 70% of clients over the last two years.
    counts["interactions"] = _sql(
        """
        INSERT INTO clients_interaction (client_id, kind, date, summary, created_at)
        SELECT c.id, 'call', date '2026-11-20' - floor(random() * 720)::int, '电话回访', now()
        FROM clients_client c CROSS JOIN LATERAL generate_series(1, 1 + (c.id %% 3)::int) k
        WHERE c.owner_id BETWEEN %(first)s AND %(last)s AND c.id %% 10 < 7
        """,
        owners,
    )
    # Each client's last contact, as clients.services.client_last_contact_refresh keeps it.
    _sql(
        """
        UPDATE clients_client c SET last_contact_on = (
            SELECT max(i.date) FROM clients_interaction i WHERE i.client_id = c.id)
        WHERE c.owner_id BETWEEN %(first)s AND %(last)s
        """,
        owners,
    )
    counts["segments"] = _sql(
        """
        INSERT INTO clients_client_segments (client_id, segment_id)
        SELECT c.id, s.ids[1 + (c.id / 10) %% array_length(s.ids, 1)]
        FROM clients_client c, (SELECT array_agg(id ORDER BY id) AS ids FROM clients_segment) s
        WHERE c.owner_id BETWEEN %(first)s AND %(last)s AND c.id %% 10 = 0
        """,
        owners,
    )
    # A few of the rarer records: yearly custom dates, promises, life events.
    counts["custom_dates"] = _sql(
        """
        INSERT INTO clients_customdate (client_id, name, calendar, year, month, day, leap)
        SELECT c.id, '开业纪念日', CASE WHEN c.id %% 5 = 0 THEN 'lunar' ELSE 'solar' END, 2015,
            1 + floor(random() * 12)::int, 1 + floor(random() * 28)::int, false
        FROM clients_client c WHERE c.owner_id BETWEEN %(first)s AND %(last)s AND c.id %% 20 = 1
        """,
        owners,
    )
    counts["commitments"] = _sql(
        """
        INSERT INTO clients_commitment (client_id, description, due_date, done_date, created_at)
        SELECT c.id, '送资料', date '2026-11-01' + floor(random() * 120)::int, NULL, now()
        FROM clients_client c WHERE c.owner_id BETWEEN %(first)s AND %(last)s AND c.id %% 50 = 2
        """,
        owners,
    )
    counts["life_events"] = _sql(
        """
        INSERT INTO clients_lifeevent (client_id, kind, date, notes, created_at)
        SELECT c.id, (ARRAY['hospitalised', 'new_baby', 'promotion', 'moved'])[1 + c.id %% 4],
            date '2026-11-01' + floor(random() * 120)::int, '', now()
        FROM clients_client c WHERE c.owner_id BETWEEN %(first)s AND %(last)s AND c.id %% 100 = 3
        """,
        owners,
    )
    return counts


def _vacuum(table: str = "") -> None:
    """VACUUM ANALYZE (hint bits, visibility map, statistics): a database in service has
    them; a freshly loaded one makes the first reader pay for them."""
    _sql(f"VACUUM (ANALYZE) {table}")


def _checkpoint() -> None:
    with contextlib.suppress(Exception):  # not a superuser: the figures are a little noisier
        _sql("CHECKPOINT")


def _generate(report, *, count: int, prefix: str, per_agent: int) -> tuple[int, int]:
    start = time.perf_counter()
    first, last = _add_agents(count, prefix)
    counts = _populate(first, last, per_agent)
    loaded = time.perf_counter() - start
    _vacuum()
    report(
        f"touch data: +{count} agents",
        seconds=round(loaded, 1),
        vacuum_analyze_s=round(time.perf_counter() - start - loaded, 1),
        **counts,
    )
    return first, last


# --- the build, as the worker runs it --------------------------------------------------------


def _worker(db_name: str, batch_ids: list[int], ready, start, results) -> None:
    """One worker process: its own connection, the batches it was given, in order."""
    try:
        import tracemalloc

        from django.conf import settings
        from django.db import connection as conn

        settings.DATABASES["default"]["NAME"] = db_name
        conn.settings_dict["NAME"] = db_name
        conn.ensure_connection()
        from touches.build import touch_build_batch

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        ready.put(os.getpid())
        start.wait()
        tracemalloc.start()
        began = time.perf_counter()
        written = sum(touch_build_batch(batch_id=batch_id) for batch_id in batch_ids)
        seconds = time.perf_counter() - began
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        results.put(
            {
                "seconds": seconds,
                "written": written,
                "rss_before_kb": rss_before,
                "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "py_peak_b": peak,
            }
        )
        conn.close()
    except BaseException:
        results.put({"error": traceback.format_exc()})
        ready.put(None)


def _plan_day(day: date) -> list[int]:
    """The batches of exactly one due day, from the service the nightly task calls: with the
    marker on the day before, planning for `day - HORIZON_DAYS` plans `day` alone."""
    JobMarker.objects.update_or_create(
        name=build.BUILD_JOB, defaults={"last_completed_day": day - timedelta(days=1)}
    )
    plan = build.touch_build_plan(today=day - timedelta(days=build.HORIZON_DAYS))
    assert plan.days == [day], plan.days
    return plan.batch_ids


def _unbuild_day(day: date) -> None:
    """Undo a day's build so it can be measured again (then vacuum, as autovacuum would)."""
    TouchBuildRun.objects.filter(day=day).delete()
    _sql("DELETE FROM touches_touch WHERE due_date = %s", [day])
    _vacuum("touches_touch")


def _build(day: date, *, workers: int) -> dict:
    """Build `day` in `workers` spawned processes, batches dealt out round-robin. The time
    runs from the moment every worker is connected and ready until the last one finishes."""
    batch_ids = _plan_day(day)
    ctx = multiprocessing.get_context("spawn")
    ready, results, start = ctx.Queue(), ctx.Queue(), ctx.Event()
    db_name = connection.settings_dict["NAME"]
    procs = [
        ctx.Process(target=_worker, args=(db_name, batch_ids[n::workers], ready, start, results))
        for n in range(workers)
    ]
    for proc in procs:
        proc.start()
    try:
        for _ in procs:
            if ready.get(timeout=120) is None:
                break
        _checkpoint()
        wal = _wal()
        began = time.perf_counter()
        start.set()
        outcomes = []
        for _ in procs:
            try:
                outcomes.append(results.get(timeout=WORKER_TIMEOUT))
            except queue.Empty:
                raise RuntimeError(f"a build worker took more than {WORKER_TIMEOUT} s") from None
        wall = time.perf_counter() - began
        wal_figures = _wal_figures(wal)
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
    errors = [o["error"] for o in outcomes if "error" in o]
    if errors:
        raise RuntimeError("build worker failed:\n" + "\n".join(errors))
    run = TouchBuildRun.objects.get(day=day)
    assert run.completed_at is not None and run.batches_done == len(batch_ids)
    written = sum(o["written"] for o in outcomes)
    return {
        "seconds": round(wall, 2),
        "touches": written,
        "per_s": round(written / wall) if wall else 0,
        "batches": len(batch_ids),
        "rss_mb": round(max(o["rss_kb"] for o in outcomes) / 1024, 1),
        "rss_growth_mb": round(max(o["rss_kb"] - o["rss_before_kb"] for o in outcomes) / 1024, 1),
        "py_peak_mb": round(max(o["py_peak_b"] for o in outcomes) / 2**20, 2),
        **wal_figures,
    }


def _measure_day(report, name: str, day: date, *, clients: int, workers=(1,)) -> dict:
    """Build the night before (not timed), then `day` with each number of workers."""
    before = _build(day - timedelta(days=1), workers=1)
    report(f"{name}: night before (not timed)", day=day - timedelta(days=1), **before)
    _vacuum("touches_touch")
    figures = {}
    for n, count in enumerate(workers):
        if n:
            _unbuild_day(day)
        figures[count] = _build(day, workers=count)
        report(f"{name}, {count} worker(s)", day=day, clients=clients, **figures[count])
    return figures


def _by_kind(report, day: date) -> None:
    """Where an ordinary night's time goes: the day rebuilt one kind at a time in this process
    (every agent at once), slowest first. A kind that writes nothing and still takes time is
    read-bound: its statement is more than an index probe on the day it serves."""
    _unbuild_day(day)
    everyone = AgentRange(0, 2**62)
    timings = []
    for key in registry.occasion_kinds():
        began = time.perf_counter()
        written = build_day(due=day, agents=everyone, kinds=[key])
        timings.append((time.perf_counter() - began, key, written))
    total = sum(t for t, _k, _w in timings)
    report("ordinary day by kind, in all", seconds=round(total, 2), kinds=len(timings))
    for seconds, key, written in sorted(timings, reverse=True)[:8]:
        report(f"  kind {key}", seconds=round(seconds, 3), rows=written)


# --- the ceiling -----------------------------------------------------------------------------


def _wal() -> tuple[int, int]:
    """WAL bytes and full-page images written so far, cluster-wide (PostgreSQL 14+)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT wal_bytes, wal_fpi FROM pg_stat_wal")
        wal_bytes, fpi = cursor.fetchone()
    return int(wal_bytes), int(fpi)


def _wal_figures(before: tuple[int, int]) -> dict:
    after = _wal()
    return {"wal_mb": round((after[0] - before[0]) / 2**20), "wal_fpi": after[1] - before[1]}


def _ceiling(rows: int, *, into: str) -> dict:
    """One INSERT … SELECT … ON CONFLICT DO NOTHING of `rows` touch-shaped rows, timed.

    into="empty": an empty copy of the touch table (same columns, indexes and unique
    constraint; LIKE copies no foreign keys) — the ceiling of the issue;
    "empty+fks": the same with the touch table's three deferred foreign keys;
    "touches": the touch table itself, as it is after the builds (rows removed after).
    """
    table = "touches_touch" if into == "touches" else "touch_ceiling"
    if into != "touches":
        _sql("DROP TABLE IF EXISTS touch_ceiling")
        _sql("CREATE TABLE touch_ceiling (LIKE touches_touch INCLUDING ALL)")
    if into == "empty+fks":  # as the touch table has them: checked per row, at commit
        for column, target in (
            ("owner_id", "accounts_user"),
            ("client_id", "clients_client"),
            ("interaction_id", "clients_interaction"),
        ):
            _sql(
                f"ALTER TABLE touch_ceiling ADD FOREIGN KEY ({column}) REFERENCES {target} (id)"
                " DEFERRABLE INITIALLY DEFERRED"
            )
    clients = _scalar("SELECT count(*) FROM clients_client")
    repeat = -(-rows // clients)
    columns = ", ".join(INSERT_COLUMNS)
    _checkpoint()
    wal = _wal()
    began = time.perf_counter()
    written = _sql(
        f"""
        INSERT INTO {table} ({columns})
        SELECT c.owner_id, c.id, date '2027-02-06', 'festival:spring_festival-' || k,
            'spring_festival', 'ceiling', date '2027-01-30', 3, 'open', '', now()
        FROM clients_client c CROSS JOIN LATERAL generate_series(1, %s) k
        LIMIT %s
        ON CONFLICT DO NOTHING
        """,
        [repeat, rows],
    )
    seconds = time.perf_counter() - began
    figures = {"seconds": round(seconds, 2), **_wal_figures(wal)}
    assert written == rows, (written, rows)
    if into == "touches":
        _sql("DELETE FROM touches_touch WHERE kind = 'ceiling'")
        _vacuum("touches_touch")
    else:
        _sql("DROP TABLE touch_ceiling")
    return figures


# --- the dashboard ---------------------------------------------------------------------------


def _dashboard_agent(report) -> User:
    """An agent with 2,000 clients whose touches were built for the weeks around today; then
    all but 300 of the open ones are closed, so the dashboard shows 300 open touches."""
    first, _last = _generate(
        report, count=1, prefix="bench-dashboard-", per_agent=DASHBOARD_CLIENTS
    )
    agent = User.objects.get(pk=first)
    today = timezone.localdate()
    only = AgentRange(agent.pk, agent.pk, ids=(agent.pk,))
    for offset in range(-30, 15):
        build_day(due=today + timedelta(days=offset), agents=only)
    _sql(
        """
        UPDATE touches_touch SET status = CASE WHEN id %% 4 = 0 THEN 'skipped' ELSE 'done' END,
            closed_at = now()
        WHERE id IN (
            SELECT id FROM touches_touch WHERE owner_id = %s AND status = 'open'
            ORDER BY md5(id::text) OFFSET %s
        )
        """,
        [agent.pk, DASHBOARD_OPEN],
    )
    _vacuum("touches_touch")
    return agent


def _dashboard(report, timed) -> None:
    agent = _dashboard_agent(report)
    open_touches = Touch.objects.filter(owner=agent, status=Touch.Status.OPEN)
    http = HttpClient()
    http.force_login(agent)
    try:
        url = reverse("dashboard")
        with CaptureQueriesContext(connection) as queries:
            status = http.get(url).status_code
    except Exception as exc:  # the dashboard is being written at the same time
        report("dashboard", skipped=f"{type(exc).__name__}: {exc}"[:120])
        return
    assert status == 200, status
    report(
        f"dashboard ({DASHBOARD_CLIENTS:,} clients, {open_touches.count()} open)",
        queries=len(queries),
        **timed(lambda: http.get(url), repeat=30),
    )


# --- run -------------------------------------------------------------------------------------


def run(*, report, timed) -> None:
    if connection.vendor != "postgresql":
        report("touch build", skipped="the figure is defined on PostgreSQL (set DATABASE_URL)")
        return
    _sql("SELECT setseed(0.4)")  # the same data every run
    _seed_shared()
    quarter = max(1, AGENTS // 4)
    small_clients = quarter * CLIENTS_PER_AGENT
    all_clients = AGENTS * CLIENTS_PER_AGENT

    _generate(report, count=quarter, prefix="bench-agent-", per_agent=CLIENTS_PER_AGENT)
    small = _measure_day(report, "ordinary day", SMALL_DAY, clients=small_clients)[1]
    if quarter < AGENTS:
        _generate(
            report, count=AGENTS - quarter, prefix="bench-agent-", per_agent=CLIENTS_PER_AGENT
        )
    ordinary = _measure_day(
        report, "ordinary day", ORDINARY_DAY, clients=all_clients, workers=(1, 2)
    )
    _by_kind(report, ORDINARY_DAY)
    report(
        "worker memory, clients ×" + str(round(all_clients / small_clients, 1)),
        rss_mb=f"{small['rss_mb']} -> {ordinary[1]['rss_mb']}",
        py_peak_mb=f"{small['py_peak_mb']} -> {ordinary[1]['py_peak_mb']}",
    )
    worst = _measure_day(
        report, "worst day (Spring Festival lead)", WORST_DAY, clients=all_clients, workers=(1, 2)
    )

    report(
        "worst day: festival touches",
        festival=Touch.objects.filter(due_date=WORST_DAY, kind="festival").count(),
        contactable_clients=Client.objects.filter(contactable()).count(),
    )

    # The ordinary night against the ceiling of writing its own rows (the aim: at
    # most 10×; the night is read-bound when each kind's query is more than an index probe).
    ordinary_rows = max(1, ordinary[1]["touches"])
    ordinary_ceiling = statistics.median(
        _ceiling(ordinary_rows, into="empty")["seconds"] for _ in range(3)
    )
    report(
        "ordinary day build / its ceiling",
        rows=ordinary_rows,
        ceiling_s=ordinary_ceiling,
        one_worker=round(ordinary[1]["seconds"] / max(ordinary_ceiling, 0.01), 1),
        aim="<= 10",
    )

    rows = worst[1]["touches"]
    plain = [_ceiling(rows, into="empty") for _ in range(3)]
    ceiling = statistics.median(f["seconds"] for f in plain)
    report(
        "ceiling: one INSERT…SELECT ON CONFLICT",
        rows=rows,
        seconds=ceiling,
        runs=" ".join(str(f["seconds"]) for f in plain),
        per_s=round(rows / ceiling),
        wal_mb=plain[-1]["wal_mb"],
        wal_fpi=plain[-1]["wal_fpi"],
    )
    report("ceiling + the touch table's FKs", rows=rows, **_ceiling(rows, into="empty+fks"))
    report("ceiling into the touch table itself", rows=rows, **_ceiling(rows, into="touches"))
    report(
        "worst day build / ceiling",
        one_worker=round(worst[1]["seconds"] / ceiling, 2),
        two_workers=round(worst[2]["seconds"] / ceiling, 2),
        aim="<= 1.5 (one worker)",
    )
    _dashboard(report, timed)
