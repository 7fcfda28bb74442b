"""A campaign over 5,000 clients: the audience counted and its touches written with one
INSERT … SELECT (target: ≤ 1 s), with the cover filter ("no critical illness cover") that
reads policies and riders, and the campaign list page."""

import datetime
import random
import time

from django.db import connection, transaction
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from agentcrm.accounts.models import User
from campaigns.services import campaign_create
from clients.models import Client, birth_md_for
from policies.models import Insurer, Policy
from touches.models import Touch

N_CLIENTS = 5000


def _seed() -> User:
    agent = User.objects.create_user("bench-campaign", password="x")
    rng = random.Random(11)
    start = datetime.date(1950, 1, 1)
    clients = []
    for i in range(N_CLIENTS):
        born = start + datetime.timedelta(days=rng.randrange(365 * 55))
        clients.append(
            Client(
                owner=agent,
                name=f"客户{i:05d}",
                mobile=f"+86139{i:08d}",
                birth_date=born,
                birth_md=birth_md_for(born),
                stage="client",
                do_not_contact=i % 50 == 0,
            )
        )
    Client.objects.bulk_create(clients, batch_size=1000)
    ids = list(Client.objects.filter(owner=agent).values_list("id", flat=True))
    insurer = Insurer.objects.create(name="基准人寿")
    kinds = [Policy.Type.LIFE, Policy.Type.CRITICAL_ILLNESS, Policy.Type.MEDICAL]
    Policy.objects.bulk_create(
        [
            Policy(
                owner=agent,
                insurer=insurer,
                product_name="基准产品",
                policy_type=kinds[n % 3],
                number=f"B{n:08d}",
                holder_id=cid,
                insured_client_id=cid,
                sum_assured=100000,
                premium=5000,
                payment_frequency="annual",
                payment_term_years=20,
                effective_date=datetime.date(2024, 1, 1),
                status="in_force",
            )
            for n, cid in enumerate(ids[: N_CLIENTS // 2])
        ],
        batch_size=1000,
    )
    return agent


def _timed_create(agent, audience, title):
    start = time.perf_counter()
    with transaction.atomic():
        campaign = campaign_create(
            owner=agent,
            reason="new_product",
            title=title,
            message="{称呼}，公司新出了一款产品，有空给您讲讲。",
            due_date=datetime.date.today() + datetime.timedelta(days=3),
            audience=audience,
        )
    return campaign, round((time.perf_counter() - start) * 1000, 1)


def run(*, report, timed) -> None:
    agent = _seed()
    with CaptureQueriesContext(connection) as queries:
        campaign, ms = _timed_create(agent, {}, "全体客户")
    inserts = sum('INSERT INTO "touches_touch"' in q["sql"] for q in queries.captured_queries)
    report(
        "campaign, 5,000 clients (create)",
        ms=ms,
        touches=campaign.touches_made,
        dnc_left_out=campaign.do_not_contact_excluded,
        touch_inserts=inserts,
        queries=len(queries.captured_queries),
        target_ms=1000,
    )
    campaign, ms = _timed_create(agent, {"no_critical_illness": "on"}, "无重疾客户")
    report("campaign, no-CI cover filter (create)", ms=ms, touches=campaign.touches_made)
    assert Touch.objects.filter(kind="campaign").count() > 0
    http = HttpClient()
    http.force_login(agent)
    report("campaign list page", **timed(lambda: http.get("/campaigns/")))
    report(
        "campaign audience preview (htmx)",
        **timed(lambda: http.get("/campaigns/audience/?no_critical_illness=on")),
    )
    report("campaign page", **timed(lambda: http.get(f"/campaigns/{campaign.pk}/")))
