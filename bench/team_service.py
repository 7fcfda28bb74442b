"""The manager's service page (/team/service/) for 50 agents × 1,000 clients × 3 policies with
3 years of history: touches (done on time, late, skipped, open), promises, contacts, policy
status histories with lapses and reinstatements (the issue's aim: ≤ 300 ms for 12 months).

Seeded set-based (generate_series, INSERT … SELECT), then the nightly summary is built from
scratch once (timed: what the first night, or `service_summary_rebuild`, costs) and once
incrementally (an ordinary night). The page reads the summary only.
The nightly summary includes the premium-band rows (ServiceMonthBand: contacts per client
by premium band, the figure of /team/service/ "各保费档客户的联系次数"); their share of the
nightly cost is reported on its own.
Run: `DATABASE_URL=postgres://… .venv/bin/python bench/run.py bench.team_service`; on a busy
machine, fewer agents or clients: BENCH_SERVICE_AGENTS=10 BENCH_SERVICE_CLIENTS=200."""

import datetime
import os
import time
from decimal import Decimal

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agentcrm.accounts.models import Team, User
from clients.models import Client, Commitment, Interaction
from discipline import bands
from discipline.models import ServiceMonthBand
from discipline.services import service_summary_refresh
from discipline.summary import month_start
from policies.models import Insurer, Policy, PolicyStatusChange
from touches.models import Touch

