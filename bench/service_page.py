"""The agent's own service page (/service/) for a book of 5,000 clients with two years of
contacts, touches, promises and referral asks (issue 14's aim: ≤ 150 ms), after the nightly
summary is built. Wall and CPU time (time.process_time of this process) per request, since
the machine is shared; and the query count, which must not grow with the book."""

import datetime
import random
import statistics
import time
from decimal import Decimal

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agentcrm.accounts.models import User
from clients.models import Client, Commitment, Interaction, birth_md_for
from discipline.services import service_summary_refresh
from policies.models import Insurer, Policy
from referrals.models import ReferralRequest
from touches.models import Touch

N_CLIENTS = 5000
DAYS = 2 * 365
CONTACTS = 6  # per client over the two years
TOUCHES = 4  # per client over the two years
ASKS = 1500
KINDS = ("birthday", "policy_anniversary", "premium_due", "festival", "neglect")


def _seed(today: datetime.date) -> User:
    agent = User.objects.create_user("bench-service-page", password="x")
    rng = random.Random(14)
    clients = []
    for i in range(N_CLIENTS):
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 55))
        clients.append(
            Client(
                owner=agent,
                name=f"客户{i:05d}",
                mobile=f"+86139{i:08d}",
                birth_date=born,
                birth_md=birth_md_for(born),
                stage="client",
            )
        )
    Client.objects.bulk_create(clients, batch_size=1000)
    ids = list(Client.objects.filter(owner=agent).values_list("id", flat=True))
    insurer = Insurer.objects.create(name="基准人寿", confirmed=True)
    Policy.objects.bulk_create(
        [
            Policy(
                owner=agent,
                insurer=insurer,
                product_name="基准产品",
                policy_type=Policy.Type.LIFE,
                number=f"S{n:08d}",
                holder_id=cid,
                insured_client_id=cid,
                sum_assured=100000,
                premium=Decimal(rng.choice([800, 3000, 12000, 50000])),
                payment_frequency="annual",
                payment_term_years=20,
                effective_date=today - datetime.timedelta(days=rng.randrange(DAYS)),
                status="in_force",
            )
            for n, cid in enumerate(ids)
        ],
        batch_size=1000,
    )

    def day() -> datetime.date:
        return today - datetime.timedelta(days=rng.randrange(DAYS))

    Interaction.objects.bulk_create(
        [
            Interaction(client_id=cid, kind="call", date=day(), summary="回访", created_by=agent)
            for cid in ids
            for _ in range(CONTACTS)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    touches = []
    for cid in ids:
        for k in range(TOUCHES):
            due = day()
            done = rng.random() < 0.8
            touches.append(
                Touch(
                    owner=agent,
                    client_id=cid,
                    kind=KINDS[k % len(KINDS)],
                    occasion_date=due,
                    due_date=due,
                    source=f"bench:{k}",
                    status=Touch.Status.DONE if done else Touch.Status.OPEN,
                    closed_at=now if done else None,
                )
            )
    Touch.objects.bulk_create(touches, batch_size=2000)
    Commitment.objects.bulk_create(
        [
            Commitment(client_id=rng.choice(ids), description="寄资料", due_date=day())
            for _ in range(400)
        ]
    )
    ReferralRequest.objects.bulk_create(
        [
            ReferralRequest(owner=agent, client_id=rng.choice(ids), asked_on=day(), names_given=1)
            for _ in range(ASKS)
        ]
    )
    # As production's autovacuum would after a bulk load.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return agent


def run(*, report, timed) -> None:
    today = timezone.localdate()
    agent = _seed(today)
    start = time.perf_counter()
    service_summary_refresh(today, full=True)
    report("service page: nightly summary, first build", s=round(time.perf_counter() - start, 2))
    http = HttpClient()
    http.force_login(agent)
    for url in ("/service/", "/service/?preset=this_month"):
        response = http.get(url)
        assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as queries:
            http.get(url)
        # Counted now: each later request clears the log (request_started → reset_queries).
        n_queries = len(queries)
        walls, cpus = [], []
        for _ in range(15):
            wall, cpu = time.perf_counter(), time.process_time()
            http.get(url)
            cpus.append((time.process_time() - cpu) * 1000)
            walls.append((time.perf_counter() - wall) * 1000)
        report(
            f"service page {url}, 5,000 clients",
            median_ms=round(statistics.median(walls), 1),
            cpu_median_ms=round(statistics.median(cpus), 1),
            queries=n_queries,
            target_ms=150,
        )
