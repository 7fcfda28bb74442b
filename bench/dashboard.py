"""The dashboard for an agent with 2,000 clients and 300 open touches (the issue's aim:
at most 12 queries and 100 ms). Run: `.venv/bin/python bench/run.py bench.dashboard`."""

import datetime
import random
import statistics
import time

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agentcrm.accounts.models import User
from clients.models import Client, Interaction, Segment, birth_md_for
from clients.services import client_last_contact_refresh
from policies.models import Insurer, Policy
from touches.models import Touch

N_CLIENTS = 2000
N_OPEN = 300
KINDS = ("birthday", "policy_anniversary", "premium_due", "festival", "neglect", "grace_ending")


def _seed(
    *, username: str = "bench-dashboard", clients: int = N_CLIENTS, open_touches: int = N_OPEN
) -> User:
    agent = User.objects.create_user(username, password="x")
    rng = random.Random(11)
    start = datetime.date(1950, 1, 1)
    Client.objects.bulk_create(
        [
            Client(
                owner=agent,
                name=f"客户{i:05d}",
                mobile=f"+86139{i:08d}",
                birth_date=(born := start + datetime.timedelta(days=rng.randrange(365 * 55))),
                birth_md=birth_md_for(born),
                stage="client",
            )
            for i in range(clients)
        ],
        batch_size=1000,
    )
    ids = list(Client.objects.filter(owner=agent).values_list("id", flat=True))
    Interaction.objects.bulk_create(
        [
            Interaction(client_id=cid, kind="call", date=datetime.date(2026, 1, 1), summary="x")
            for cid in ids
            for _ in range(3)
        ],
        batch_size=2000,
    )
    client_last_contact_refresh(client_ids=ids)
    Segment.objects.get(code="manager").clients.add(*ids[::4])
    insurer = Insurer.objects.create(name=f"bench insurer {username}")
    Policy.objects.bulk_create(
        [
            Policy(
                owner=agent,
                holder_id=cid,
                insured_client_id=cid,
                insurer=insurer,
                number=f"B{username}{cid:08d}",
                product_name="终身寿险",
                policy_type=Policy.Type.LIFE,
                sum_assured=500000,
                premium=10000,
                payment_frequency=Policy.Frequency.ANNUAL,
                effective_date=datetime.date(2020, 1, 1),
                status=Policy.Status.IN_FORCE,
            )
            for cid in ids[::2]
        ],
        batch_size=1000,
    )
    today = timezone.localdate()
    touches = []
    # 300 open touches from two weeks back to a week ahead, and 1,000 closed ones (for 2,000
    # clients; in proportion for other books).
    closed = clients // 2
    for n, cid in enumerate(rng.sample(ids, open_touches + closed)):
        kind = KINDS[n % len(KINDS)]
        due = today + datetime.timedelta(days=rng.randint(-14, 7))
        touches.append(
            Touch(
                owner=agent,
                client_id=cid,
                kind=kind,
                occasion_date=due + datetime.timedelta(days=3),
                due_date=due,
                priority=1 if kind == "grace_ending" else 2,
                source=f"bench:{n}",
                label="mid_autumn" if kind == "festival" else "",
                status="open" if n < open_touches else "done",
            )
        )
    Touch.objects.bulk_create(touches, batch_size=1000)
    return agent


def run(*, report, timed) -> None:
    agent = _seed()
    http = HttpClient()
    http.force_login(agent)
    for name, url in {
        "dashboard (2,000 clients, 300 open)": "/",
        "touch list, overdue": "/touches/?group=overdue",
    }.items():
        with CaptureQueriesContext(connection) as queries:
            assert http.get(url).status_code == 200
        report(name, queries=len(queries), **timed(lambda url=url: http.get(url)))

    # Flat in the book's size: the same agent's day at 500 and at 5,000 clients (open
    # touches in proportion: 15% of the book), statistics gathered as autovacuum would.
    cpu = {}
    for size in (500, 5000):
        agent = _seed(username=f"bench-dashboard-{size}", clients=size, open_touches=size * 3 // 20)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        http.force_login(agent)
        statements: list[str] = []

        def count(run, sql, *args, statements=statements):
            statements.append(sql)
            return run(sql, *args)

        with connection.execute_wrapper(count):
            assert http.get("/").status_code == 200
        cpu[size] = _cpu_ms(lambda: http.get("/"))
        report(
            f"dashboard ({size:,} clients, {size * 3 // 20} open)",
            queries=len(statements),
            cpu_ms=cpu[size],
            **timed(lambda: http.get("/")),
        )
    report("dashboard 5,000 / 500 clients", cpu_ratio=round(cpu[5000] / cpu[500], 2), aim="~1")


def _cpu_ms(fn, *, repeat: int = 15) -> float:
    """Median CPU milliseconds of this process per call, after a warm-up."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        samples.append((time.process_time() - start) * 1000)
    return round(statistics.median(samples), 2)
