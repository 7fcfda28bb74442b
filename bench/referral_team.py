"""The manager's team referral page for 50 agents (a team with a sub-team) and 100,000
referrals given over the last 12 months, with 40,000 referral requests, ~120,000 stage
changes and chains up to 12 deep (the issue's aim: server time ≤ 300 ms on PostgreSQL).

Times the whole server side (the selectors and the template, through the test client,
logged in as the manager) and, apart, the figures alone.

The 12-month page against the "this month" page (the issue's aim: 12 months ≤ 1.5× one
month), side by side in one run: before the nightly build of the team figures kept by month
(`referrals.summary`: every figure computed from the rows, as before it existed) and after
it. Each pair is measured alternately (wall time and CPU of this process plus its PostgreSQL
backend), so the ratio holds on a busy machine where milliseconds do not. Last line:
`team referral ratio 12 months/this month: before <x> after <y>` (CPU).
Run: `DATABASE_URL=postgres://… .venv/bin/python bench/run.py bench.referral_team`."""

import datetime
import os
import random
import statistics
import time

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agentcrm.accounts.models import Team, User
from clients.models import Client
from referrals import periods
from referrals.models import (
    Context,
    Referral,
    ReferralMonth,
    ReferralMonthReferrer,
    ReferralReferrerTotal,
    ReferralRequest,
    ReferralStageChange,
    RefusalReason,
    Relationship,
    Stage,
)
from referrals.selectors import team as team_stats
from referrals.summary import referral_months_build

N_AGENTS = 50
N_SUB_TEAM = 15
N_REFERRALS = 100_000
ROOT_CLIENTS = 200  # per agent: the first referrers
REQUESTS = 800  # per agent
MAX_DEPTH = 12
STAGES = [Stage.NEW, Stage.CONTACTED, Stage.MET, Stage.PROPOSAL, Stage.WON, Stage.LOST]
STAGE_WEIGHTS = [30, 20, 15, 10, 15, 10]
REASONS = list(RefusalReason.values)
CONTEXTS = list(Context.values)
RELATIONSHIPS = list(Relationship.values)
TZ = timezone.get_current_timezone()


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=TZ)


def _clients(agents, *, count: int, name: str, stage: str, source: str) -> dict[int, list[int]]:
    """`count` clients for each agent: one made with the ORM, then copied in SQL with a
    numbered name (110,000 rows through bulk_create spend ~20 s preparing 33 columns each).
    Returns {agent id: [client ids]}."""
    templates = Client.objects.bulk_create(
        [Client(owner=a, name=f"{name}{a.id}-", stage=stage, source=source) for a in agents]
    )
    fields = [f for f in Client._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(
        f"t.{quote(f.column)} || n.i" if f.name == "name" else f"t.{quote(f.column)}"
        for f in fields
    )
    marks = ", ".join(["%s"] * len(templates))
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) "
            f"INSERT INTO {quote(Client._meta.db_table)} ({columns}) "
            f"SELECT {values} FROM {quote(Client._meta.db_table)} t CROSS JOIN n "
            f"WHERE t.id IN ({marks})",
            [count - 1, *[t.pk for t in templates]],
        )
    made: dict[int, list[int]] = {a.id: [] for a in agents}
    rows = Client.objects.filter(owner__in=agents, stage=stage, source=source).order_by("id")
    for cid, owner_id in rows.values_list("id", "owner_id"):
        made[owner_id].append(cid)
    return made


