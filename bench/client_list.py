"""The client list and client page for an agent with 2,000 clients."""

import datetime
import random

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from agentcrm.accounts.models import User
from clients.models import Client, Interaction, Segment, birth_md_for
from clients.services import client_last_contact_refresh

N_CLIENTS = 2000


def _seed() -> User:
    agent = User.objects.create_user("bench-agent", password="x")
    rng = random.Random(7)
    start = datetime.date(1950, 1, 1)
    clients = []
    for i in range(N_CLIENTS):
        born = start + datetime.timedelta(days=rng.randrange(365 * 55))
        clients.append(
            Client(
                owner=agent,
                name=f"客户{i:05d}",
                mobile=f"+86138{i:08d}",
                birth_date=born,
                birth_md=birth_md_for(born),
                stage="client",
            )
        )
    Client.objects.bulk_create(clients, batch_size=1000)
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
    teacher = Segment.objects.get(code="teacher")
    teacher.clients.add(*ids[::5])
    return agent


def run(*, report, timed) -> None:
    agent = _seed()
    http = HttpClient()
    http.force_login(agent)
    client_id = Client.objects.filter(owner=agent).values_list("id", flat=True).first()
    pages = {
        "client list (2,000 clients)": "/clients/",
        "client list, search by phone": "/clients/?q=13800001234",
        "client list, birthday month filter": "/clients/?birthday_month=5&sort=last_contact",
        "client detail": f"/clients/{client_id}/",
    }
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as queries:
            assert http.get(url).status_code == 200
        report(name, queries=len(queries), **timed(lambda url=url: http.get(url)))
