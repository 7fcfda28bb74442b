"""Conversion by source that reads like a real book (the deck: referrals close at about 40%,
cold calls at about 11%), with real days to close, over the last 12 months, shorter periods
and all time (`referrals.selectors.analytics.source_analytics`).

Runs after the referrals, in the same transaction. A freshly seeded book gets it wrong
otherwise: every client is "created" today, after their policies (0 days to close), nearly
every client holds a policy (100%), and the last year holds almost no new business. So:

- each client of the book who bought is dated a few weeks to a few months before their first
  application; the book's prospects some time in the past year;
- over the last two years (`HORIZON_DAYS`), every source but referrals has a steady flow of
  new prospects (`FLOWS`: so many a year, a rate, days to close). Walking each source's
  prospects oldest first, a `Quota` decides who bought: the one whose purchase keeps the
  source at its rate. A buyer applies some weeks later (`policies.first_sale`); the rest stay
  prospects with a note of why. The referrals demo does the same for the referred
  prospects (`REFERRAL_RATE`), with their pipelines won on the policy;
- before the horizon, each source gets the prospects who never bought (cold calls that went
  nowhere, event contacts, warm-circle friends who said "next year") that bring its rate
  over those years to the same figure.

Deterministic: seeded generators per agent, dates counted from `today`.
"""

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Min
from django.db.models.functions import Coalesce
from django.utils import timezone
from faker import Faker

from agentcrm.accounts.models import User
from clients.models import Client, Gender
from policies.models import Policy


class Quota:
    """Who of a stream of prospects, oldest first, bought: `due()` says whether one more sale
    keeps the stream at (rounded) `rate`, `count()` records what happened. Every stretch of the
    stream then converts within about one sale of the rate. A surplus (the book's old
    buyers, who all bought) is forgotten, so it does not starve the years after it."""

    def __init__(self, rate: float):
        self.rate, self.seen, self.won = rate, 0, 0

    def due(self) -> bool:
        return self.won + 1 <= self.rate * (self.seen + 1) + 0.5

    def count(self, *, won: bool) -> None:
        self.seen += 1
        self.won = min(self.won + won, math.floor(self.rate * self.seen + 0.5))


@dataclass(frozen=True)
class Flow:
    rate: float  # conversion the source aims at
    per_year: int  # prospects recorded a year
    close: tuple[int, int]  # days from the first contact to the application


FLOWS = {
    Client.Source.COLD_CALL: Flow(0.11, 40, (21, 110)),
    Client.Source.WARM_CIRCLE: Flow(0.30, 12, (10, 60)),
    Client.Source.EVENT: Flow(0.18, 14, (14, 80)),
    Client.Source.OTHER: Flow(0.20, 6, (10, 80)),
}
HORIZON_DAYS = 730
DAYS_TO_CLOSE = (12, 110)  # the book's buyers: first contact to their first application
PROSPECT_NOTES = {
    Client.Source.COLD_CALL: (
        "陌拜电话，暂无需求",
        "电话约访被婉拒，半年后再联系",
        "已加微信，未回复",
    ),
    Client.Source.EVENT: ("客户答谢会上认识，留了名片", "健康讲座来宾，暂无意向"),
    Client.Source.WARM_CIRCLE: ("老同学，暂时不考虑", "邻居，说明年再看看"),
    Client.Source.OTHER: ("网上咨询过一次",),
}


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


