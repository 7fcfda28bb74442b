"""The suggested introductions over a book of 5,000 clients (1,500 consenting needs, 30
offers): PostgreSQL's own statement and the portable one (what the embedded SQLite stack
runs) side by side on the same data, as a ratio, since absolute times on a shared machine are
noise; and the introductions page."""

import datetime
import random

from django.test import Client as HttpClient

from agentcrm.accounts.models import User
from agentcrm.core.db import is_postgresql
from clients.models import Client
from introductions import selectors
from introductions.models import Need, NeedKind, Offer

N_CLIENTS = 5000
N_NEEDS = 1500
N_OFFERS = 30


def _seed() -> User:
    agent = User.objects.create_user("bench-introductions", password="x")
    rng = random.Random(14)
    words = ["洗车", "汽车", "英语", "补习", "装修", "健身", "茶叶", "摄影"]
    Client.objects.bulk_create(
        [
            Client(
                owner=agent,
                name=f"客户{i:05d}",
                stage="client",
                interests=rng.choice(["", "自驾游", "摄影、旅行", "健身"]),
                do_not_contact=i % 60 == 0,
            )
            for i in range(N_CLIENTS)
        ],
        batch_size=1000,
    )
    ids = list(Client.objects.filter(owner=agent).values_list("id", flat=True))
    agreed = datetime.date.today()
    kinds = [k for k, _label in NeedKind.choices]
    Need.objects.bulk_create(
        [
            Need(
                client_id=cid,
                kind=rng.choice(kinds),
                description=rng.choice(words),
                consent_on=agreed,
            )
            for cid in rng.sample(ids, N_NEEDS)
        ]
    )
    Offer.objects.bulk_create(
        [
            Offer(
                client_id=ids[n],
                title=f"生意{n}",
                serves=rng.choice(kinds),
                keywords=" ".join(rng.sample(words, 3)),
                consent_on=agreed,
            )
            for n in range(N_OFFERS)
        ]
    )
    return agent


def run(*, report, timed) -> None:
    agent = _seed()
    portable = timed(lambda: selectors.portable_suggestion_rows(user=agent, limit=50), repeat=7)
    report("introductions: portable statement", **portable)
    if is_postgresql():
        own = timed(lambda: selectors._postgresql_rows(user=agent, limit=50), repeat=7)
        report("introductions: PostgreSQL statement", **own)
        same = selectors.portable_suggestion_rows(
            user=agent, limit=50
        ) == selectors._postgresql_rows(user=agent, limit=50)
        report(
            "introductions: portable / PostgreSQL",
            ratio=round(portable["median_ms"] / own["median_ms"], 2),
            same_rows=same,
        )
    http = HttpClient()
    http.force_login(agent)
    report("introductions page", **timed(lambda: http.get("/introductions/"), repeat=5))