def _seed() -> User:
    rng = random.Random(5)
    today = timezone.localdate()
    first = today - datetime.timedelta(days=364)
    manager = User.objects.create_user("bench-team-manager", password="x", role="manager")
    root = Team.objects.create(name="Bench 总部", manager=manager)
    sub = Team.objects.create(name="Bench 二组", parent=root)
    User.objects.bulk_create(
        [
            User(
                username=f"bench-team-agent-{i:02d}",
                display_name=f"代理人{i:02d}",
                team=sub if i < N_SUB_TEAM else root,
                password="!",
            )
            for i in range(N_AGENTS)
        ]
    )
    agents = list(User.objects.filter(username__startswith="bench-team-agent-").order_by("id"))

    roots = _clients(agents, count=ROOT_CLIENTS, name="客户", stage="client", source="other")
    per_agent = N_REFERRALS // N_AGENTS
    referred = _clients(agents, count=per_agent, name="转介绍", stage="prospect", source="referral")
    referrals, changes_for = [], []
    for agent in agents:
        people = referred[agent.id]
        days = sorted(first + datetime.timedelta(days=rng.randrange(365)) for _ in people)
        depths: list[int] = []
        for j, (person, day) in enumerate(zip(people, days, strict=True)):
            if j and rng.random() < 0.4:
                parent = rng.randrange(j)
                if depths[parent] < MAX_DEPTH:
                    referrer, depth = people[parent], depths[parent] + 1
                else:
                    referrer, depth = rng.choice(roots[agent.id]), 1
            else:
                referrer, depth = rng.choice(roots[agent.id]), 1
            depths.append(depth)
            stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
            contacted = stage != Stage.NEW and not (stage == Stage.LOST and rng.random() < 0.3)
            closed = stage in (Stage.WON, Stage.LOST)
            moved = min(day + datetime.timedelta(days=rng.randint(2, 40)), today)
            referrals.append(
                Referral(
                    owner=agent,
                    referrer_id=referrer,
                    referred_id=person,
                    relationship=rng.choice(RELATIONSHIPS),
                    given_on=day,
                    context=rng.choice(CONTEXTS),
                    depth=depth,
                    stage=stage,
                    stage_changed_at=_at(moved),
                    contacted_at=_at(min(day + datetime.timedelta(days=2), today))
                    if contacted
                    else None,
                    closed_at=_at(moved) if closed else None,
                )
            )
            changes_for.append((stage, contacted, day, moved))
    Referral.objects.bulk_create(referrals, batch_size=5000)

    changes = []
    for ref, (stage, contacted, day, moved) in zip(referrals, changes_for, strict=True):
        steps = []
        if contacted:
            steps.append((Stage.NEW, Stage.CONTACTED, min(day + datetime.timedelta(days=2), today)))
        if stage in (Stage.MET, Stage.PROPOSAL, Stage.WON):
            steps.append((Stage.CONTACTED, Stage.MET, moved))
        if stage in (Stage.WON, Stage.LOST):
            steps.append((Stage.PROPOSAL, stage, moved))
        for from_stage, to_stage, on in steps:
            due = on + datetime.timedelta(days=3)
            roll = rng.random()
            if roll < 0.6:
                reported = _at(on + datetime.timedelta(days=rng.randint(0, 3)), 15)
            elif roll < 0.8:
                reported = _at(on + datetime.timedelta(days=rng.randint(4, 10)), 15)
            else:
                reported = None
            if reported and reported.date() > today:
                reported = None
            changes.append(
                ReferralStageChange(
                    referral=ref,
                    owner_id=ref.owner_id,
                    from_stage=from_stage,
                    to_stage=to_stage,
                    changed_at=_at(on),
                    feedback_due=due,
                    reported_at=reported,
                )
            )
    ReferralStageChange.objects.bulk_create(changes, batch_size=5000)

    requests = []
    for agent in agents:
        for _ in range(REQUESTS):
            names = rng.choice([0, 0, 1, 2, 3, 3, 4])
            requests.append(
                ReferralRequest(
                    owner=agent,
                    client_id=rng.choice(roots[agent.id]),
                    asked_on=first + datetime.timedelta(days=rng.randrange(365)),
                    context=rng.choice(CONTEXTS),
                    names_given=names,
                    refusal_reason="" if names else rng.choice(REASONS),
                )
            )
    ReferralRequest.objects.bulk_create(requests, batch_size=5000)
    if connection.vendor == "postgresql":
        # A live database is vacuumed and analysed by autovacuum: measure that state, not
        # the minute after a bulk load.
        _analyze(Client, Referral, ReferralStageChange, ReferralRequest)
    return manager


