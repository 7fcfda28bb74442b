"""Demo gifts for `manage.py seed_demo`: over the past year, festival and birthday gifts to
a dozen clients of each new demo book, within the caps, and one above the cap (a bottle of
Moutai at the Spring Festival, logged after the warning was confirmed), so the client page,
the service page and the manager's list all have something to show.

Through gifts.services (`gift_log`), so the caps recorded are the app's own. Deterministic:
the clients are the agent's first by id, the dates come from `today`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from agentcrm.accounts.models import User
from clients.models import Client
from gifts.services import GiftInput, GiftNeedsConfirmation, gift_log

# (gift, occasion, cost, days before today)
PLAN = [
    ("月饼礼盒", "mid_autumn", "168", 80),
    ("台历和福字", "spring_festival", "45", 300),
    ("粽子礼盒", "dragon_boat", "128", 180),
    ("生日蛋糕", "birthday", "198", 40),
    ("《小狗钱钱》", "other", "39", 120),
    ("时尚杂志一年订阅", "womens_day", "180", 270),
    ("康乃馨", "mothers_day", "99", 210),
    ("元宵礼盒", "lantern", "58", 285),
]


def seed_agent_gifts(agent: User, today: date) -> int:
    """The demo step: gifts for the agent's new book. Returns how many."""
    clients = list(
        Client.objects.filter(owner=agent, archived_at__isnull=True, stage="client").order_by("pk")[
            :12
        ]
    )
    made = 0
    for index, client in enumerate(clients):
        for offset in range(2):
            what, occasion, cost, days = PLAN[(index + offset * 3) % len(PLAN)]
            data = GiftInput(
                what=what,
                occasion=occasion,
                cost=Decimal(cost),
                given_on=today - timedelta(days=days + index),
            )
            try:
                gift_log(owner=agent, client=client, data=data)
            except GiftNeedsConfirmation:
                continue  # a repeat or a tier's year full: the demo leaves it out
            made += 1
    if clients:
        gift_log(
            owner=agent,
            client=clients[0],
            data=GiftInput(
                what="飞天茅台一瓶",
                occasion="spring_festival",
                cost=Decimal("1499"),
                given_on=today - timedelta(days=20),
                notes="客户父亲八十大寿前后，一时没忍住",
            ),
            confirmed=True,
        )
        made += 1
    return made
