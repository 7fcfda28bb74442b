"""Client events and gifts on a big book: an agent with 5,000 clients, an event with 500
invitees in every state and 20,000 gifts over two years; a team of 10 such agents for the
manager's list. Run: `.venv/bin/python bench/run.py bench.events_gifts`.

Figures: the event page (GET, with the suggestions from the referral ranking), a client's
gift log, logging a gift (the cap checks), the manager's list of gifts above the cap, the
service-page panels (gifts and events) over a year, and one day's build of the four event
touch kinds for the agent (set-based: one statement per kind).
"""

import datetime
import random
from decimal import Decimal

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agentcrm.accounts.models import Team, User
from clients.models import Client
from events.models import Event, Invitee, InviteeStatus
from events.occasions import EVENT_KINDS
from events.panels import service_events_panel
from gifts.models import Gift
from gifts.panels import service_panel
from gifts.services import GiftInput, gift_log
from touches.build import AgentRange, build_day

CLIENTS = 5_000
INVITEES = 500
GIFTS = 20_000
TEAM_AGENTS = 10
TODAY = timezone.localdate()


def _book(agent: User, rng: random.Random) -> list[int]:
    tiers = ["standard"] * 6 + ["silver"] * 2 + ["gold", "diamond"]
    made = Client.objects.bulk_create(
        [
            Client(
                owner=agent,
                name=f"客户{i:05d}",
                stage="client",
                vip_tier=rng.choice(tiers),
                is_influence_centre=i < 20,
            )
            for i in range(CLIENTS)
        ],
        batch_size=2000,
    )
    return [c.pk for c in made]


def _gifts(agent: User, ids: list[int], rng: random.Random) -> None:
    rows = []
    for _ in range(GIFTS):
        cost = Decimal(rng.choice([45, 99, 168, 198, 300, 1499]))
        rows.append(
            Gift(
                owner=agent,
                client_id=rng.choice(ids),
                what=rng.choice(["月饼", "粽子", "台历", "茶叶", "鲜花"]),
                occasion="mid_autumn",
                cost=cost,
                given_on=TODAY - datetime.timedelta(days=rng.randint(0, 730)),
                gift_cap=Decimal("200"),
                year_cap=Decimal("500"),
                year_total=cost * rng.randint(1, 4),
            )
        )
    Gift.objects.bulk_create(rows, batch_size=5000)


def _event(agent: User, ids: list[int], rng: random.Random) -> Event:
    event = Event.objects.create(
        owner=agent, title="答谢会", date=TODAY, venue="和平饭店", budget=Decimal("50000")
    )
    now = timezone.now()
    states = list(InviteeStatus.values)
    Invitee.objects.bulk_create(
        [
            Invitee(
                event=event,
                client_id=cid,
                status=rng.choice(states),
                invited_on=TODAY - datetime.timedelta(days=10),
                attended_on=TODAY,
                status_changed_at=now,
            )
            for cid in rng.sample(ids, INVITEES)
        ]
    )
    return event


def run(*, report, timed) -> None:
    rng = random.Random(14)
    team = Team.objects.create(name="bench-gifts")
    manager = User.objects.create_user("bench-gift-manager", password="x", role="manager")
    team.manager = manager
    team.save()
    agent = User.objects.create_user("bench-gift-agent", password="x", team=team)
    ids = _book(agent, rng)
    _gifts(agent, ids, rng)
    event = _event(agent, ids, rng)
    for n in range(TEAM_AGENTS - 1):
        other = User.objects.create_user(f"bench-gift-agent{n}", password="x", team=team)
        Gift.objects.bulk_create(
            [
                Gift(
                    owner=other,
                    client=Client.objects.create(owner=other, name=f"队友客户{n}"),
                    what="名表",
                    cost=Decimal("5000"),
                    given_on=TODAY,
                    gift_cap=Decimal("200"),
                    year_cap=Decimal("500"),
                    year_total=Decimal("5000"),
                )
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    http = HttpClient()
    http.force_login(agent)
    url = reverse("events:detail", args=[event.pk])
    with CaptureQueriesContext(connection) as queries:
        assert http.get(url).status_code == 200
    report("event page, 500 invitees", queries=len(queries), **timed(lambda: http.get(url)))

    busiest = (
        Gift.objects.filter(owner=agent).values_list("client_id", flat=True).order_by("?").first()
    )
    log_url = reverse("client_gifts:log", args=[busiest])
    with CaptureQueriesContext(connection) as queries:
        assert http.get(log_url).status_code == 200
    report("gift log page", queries=len(queries), **timed(lambda: http.get(log_url)))

    client = Client.objects.get(pk=ids[-1])

    def log_one():
        gift_log(
            owner=agent,
            client=client,
            data=GiftInput("贺卡", "other", Decimal("10"), TODAY),
            confirmed=True,
        )

    report("log a gift (cap checks)", **timed(log_one))

    boss = HttpClient()
    boss.force_login(manager)
    team_url = reverse("team_gifts:overview")
    with CaptureQueriesContext(connection) as queries:
        assert boss.get(team_url).status_code == 200
    report(
        "manager: gifts above the cap", queries=len(queries), **timed(lambda: boss.get(team_url))
    )

    start, end = TODAY - datetime.timedelta(days=365), TODAY
    with CaptureQueriesContext(connection) as queries:
        service_panel(agent, start, end)
        service_events_panel(agent, start, end)
    report(
        "service panels, 5,000-client book",
        queries=len(queries),
        **timed(
            lambda: (service_panel(agent, start, end), service_events_panel(agent, start, end))
        ),
    )

    agents = AgentRange(agent.pk, agent.pk, ids=(agent.pk,))
    report(
        "event touches, one day's build",
        **timed(
            lambda: build_day(due=TODAY, agents=agents, kinds=EVENT_KINDS, late=True), repeat=5
        ),
    )
