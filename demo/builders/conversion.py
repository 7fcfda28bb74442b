"""Conversion by source that reads like a real book (the deck: referrals close at about 40%,
cold calls at about 11%), with real days to close.

Runs after the referrals, in the same transaction. Two things a freshly seeded book gets
wrong otherwise: every client is "created" today, after their policies (0 days to close), and
nearly every client holds a policy (100% conversion). So: each client who bought is dated a
few weeks to a few months before their first application; the others some time in the past
year; then each source gets the prospects who never bought (cold calls that went nowhere,
event contacts, warm-circle friends who said "next year"), spread over the book's years, that
bring its rate over all time to a plausible figure. Referrals are left as the referral demo
made them (their rate comes from the asks and pipelines). Deterministic: one seeded generator
per agent.
"""

import math
import random
from datetime import date, datetime, time, timedelta

from django.db.models import Min
from django.db.models.functions import Coalesce
from django.utils import timezone
from faker import Faker

from agentcrm.accounts.models import User
from clients.models import Client, Gender
from policies.models import Policy
from referrals.selectors.analytics import source_analytics

# Conversion over the last 12 months the seeded book aims at, per source.
TARGET_RATES = {
    Client.Source.COLD_CALL: 0.11,
    Client.Source.WARM_CIRCLE: 0.30,
    Client.Source.EVENT: 0.18,
    Client.Source.OTHER: 0.20,
}
DAYS_TO_CLOSE = (12, 110)
WINDOW_DAYS = 360
PROSPECT_NOTES = {
    Client.Source.COLD_CALL: (
        "陌拜电话，暂无需求",
        "电话约访被婉拒，半年后再联系",
        "已加微信，未回复",
    ),
    Client.Source.EVENT: ("客户答谢会上认识，留了名片", "健康讲座来宾，暂无意向"),
    Client.Source.WARM_CIRCLE: ("老同学，暂时不考虑", "邻居，说明年再看看"),
    Client.Source.OTHER: ("网上咨询过一次",),
    Client.Source.REFERRAL: ("介绍来的，还在考虑",),
}


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def seed_agent_conversion(agent: User, today: date) -> int:
    """Date the agent's clients and add the prospects who did not buy. Returns how many
    prospects were added."""
    rng = random.Random(f"conversion:{agent.username}")
    firsts = dict(
        Policy.objects.filter(owner=agent)
        .values("holder_id")
        .annotate(first=Min(Coalesce("application_date", "effective_date")))
        .values_list("holder_id", "first")
    )
    for pk, created_at in (
        Client.objects.filter(owner=agent).order_by("pk").values_list("pk", "created_at")
    ):
        created = timezone.localdate(created_at)
        first = firsts.get(pk)
        if first is not None and created > first - timedelta(days=DAYS_TO_CLOSE[0]):
            day = first - timedelta(days=rng.randint(*DAYS_TO_CLOSE))
            Client.objects.filter(pk=pk).update(created_at=_at(day))
        elif first is None and created >= today:
            day = today - timedelta(days=rng.randint(10, WINDOW_DAYS - 10))
            Client.objects.filter(pk=pk).update(created_at=_at(day))
    # All time: the book's policies go back years, so the last 12 months hold few sales.
    figures = source_analytics(user=agent, start=None, end=today)
    earliest = timezone.localdate(
        Client.objects.filter(owner=agent)
        .order_by("created_at")
        .values_list("created_at", flat=True)[0]
    )
    span = max((today - earliest).days, WINDOW_DAYS)
    fake = Faker("zh_CN")
    fake.seed_instance(rng.randint(0, 2**31))
    used = set(Client.objects.filter(owner=agent).values_list("mobile", flat=True))
    added = 0
    for row in figures.rows:
        target = TARGET_RATES.get(row.source)
        if not target or not row.converted:
            continue
        missing = math.ceil(row.converted / target) - row.prospects
        for _n in range(max(missing, 0)):
            gender = rng.choice([Gender.FEMALE, Gender.MALE])
            name = fake.name_female() if gender == Gender.FEMALE else fake.name_male()
            mobile = ""
            while not mobile or mobile in used:
                mobile = f"+861{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"
            used.add(mobile)
            prospect = Client.objects.create(
                owner=agent,
                name=name,
                gender=gender,
                mobile=mobile,
                source=row.source,
                stage=Client.Stage.PROSPECT,
                notes=rng.choice(PROSPECT_NOTES[row.source]),
            )
            day = today - timedelta(days=rng.randint(5, span))
            Client.objects.filter(pk=prospect.pk).update(created_at=_at(day))
            added += 1
    return added