class _Conversion:
    def __init__(self, agent: User, today: date):
        from .policies import sales_desk

        self.agent, self.today = agent, today
        self.rng = random.Random(f"conversion:{agent.username}")
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(self.rng.randint(0, 2**31))
        self.used = set(Client.objects.filter(owner=agent).values_list("mobile", flat=True))
        self.sales = sales_desk(agent, today=today, seed="agentcrm-demo-sales")
        self.added = 0

    def firsts(self) -> dict[int, date]:
        """Each holder's first own application (its effective date when none)."""
        return dict(
            Policy.objects.own()
            .filter(owner=self.agent)
            .values("holder_id")
            .annotate(first=Min(Coalesce("application_date", "effective_date")))
            .values_list("holder_id", "first")
        )

    def date_the_book(self) -> None:
        """Buyers a few weeks to months before their first application; the prospects some
        time in the past year."""
        rng, today, firsts = self.rng, self.today, self.firsts()
        rows = Client.objects.filter(owner=self.agent).order_by("pk")
        for pk, created_at in rows.values_list("pk", "created_at"):
            created = timezone.localdate(created_at)
            first = firsts.get(pk)
            if first is not None and created > first - timedelta(days=DAYS_TO_CLOSE[0]):
                day = first - timedelta(days=rng.randint(*DAYS_TO_CLOSE))
                Client.objects.filter(pk=pk).update(created_at=_at(day))
            elif first is None and created >= today:
                day = today - timedelta(days=rng.randint(10, 350))
                Client.objects.filter(pk=pk).update(created_at=_at(day))

    def prospect(self, source: str, day: date) -> Client:
        rng = self.rng
        gender = rng.choice([Gender.FEMALE, Gender.MALE])
        name = self.fake.name_female() if gender == Gender.FEMALE else self.fake.name_male()
        mobile = ""
        while not mobile or mobile in self.used:
            mobile = f"+861{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"
        self.used.add(mobile)
        client = Client.objects.create(
            owner=self.agent,
            name=name,
            gender=gender,
            mobile=mobile,
            source=source,
            stage=Client.Stage.PROSPECT,
            notes=rng.choice(PROSPECT_NOTES[source]),
        )
        Client.objects.filter(pk=client.pk).update(created_at=_at(day))
        self.added += 1
        return client

    def flow(self, source: str, flow: Flow) -> None:
        """The source's prospects over the horizon, its buyers chosen by a `Quota`."""
        rng, today = self.rng, self.today
        start = today - timedelta(days=HORIZON_DAYS)
        firsts = self.firsts()
        book = [
            (timezone.localdate(at), pk)
            for pk, at in Client.objects.filter(
                owner=self.agent, source=source, created_at__gte=_at(start)
            ).values_list("pk", "created_at")
        ]
        count = max(round(flow.per_year * HORIZON_DAYS / 365) - len(book), 0)
        step = HORIZON_DAYS / max(count, 1)
        slots = [
            (min(start + timedelta(days=int((n + rng.random()) * step)), today), None)
            for n in range(count)
        ]
        quota = Quota(flow.rate)
        for day, pk in sorted(book + slots, key=lambda row: (row[0], row[1] or 0)):
            if pk is not None:  # the book's own client: bought or not already
                quota.count(won=pk in firsts)
                continue
            client = self.prospect(source, day)
            latest = (today - timedelta(days=2) - day).days
            if latest >= flow.close[0] and quota.due():
                days = rng.randint(flow.close[0], min(flow.close[1], latest))
                self.sales.first_sale(client, application=day + timedelta(days=days))
                Client.objects.filter(pk=client.pk).update(notes="")
                quota.count(won=True)
            else:
                quota.count(won=False)

    def before_the_horizon(self, source: str, flow: Flow) -> None:
        """The prospects of the book's earlier years who never bought, bringing the years
        before the horizon to the source's rate."""
        start = self.today - timedelta(days=HORIZON_DAYS)
        firsts = self.firsts()
        earlier = Client.objects.filter(owner=self.agent, created_at__lt=_at(start))
        clients = earlier.filter(source=source)
        converted = clients.filter(pk__in=list(firsts)).count()
        if not converted:
            return
        oldest = earlier.aggregate(first=Min("created_at"))["first"]
        span = (start - timezone.localdate(oldest)).days
        missing = math.ceil(converted / flow.rate) - clients.count()
        for _n in range(max(missing, 0)):
            self.prospect(source, start - timedelta(days=self.rng.randint(1, max(span, 1))))

    def build(self) -> int:
        self.date_the_book()
        for source, flow in FLOWS.items():
            self.flow(source, flow)
            self.before_the_horizon(source, flow)
        return self.added


def seed_agent_conversion(agent: User, today: date) -> int:
    """Date the agent's clients and add the prospects of the past years, some of whom bought.
    Returns how many clients were added."""
    return _Conversion(agent, today).build()