def _analyze(*models) -> None:
    """VACUUM ANALYZE these tables on PostgreSQL (what autovacuum does after a bulk write)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def run(*, report, timed) -> None:
    began = time.perf_counter()
    manager = _seed()
    report(
        "referral team: seed",
        referrals=Referral.objects.count(),
        stage_changes=ReferralStageChange.objects.count(),
        requests=ReferralRequest.objects.count(),
        seconds=round(time.perf_counter() - began, 1),
    )
    http = HttpClient()
    http.force_login(manager)
    http.get("/team/referrals/")  # the session's first request also writes the session
    twelve, one = "/team/referrals/", "/team/referrals/?preset=this_month"
    before = _pair(http, twelve, one, report=report, label="before (all live)")
    began = time.perf_counter()
    built = referral_months_build()
    report(
        "nightly build, first (all months)", **built, seconds=round(time.perf_counter() - began, 2)
    )
    _analyze(ReferralMonth, ReferralMonthReferrer, ReferralReferrerTotal)
    began = time.perf_counter()
    again = referral_months_build()
    report("nightly build, next night", **again, seconds=round(time.perf_counter() - began, 2))
    after = _pair(http, twelve, one, report=report, label="after (summary)")
    pages = {
        "team referrals page, 12 months": "/team/referrals/",
        "team referrals page, this month": "/team/referrals/?preset=this_month",
        "team referrals page, sub-team": None,
        "team referrals export.csv": "/team/referrals/export.csv",
        "team referrals export.xlsx": "/team/referrals/export.xlsx",
    }
    sub = Team.objects.get(name="Bench 二组")
    pages["team referrals page, sub-team"] = f"/team/referrals/?team={sub.pk}"
    agent = User.objects.filter(username="bench-team-agent-20").get()
    pages["team agent drill-down, page 3"] = f"/team/referrals/agents/{agent.pk}/?page=3"
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = http.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if response.streaming:
                b"".join(response.streaming_content)
        report(name, queries=len(queries), **timed(lambda url=url: _get(http, url), repeat=20))

    agents = team_stats.team_agents(
        user=manager, teams=[t for t, _l in team_stats.manager_teams(user=manager)]
    )
    today = timezone.localdate()
    period = periods.period_for_preset(preset=periods.TEAM_PRESETS.default, today=today)
    stats = team_stats.team_referral_stats(agents=agents, period=period, today=today)
    report(
        "team referrals figures only, 12 months",
        agents=len(agents),
        received=stats.total.received,
        **timed(
            lambda: team_stats.team_referral_stats(agents=agents, period=period, today=today),
            repeat=20,
        ),
    )
    print(f"team referral ratio 12 months/this month: before {before:.2f} after {after:.2f}")


def _backend_ticks() -> int | None:
    """CPU clock ticks of this connection's PostgreSQL backend so far (None elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def _pair(http, twelve: str, one: str, *, report, label: str, repeat: int = 20) -> float:
    """The 12-month and the one-month page, called alternately: median wall time and mean
    CPU (this process + its backend) of each, and their ratios. Returns the CPU ratio."""
    wall: dict[str, list[float]] = {twelve: [], one: []}
    cpu: dict[str, float] = {twelve: 0.0, one: 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    _get(http, twelve), _get(http, one)
    for _ in range(repeat):
        for url in (twelve, one):
            ticks, process, began = _backend_ticks(), time.process_time(), time.perf_counter()
            _get(http, url)
            wall[url].append((time.perf_counter() - began) * 1000)
            server = ((_backend_ticks() or 0) - (ticks or 0)) / tick
            cpu[url] += (time.process_time() - process + server) * 1000 / repeat
    w12, w1 = statistics.median(wall[twelve]), statistics.median(wall[one])
    report(
        f"team page 12 months, {label}",
        median_ms=round(w12, 1),
        cpu_ms=round(cpu[twelve], 1),
    )
    report(f"team page this month, {label}", median_ms=round(w1, 1), cpu_ms=round(cpu[one], 1))
    ratio = cpu[twelve] / cpu[one]
    report(
        f"team page 12 mo / 1 mo, {label}",
        wall_ratio=round(w12 / w1, 2),
        cpu_ratio=round(ratio, 2),
        aim="<= 1.5",
    )
    return ratio


def _get(http, url):
    response = http.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response