N_AGENTS = int(os.environ.get("BENCH_SERVICE_AGENTS", 50))
CLIENTS = int(os.environ.get("BENCH_SERVICE_CLIENTS", 1000))  # per agent
POLICIES = 3  # per client
DAYS = 3 * 365
CONTACTS = 6  # per client over the 3 years
TOUCHES = 12  # per client over the 3 years
PROMISES = 40  # per agent


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _copy(model, template_ids: list[int], *, series: str, overrides: dict[str, str], params):
    """INSERT … SELECT every concrete column of `model` from the template rows, crossed with
    `series` (a FROM item giving n), the columns in `overrides` computed in SQL."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(_q(f.column) for f in fields)
    values = ", ".join(overrides.get(f.column, f"t.{_q(f.column)}") for f in fields)
    marks = ", ".join(["%s"] * len(template_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_q(model._meta.db_table)} ({columns}) SELECT {values} "
            f"FROM {_q(model._meta.db_table)} t CROSS JOIN {series} WHERE t.id IN ({marks})",
            [*params, *template_ids],
        )


def _sql(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _seed(today: datetime.date) -> User:
    first = today - datetime.timedelta(days=DAYS)
    manager = User.objects.create_user("bench-svc-manager", password="x", role="manager")
    root = Team.objects.create(name="Bench 服务部", manager=manager)
    sub = Team.objects.create(name="Bench 服务二组", parent=root)
    User.objects.bulk_create(
        [
            User(
                username=f"bench-svc-agent-{i:02d}",
                team=sub if i < 15 else root,
                password="!",
            )
            for i in range(N_AGENTS)
        ]
    )
    agents = list(User.objects.filter(username__startswith="bench-svc-agent-").order_by("id"))
    templates = Client.objects.bulk_create(
        [Client(owner=a, name="客户", stage="client", mobile="13800138000") for a in agents]
    )
    _copy(
        Client,
        [t.pk for t in templates],
        series="generate_series(1, %s) AS n(i)",
        overrides={
            "name": "t.name || n.i",
            "created_at": "now() - make_interval(days => %s - (n.i %% 30))",
        },
        params=[DAYS + 60, CLIENTS - 1],
    )
    Client.objects.filter(pk__in=[t.pk for t in templates]).update(
        created_at=timezone.now() - datetime.timedelta(days=DAYS + 60)
    )
    insurer = Insurer.objects.create(name="Bench 人寿")
    policy_templates = Policy.objects.bulk_create(
        [
            Policy(
                owner=a,
                insurer=insurer,
                product_name="Bench 终身寿",
                policy_type="life",
                number=f"T{t.pk}",
                holder=t,
                insured_client=t,
                sum_assured=Decimal("500000"),
                premium=Decimal("8000"),
                effective_date=first,
                status="in_force",
            )
            for a, t in zip(agents, templates, strict=True)
        ]
    )
    # 3 policies per client, issued over the 3 years; ~8% lapsed (a third of them later
    # reinstated), ~2% surrendered, ~1% sold by others.
    _sql(
        f"""INSERT INTO {_q(Policy._meta.db_table)} (owner_id, insurer_id, product_name,
              policy_type, number, holder_id, insured_client_id, sum_assured, premium, currency,
              payment_frequency, payment_term_years, coverage_kind, effective_date, status,
              status_changed_at, anniversary_md, sold_by_others, sold_through, notes,
              created_at, updated_at, cooling_off_end)
            SELECT c.owner_id, %s, 'Bench 产品' || (k %% 7), 'life', 'B' || c.id || '-' || k,
              c.id, c.id, 300000, 2000 + (c.id %% 40) * 500, 'CNY',
              CASE WHEN k = 2 THEN 'monthly' ELSE 'annual' END, 20, 'whole_life',
              d.eff,
              CASE WHEN (c.id * 7 + k) %% 100 < 5 THEN 'lapsed'
                   WHEN (c.id * 7 + k) %% 100 < 8 THEN 'reinstated'
                   WHEN (c.id * 7 + k) %% 100 < 10 THEN 'surrendered'
                   ELSE 'in_force' END,
              now(), EXTRACT(MONTH FROM d.eff) * 100 + EXTRACT(DAY FROM d.eff),
              (c.id + k) %% 100 = 0, '', '', now(), now(), d.eff + 20
            FROM {_q(Client._meta.db_table)} c CROSS JOIN generate_series(0, %s) AS k
            CROSS JOIN LATERAL (SELECT (%s::date + ((c.id * 37 + k * 211) %% %s)::int) AS eff) d
            WHERE c.owner_id = ANY(%s)""",
        [insurer.pk, POLICIES - 1, first, DAYS, [a.pk for a in agents]],
    )
    Policy.objects.filter(pk__in=[p.pk for p in policy_templates]).delete()
    status = _q(PolicyStatusChange._meta.db_table)
    policy = _q(Policy._meta.db_table)
    _sql(
        f"""INSERT INTO {status} (policy_id, from_status, to_status, at, note)
            SELECT id, '', 'in_force', effective_date::timestamp + interval '10 hours', ''
            FROM {policy}"""
    )
    _sql(
        f"""INSERT INTO {status} (policy_id, from_status, to_status, at, note)
            SELECT id, 'in_force', 'lapsed',
              LEAST(effective_date + 120 + (id %% 500)::int, %s::date - 1)::timestamp
                + interval '2 hours', ''
            FROM {policy} WHERE status IN ('lapsed', 'reinstated')""",
        [today],
    )
    _sql(
        f"""INSERT INTO {status} (policy_id, from_status, to_status, at, note)
            SELECT p.id, 'lapsed', 'reinstated', s.at + interval '40 days', ''
            FROM {policy} p JOIN {status} s ON s.policy_id = p.id AND s.to_status = 'lapsed'
            WHERE p.status = 'reinstated'"""
    )
    _sql(
        f"""INSERT INTO {status} (policy_id, from_status, to_status, at, note)
            SELECT id, 'in_force', 'surrendered',
              LEAST(effective_date + 10 + (id %% 700)::int, %s::date - 1)::timestamp, ''
            FROM {policy} WHERE status = 'surrendered'""",
        [today],
    )
    # Premium dates: the next anniversary (so about 1 in 12 falls due within 30 days); 3% of
    # the paying ones are in their grace period; the lapsed ones lapsed on their grace end.
    _sql(
        f"""UPDATE {policy} SET premium_next_due = (effective_date + make_interval(
              years => EXTRACT(YEAR FROM age(%s::date, effective_date))::int + 1))::date
            WHERE status IN ('in_force', 'reinstated', 'lapsed')""",
        [today],
    )
    _sql(
        f"""UPDATE {policy} SET status = 'grace', premium_next_due = %s::date - (id %% 50)::int
            WHERE status = 'in_force' AND id %% 33 = 0""",
        [today],
    )
    _sql(
        f"""UPDATE {policy} p SET premium_next_due = (s.at AT TIME ZONE 'Asia/Shanghai')::date - 61
            FROM {status} s WHERE s.policy_id = p.id AND s.to_status = 'lapsed'
              AND p.status = 'lapsed'"""
    )
    _sql(f"UPDATE {policy} SET premium_grace_end = premium_next_due + 60")
    client_ids = f"SELECT id, owner_id FROM {_q(Client._meta.db_table)} WHERE owner_id = ANY(%s)"
    ids = [a.pk for a in agents]
    _sql(
        f"""INSERT INTO {_q(Interaction._meta.db_table)} (client_id, kind, date, summary,
              created_at)
            SELECT c.id, 'call', (%s::date + ((c.id * 13 + k * 181) %% %s)::int), '电话',
              now()
            FROM ({client_ids}) c CROSS JOIN generate_series(1, %s) AS k""",
        [first, DAYS, ids, CONTACTS],
    )
    # Touches: 12 per client over the 3 years, one kind of four; 80% done (of them 85% on
    # time), 8% skipped, the rest open.
    _sql(
        f"""INSERT INTO {_q(Touch._meta.db_table)} (owner_id, client_id, kind, occasion_date,
              due_date, priority, source, label, status, note, closed_at, created_at)
            SELECT c.owner_id, c.id,
              (ARRAY['birthday', 'premium_due', 'policy_anniversary', 'festival'])[1 + k %% 4],
              o.day, o.day - 3, 2, 'b:' || k, '',
              CASE WHEN o.day >= %s THEN 'open' WHEN r < 80 THEN 'done'
                   WHEN r < 88 THEN 'skipped' ELSE 'open' END, '',
              CASE WHEN o.day >= %s OR r >= 88 THEN NULL
                   WHEN r < 68 THEN o.day::timestamp - interval '1 day'
                   ELSE o.day::timestamp + interval '5 days' END,
              now()
            FROM ({client_ids}) c CROSS JOIN generate_series(1, %s) AS k
            CROSS JOIN LATERAL (SELECT (%s::date + ((c.id * 17 + k * 97) %% %s)::int) AS day,
                                       (c.id * 31 + k * 7) %% 100 AS r) o""",
        [today, today, ids, TOUCHES, first, DAYS + 30],
    )
    _sql(
        f"""INSERT INTO {_q(Commitment._meta.db_table)} (client_id, description, due_date,
              done_date, created_at)
            SELECT c.id, '承诺', d.due,
              CASE WHEN c.id %% 5 = 0 THEN NULL ELSE d.due + (c.id %% 4)::int END, now()
            FROM ({client_ids}) c
            CROSS JOIN LATERAL (SELECT (%s::date + (c.id * 11 %% %s)::int) AS due) d
            WHERE c.id %% (%s) = 0""",
        [ids, first, DAYS, CLIENTS // PROMISES],
    )
    with connection.cursor() as cursor:
        for model in (Client, Policy, PolicyStatusChange, Interaction, Touch, Commitment):
            cursor.execute(f"VACUUM ANALYZE {_q(model._meta.db_table)}")
    return manager


def run(*, report, timed) -> None:
    today = timezone.localdate()
    began = time.perf_counter()
    manager = _seed(today)
    report(
        "team service: seed",
        clients=Client.objects.count(),
        policies=Policy.objects.count(),
        status_changes=PolicyStatusChange.objects.count(),
        touches=Touch.objects.count(),
        contacts=Interaction.objects.count(),
        seconds=round(time.perf_counter() - began, 1),
    )
    began = time.perf_counter()
    months = service_summary_refresh(today, full=True)
    report(
        "team service: summary from scratch",
        months=len(months),
        seconds=round(time.perf_counter() - began, 1),
    )
    began = time.perf_counter()
    months = service_summary_refresh(today)
    report(
        "team service: summary, an ordinary night",
        months=len(months),
        seconds=round(time.perf_counter() - began, 1),
    )
    began = time.perf_counter()
    band_rows = bands.band_figures(months=[today.replace(day=1)], today=today)
    report(
        "team service: premium bands of the month under way (every agent, one statement)",
        rows=len(band_rows),
        summary_rows=ServiceMonthBand.objects.count(),
        seconds=round(time.perf_counter() - began, 2),
    )
    began = time.perf_counter()
    bands.band_figures(months=[month_start(today, back=k) for k in range(13)], today=today)
    report(
        "team service: premium bands of 13 months (a contact dated a year back)",
        seconds=round(time.perf_counter() - began, 2),
    )
    http = HttpClient()
    http.force_login(manager)
    http.get("/team/service/")
    sub = Team.objects.get(name="Bench 服务二组")
    agent = User.objects.get(username="bench-svc-agent-20")
    pages = {
        "team service page, 12 months": "/team/service/",
        "team service page, this month": "/team/service/?preset=this_month",
        "team service page, sub-team": f"/team/service/?team={sub.pk}",
        "team service export.xlsx": "/team/service/export.xlsx",
        "team lapse guard, page 1": "/team/lapse/",
        "team service drill-down": f"/team/service/{agent.pk}/",
    }
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = http.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if response.streaming:
                b"".join(response.streaming_content)
        report(
            name,
            queries=len(queries),
            **timed(lambda url=url: _get(http, url), repeat=10),
            **_cpu(lambda url=url: _get(http, url)),
        )
    # The agent's own page (figures from the summary, the pitfalls live from their book).
    own = HttpClient()
    own.force_login(agent)
    own.get("/service/")
    for name, url in {
        "agent service page (1,000 clients)": "/service/",
        "agent lapse guard": "/lapse/",
    }.items():
        with CaptureQueriesContext(connection) as queries:
            assert own.get(url).status_code == 200
        report(
            name,
            queries=len(queries),
            **timed(lambda url=url: _get(own, url), repeat=10),
            **_cpu(lambda url=url: _get(own, url)),
        )


def _cpu(fn, *, repeat: int = 5) -> dict:
    """CPU time of this process per call (time.process_time): the machine is shared, so the
    wall time above includes other work; the database's own time is not in this figure."""
    began = time.process_time()
    for _ in range(repeat):
        fn()
    return {"cpu_ms": round((time.process_time() - began) * 1000 / repeat, 1)}


def _get(http, url):
    response = http.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response
