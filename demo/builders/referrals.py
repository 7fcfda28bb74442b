"""Demo referrals for `manage.py seed_demo`: who referred whom in a new demo book, a year of
referral requests, the referred prospects' pipelines, report-backs and thanks.

`demo.seed` runs `seed_agent_referrals` for an agent's new book after the policies step
(`DEMO_STEPS`), so the book already has its policies: a referred client who holds one is
"won" with their first policy. It runs right after the agent's book was created, in the same
transaction, so it is as idempotent as the book (a second run creates nothing).

Everything goes through the referral services (`referral_request_record`, `referral_create`,
`referral_stage_change` with `at=`, `referral_feedback_report`, `referral_thank`), so the rules
(no cycles, depth, contacted_at, feedback deadlines, won needs a policy of the referred) are
the app's own. Only what the services stamp "now" is moved back to the day it stands for: the
first "new" step, report-backs and thanks.

Deterministic: every choice comes from a random.Random seeded with the agent's username, and
every date from `today`. With T for today, each agent has:
- a Referral for every client of the book whose source is "referral", its referrer chosen
  among the clients who were not referred (influence centres first) or, for some, among the
  people referred before them; the first three form a chain of depth 3;
- about 18 referral requests over the past 12 months (contexts delivery, annual review,
  service visit, event); about 70% gave one to three names (new prospects, or the referred
  clients of the book), the rest a reason for giving none, spread over the deck's list;
- pipelines with stage changes in the past: contacted, met, proposal, then won with the
  referred person's first policy when they hold one, or lost with a reason;
- report-backs mostly within the three days, some late, some never made; thanks for most
  wins and some others;
- a request asked on T-6 whose first prospect was contacted on T-5 (report back overdue since
  T-2) and met on T-1 (report back due T+2), so the referrer's "report back" touches show on
  the dashboard after the first touch build.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone, translation

from agentcrm.accounts.models import User
from clients.models import Client, Gender, Interaction
from policies import dates
from policies.models import Policy
from referrals.models import (
    Context,
    Referral,
    ReferralStageChange,
    RefusalReason,
    Relationship,
    Stage,
)
from referrals.services import (
    Person,
    referral_create,
    referral_feedback_report,
    referral_request_record,
    referral_stage_change,
    referral_thank,
)

from .clients import (
    GIFT_VALUES,
    MANAGER_JOBS,
    OTHER_JOBS,
    OWNER_JOBS,
    _mobile,
    _person_name,
)
from .conversion import Quota
from .policies import sales_desk

REQUESTS_PER_YEAR = 18
# The deck's study: referrals close at about 40%, in a few weeks (days from the names given
# to the application).
# A touch above it: the names of the last fortnight cannot have closed yet, and a name whose
# referred person has since been archived or asked not to be contacted does not buy.
REFERRAL_RATE = 0.44
CLOSE_DAYS = (12, 55)
NAMES_SHARE = 0.7  # of the requests that gave names
YEAR = 365

CONTEXTS = [
    (Context.DELIVERY, 35),
    (Context.ANNUAL_REVIEW, 30),
    (Context.SERVICE_VISIT, 20),
    (Context.EVENT, 15),
]
RELATIONSHIPS = [
    (Relationship.FRIEND, 35),
    (Relationship.COLLEAGUE, 20),
    (Relationship.RELATIVE, 15),
    (Relationship.CLASSMATE, 10),
    (Relationship.BUSINESS, 10),
    (Relationship.NEIGHBOUR, 8),
    (Relationship.OTHER, 2),
]
REASONS = [
    "刚生了宝宝，想给孩子做保障规划",
    "自己开公司，关心企业主的保障和财富传承",
    "最近买了房，房贷压力不小",
    "父母年纪大了，想了解医疗和养老保障",
    "一直说想买重疾险，但没找到靠谱的人",
    "刚升职加薪，想做长期理财规划",
    "身边有朋友生病住院，开始重视保障",
    "孩子明年上小学，关心教育金",
    "单位只有基本社保，担心保障不够",
    "经常出差开车，关心意外保障",
]
LOST_REASONS = [
    "预算有限，暂不考虑",
    "已在其他代理人处投保",
    "家人反对购买商业保险",
    "多次联系未回复",
    "体检结果不符合投保条件",
]
REFUSAL_NOTES = {
    RefusalReason.OTHER: "说要先和家人商量，下次见面再聊",
    RefusalReason.NO_ONE: "答应想到合适的朋友再告诉我",
    RefusalReason.AGENT_QUIT: "问我还会做多久，讲了我的职业规划",
}
STAGE_NOTES = {
    Stage.CONTACTED: [
        "电话联系上，约了见面时间",
        "微信加上好友，做了自我介绍",
        "电话沟通，对方愿意了解",
    ],
    Stage.MET: [
        "咖啡馆见面，聊了家庭保障需求",
        "上门拜访，做了需求分析",
        "午饭时见面，了解了收入和家庭情况",
    ],
    Stage.PROPOSAL: [
        "发送了重疾加医疗的组合方案",
        "讲解了保障方案，对方回去和家人商量",
        "调整了保额后重新出方案",
    ],
    Stage.WON: ["签单成功，已递交投保单", "客户确认方案并完成投保"],
}
THANK_NOTES = ["送上感谢小礼物", "微信发红包表示感谢", "请介绍人喝下午茶表示感谢"]


def seed_agent_referrals(agent: User, today: date) -> int:
    """The demo step: the agent's new book gets its referrals. Returns how many."""
    # Demo data reads in the product's language, whatever the caller had active.
    with translation.override(settings.LANGUAGE_CODE):
        return _ReferralBook(agent, today=today).build()


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


class _ReferralBook:
    def __init__(self, agent: User, *, today: date):
        from faker import Faker

        self.agent, self.today = agent, today
        self.rng = random.Random(f"agentcrm-demo-referrals:{agent.username}")
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(f"agentcrm-demo-referrals:{agent.username}")
        self.clients = list(Client.objects.filter(owner=agent).order_by("pk"))
        self.used_mobiles = {str(c.mobile) for c in self.clients if c.mobile}
        self.names = {c.name for c in self.clients}
        # Each person's policies (held or insured), oldest application first.
        self.policies: dict[int, list[Policy]] = defaultdict(list)
        policies = Policy.objects.filter(owner=agent).order_by("pk")
        for policy in sorted(policies, key=lambda p: p.application_date or p.effective_date):
            self.policies[policy.holder_id].append(policy)
            if policy.insured_client_id and policy.insured_client_id != policy.holder_id:
                self.policies[policy.insured_client_id].append(policy)
        self.referred_on: dict[int, date] = {}  # client id -> the day they were referred
        self.depth: dict[int, int] = {}
        self.asked = 0  # requests recorded in the past year
        self.refusals = self.rng.randrange(len(RefusalReason.values))
        self.referrals: list[Referral] = []
        self.reports_due = 0  # report-backs whose deadline has passed, counted as made
        self.pending: list[Referral] = []  # referrals whose pipeline is still to be played
        self.sales = sales_desk(agent, today=today, seed="agentcrm-demo-referral-sales")

    # -- who ---------------------------------------------------------------------------

    @staticmethod
    def contactable(client: Client) -> bool:
        return client.archived_at is None and not client.do_not_contact

    def roots(self) -> list[Client]:
        """Clients who were not referred and may be asked: the first links of the chains."""
        return [
            c
            for c in self.clients
            if c.source != Client.Source.REFERRAL
            and c.stage == Client.Stage.CLIENT
            and self.contactable(c)
        ]

    def root_referrer(self) -> Client:
        roots = self.roots()
        centres = [c for c in roots if c.is_influence_centre]
        pool = centres if centres and self.rng.random() < 0.65 else roots
        return self.rng.choice(pool)

    def first_policy(self, client: Client) -> Policy | None:
        held = self.policies.get(client.pk)
        return held[0] if held else None

    # -- names ---------------------------------------------------------------------------

    def pick(self, weighted: list[tuple]) -> str:
        values, weights = zip(*weighted, strict=True)
        return self.rng.choices(values, weights=weights)[0]

    def person(self, existing: Client | None = None) -> Person:
        relationship = self.pick(RELATIONSHIPS)
        reason = self.rng.choice(REASONS)
        if existing is not None:
            return Person(existing=existing, relationship=relationship, reason=reason)
        rng = self.rng
        gender = Gender.FEMALE if rng.random() < 0.5 else Gender.MALE
        occupation, _industry = rng.choice(OTHER_JOBS + MANAGER_JOBS + OWNER_JOBS)
        name = _person_name(rng, self.fake, gender)
        while name in self.names:
            name = _person_name(rng, self.fake, gender)
        self.names.add(name)
        return Person(
            name=name,
            mobile=_mobile(rng, self.used_mobiles),
            occupation=occupation,
            relationship=relationship,
            reason=reason,
        )

    def new_names(self, low: int, high: int) -> list[Person]:
        return [self.person() for _ in range(self.rng.randint(low, high))]

    @staticmethod
    def anniversary_near(policy: Policy, on: date) -> date:
        """The policy's anniversary nearest to `on`."""
        return min(
            (
                dates.anniversary_in_year(effective=policy.effective_date, year=year)
                for year in (on.year - 1, on.year, on.year + 1)
            ),
            key=lambda day: abs((day - on).days),
        )

    def context_and_policy(self, client: Client, on: date) -> tuple[str, Policy | None]:
        """Where names given on `on` were asked for, with the policy delivered or reviewed
        then when the client has one (a review without a policy due is a visit or an event)."""
        context = self.pick(CONTEXTS)
        held = self.policies.get(client.pk, [])
        if context == Context.DELIVERY:
            delivered = [
                p
                for p in held
                if p.delivery_date and on - timedelta(days=30) <= p.delivery_date <= on
            ]
            # The demo's policies were mostly delivered years ago: without one delivered
            # then, the ask stays at "a delivery" (of a policy not in the book).
            return context, delivered[-1] if delivered else None
        if context == Context.ANNUAL_REVIEW:
            reviewed = [
                p
                for p in held
                if p.effective_date < on and abs((self.anniversary_near(p, on) - on).days) <= 21
            ]
            if reviewed:
                return context, reviewed[-1]
            context = Context.SERVICE_VISIT if self.rng.random() < 0.6 else Context.EVENT
        return context, None

    def review_day(self, client: Client) -> tuple[date, Policy] | None:
        """An annual review of one of the client's policies in the past year, if any."""
        window = (self.today - timedelta(days=360), self.today - timedelta(days=8))
        reviews = [
            (day, p)
            for p in self.policies.get(client.pk, [])
            if p.effective_date < window[0]
            for day in (self.anniversary_near(p, self.today - timedelta(days=180)),)
            if window[0] <= day <= window[1]
        ]
        return self.rng.choice(reviews) if reviews else None

    # -- writing -------------------------------------------------------------------------

    def backdate(self, referrals: list[Referral], given: date) -> None:
        """The services stamp a new referral (and a new prospect) "now": move them to the
        day the names were given."""
        at = _at(given, 9 + self.rng.randint(0, 9), self.rng.choice((0, 15, 30, 45)))
        ids = [r.pk for r in referrals]
        Referral.objects.filter(pk__in=ids).update(stage_changed_at=at, created_at=at)
        ReferralStageChange.objects.filter(referral_id__in=ids, to_stage=Stage.NEW).update(
            changed_at=at
        )
        new_prospects = [r.referred_id for r in referrals if r.referred_id not in self.known()]
        Client.objects.filter(pk__in=new_prospects).update(created_at=at)
        for referral in referrals:
            referral.refresh_from_db()
            self.referred_on[referral.referred_id] = given
            self.depth[referral.referred_id] = referral.depth
        self.referrals.extend(referrals)

    def known(self) -> set[int]:
        return {c.pk for c in self.clients}

    def ask(
        self,
        client: Client,
        on: date,
        people: list[Person],
        *,
        context: str | None = None,
        policy: Policy | None = None,
    ) -> list[Referral]:
        """One referral request; a refusal when `people` is empty."""
        if context is None:
            context, policy = self.context_and_policy(client, on)
        refusal, notes = "", ""
        if not people:
            reasons = list(RefusalReason)
            # Round the deck's list, now and then skipping one: a spread, not one reason.
            self.refusals += self.rng.randint(1, 2)
            refusal = reasons[self.refusals % len(reasons)]
            notes = REFUSAL_NOTES.get(refusal, "")
        request = referral_request_record(
            owner=self.agent,
            client=client,
            asked_on=on,
            context=context,
            people=people,
            refusal_reason=refusal,
            notes=notes,
            policy=policy,
            by=self.agent,
        )
        self.asked += 1
        referrals = list(request.referrals.order_by("pk"))
        self.backdate(referrals, on)
        return referrals

    def step(self, referral: Referral, to_stage: str, day: date, **kwargs) -> ReferralStageChange:
        notes = STAGE_NOTES.get(to_stage)
        return referral_stage_change(
            referral=referral,
            to_stage=to_stage,
            by=self.agent,
            note=self.rng.choice(notes) if notes else "",
            at=_at(day, 10 + self.rng.randint(0, 8), self.rng.choice((0, 10, 20, 30, 40, 50))),
            **kwargs,
        )

    def report(self, change: ReferralStageChange, day: date) -> None:
        """Reported back on `day` (logged on the referrer's timeline when within the year)."""
        referral_feedback_report(
            change=change,
            by=self.agent,
            channel=self.rng.choice([Interaction.Kind.MESSAGE, Interaction.Kind.CALL]),
            on=day,
            log_contact=day > self.today - timedelta(days=YEAR),
        )
        ReferralStageChange.objects.filter(pk=change.pk).update(
            reported_at=_at(day, 12 + self.rng.randint(0, 8), self.rng.randint(0, 59))
        )

    def thank(self, referral: Referral, day: date) -> None:
        at = _at(day, 19, 30)
        if day <= self.today - timedelta(days=YEAR):
            # Older than the timeline the demo book keeps: the thanks without the entry.
            Referral.objects.filter(pk=referral.pk).update(thanked_at=at)
            return
        gift = self.rng.random() < 0.5
        referral_thank(
            referral=referral,
            by=self.agent,
            channel=Interaction.Kind.GIFT if gift else Interaction.Kind.MESSAGE,
            note=self.rng.choice(THANK_NOTES) if gift else "微信发感谢的话",
            gift_value=self.rng.choice(GIFT_VALUES) if gift else None,
            on=day,
        )
        Referral.objects.filter(pk=referral.pk).update(thanked_at=at)

    # -- pipelines -----------------------------------------------------------------------

    def feedback(self, change: ReferralStageChange) -> None:
        """Most report-backs within the three days, some late, some never."""
        day = timezone.localdate(change.changed_at)
        due = change.feedback_due
        last = self.today - timedelta(days=1)
        if due < self.today:
            # A fixed rhythm rather than dice, so every book shows about 80% on time.
            self.reports_due += 1
            if self.reports_due % 7 == 3 and due + timedelta(days=1) <= last:
                late = due + timedelta(days=self.rng.randint(1, 8))
                self.report(change, min(late, last))
            elif self.reports_due % 11 != 6:
                self.report(change, min(day + timedelta(days=self.rng.randint(0, 3)), last))
        elif day < last and self.rng.random() < 0.5:
            self.report(change, day + timedelta(days=self.rng.randint(1, (last - day).days)))

    def won_pipeline(self, referral: Referral, given: date, policy: Policy) -> None:
        """Contacted, met, a proposal, then won on the policy's application day."""
        won = min(policy.application_date or policy.effective_date, self.today - timedelta(days=1))
        span = (won - given).days
        offsets = sorted(self.rng.sample(range(1, max(span, 4)), 3))
        days = [min(given + timedelta(days=o), won) for o in offsets]
        for stage, day in zip((Stage.CONTACTED, Stage.MET, Stage.PROPOSAL), days, strict=True):
            change = self.step(referral, stage, day)
            if change.feedback_due:
                self.feedback(change)
        change = self.step(referral, Stage.WON, won, policy=policy)
        self.feedback(change)
        if self.rng.random() < 0.9:
            self.thank(referral, min(won + timedelta(days=self.rng.randint(1, 7)), self.last()))

    def last(self) -> date:
        return self.today - timedelta(days=1)

    def open_pipeline(self, referral: Referral, given: date, *, may_lose: bool = True) -> None:
        """As far as the prospect got by yesterday: new, contacted, met, proposal, or lost."""
        rng = self.rng
        path = rng.choices(
            [
                [],
                [Stage.CONTACTED],
                [Stage.CONTACTED, Stage.MET],
                [Stage.CONTACTED, Stage.MET, Stage.PROPOSAL],
                [Stage.CONTACTED, Stage.LOST],
                [Stage.CONTACTED, Stage.MET, Stage.LOST],
                [Stage.CONTACTED, Stage.MET, Stage.PROPOSAL, Stage.LOST],
            ],
            weights=[12, 18, 18, 18, 12, 12, 10],
        )[0]
        if not may_lose:
            path = [Stage.CONTACTED, Stage.MET, Stage.PROPOSAL]
        day = given
        for stage in path:
            day = day + timedelta(days=rng.randint(1, 9))
            if day > self.last():
                break
            kwargs = {"lost_reason": rng.choice(LOST_REASONS)} if stage == Stage.LOST else {}
            change = self.step(referral, stage, day, **kwargs)
            if change.feedback_due:
                self.feedback(change)
        if referral.stage != Stage.NEW and rng.random() < 0.3:
            self.thank(referral, min(given + timedelta(days=rng.randint(2, 12)), self.last()))

    def play_pipelines(self) -> None:
        """Every pipeline, oldest referral first. A referred prospect who has no policy buys
        one when the book's referrals have fallen below the deck's rate (about 40%, a
        `Quota` over the referrals in the order they were given): applied some weeks after
        the names were given, then won with that policy."""
        quota = Quota(REFERRAL_RATE)
        for referral in sorted(self.pending, key=lambda r: (r.given_on, r.pk)):
            referred = referral.referred
            policy = self.first_policy(referred)
            closes = (
                policy is None
                and self.contactable(referred)
                and referral.given_on <= self.today - timedelta(days=CLOSE_DAYS[0])
                and quota.due()
            )
            if closes:
                days = self.rng.randint(*CLOSE_DAYS)
                application = min(
                    referral.given_on + timedelta(days=days), self.today - timedelta(days=2)
                )
                policy = self.sales.first_sale(referred, application=application)
                self.policies[referred.pk].append(policy)
            quota.count(won=policy is not None)
            self.pipeline(referral)
        self.pending = []

    def pipeline(self, referral: Referral) -> None:
        referred = referral.referred
        given = referral.given_on
        policy = self.first_policy(referred)
        if policy is not None:
            self.won_pipeline(referral, given, policy)
        elif referred.archived_at is not None:
            day = given + timedelta(days=2)
            self.feedback(self.step(referral, Stage.CONTACTED, day))
            lost = self.step(
                referral, Stage.LOST, day + timedelta(days=1), lost_reason="已移居海外，不再跟进"
            )
            self.feedback(lost)
        elif referred.stage == Client.Stage.CLIENT:
            self.open_pipeline(referral, given, may_lose=False)  # no policy to win with
        else:
            self.open_pipeline(referral, given)

    # -- the book's referred clients -------------------------------------------------------

    def referred_clients(self) -> list[tuple[date, Client]]:
        """The book's clients whose source is a referral, with the day they were referred:
        some weeks before their first policy, else some time in the past year."""
        rows = []
        for client in self.clients:
            if client.source != Client.Source.REFERRAL:
                continue
            policy = self.first_policy(client)
            if policy is not None:
                first = policy.application_date or policy.effective_date
                given = min(first, self.last()) - timedelta(days=self.rng.randint(20, 75))
            else:
                given = self.today - timedelta(days=self.rng.randint(12, 340))
            rows.append((given, client))
        rows.sort(key=lambda row: (row[0], row[1].pk))
        return rows

    def link_book(self) -> None:
        """A referrer for every referred client of the book. Referrers are clients who were
        not referred or people referred before them, so no cycle can arise; the first three
        who may be asked form a chain A → B → C → D (depth 3)."""
        rows = self.referred_clients()
        chain = [c for _given, c in rows if self.contactable(c)][:3]
        linked: list[Client] = []
        for given, client in rows:
            if client in chain[1:]:
                referrer = chain[chain.index(client) - 1]
            else:
                earlier = [c for c in linked if self.contactable(c)]
                if earlier and self.rng.random() < 0.3:
                    referrer = self.rng.choice(earlier)
                else:
                    referrer = self.root_referrer()
            person = self.person(existing=client)
            if given > self.today - timedelta(days=YEAR):
                extra = self.new_names(1, 2) if self.rng.random() < 0.5 else []
                referrals = self.ask(referrer, given, [person, *extra])
            else:
                context, _policy = self.context_and_policy(referrer, given)
                referral = referral_create(
                    owner=self.agent,
                    referrer=referrer,
                    person=person,
                    given_on=given,
                    context=context,
                    by=self.agent,
                )
                referrals = [referral]
                self.backdate(referrals, given)
            linked.append(client)
            for referral in referrals:
                self.pending.append(referral)

    def earlier_years(self) -> None:
        """Names given before the past year who never bought (the book holds only that
        time's buyers): enough that those years, too, convert at about the deck's rate. Each
        was contacted, sometimes met, then lost."""
        rng, cutoff = self.rng, self.today - timedelta(days=YEAR)
        old = [r for r in self.pending if r.given_on <= cutoff]
        if not old:
            return
        won = sum(self.first_policy(r.referred) is not None for r in old)
        start = min(r.given_on for r in old)
        for _n in range(max(math.ceil(won / REFERRAL_RATE) - len(old), 0)):
            given = start + timedelta(days=rng.randint(0, (cutoff - start).days))
            referrer = self.root_referrer()
            context, _policy = self.context_and_policy(referrer, given)
            referral = referral_create(
                owner=self.agent,
                referrer=referrer,
                person=self.person(),
                given_on=given,
                context=context,
                by=self.agent,
            )
            self.backdate([referral], given)
            day = given + timedelta(days=rng.randint(1, 9))
            self.feedback(self.step(referral, Stage.CONTACTED, day))
            if rng.random() < 0.5:
                day += timedelta(days=rng.randint(3, 14))
                self.feedback(self.step(referral, Stage.MET, day))
            day += timedelta(days=rng.randint(5, 30))
            lost = self.step(referral, Stage.LOST, day, lost_reason=rng.choice(LOST_REASONS))
            self.feedback(lost)

    # -- a year of asking ----------------------------------------------------------------

    def ask_around(self) -> None:
        """Requests over the past year until about REQUESTS_PER_YEAR, 70% with names."""
        rng, today = self.rng, self.today
        # The deepest contactable referred person was asked too: the chain grows.
        linked = [c for c in self.clients if c.pk in self.depth and self.contactable(c)]
        if linked:
            deepest = max(linked, key=lambda c: (self.depth[c.pk], -c.pk))
            start = max(
                self.referred_on[deepest.pk] + timedelta(days=10), today - timedelta(days=300)
            )
            if start < today - timedelta(days=10):
                on = start + timedelta(days=rng.randint(0, (today - start).days - 10))
                for referral in self.ask(deepest, on, self.new_names(1, 2)):
                    self.pending.append(referral)
        total = max(REQUESTS_PER_YEAR, self.asked + 8)
        refusals = round(total * (1 - NAMES_SHARE))
        extra = total - self.asked - 1  # the last one is the fresh request below
        plan = [True] * max(extra - refusals, 0) + [False] * min(refusals, extra)
        rng.shuffle(plan)
        # Deliveries of the past year were a natural moment to ask (保单回执转介绍); the
        # newest delivery's referral step is still open in the demo, so leave it be.
        deliveries = sorted(
            {
                p
                for held in self.policies.values()
                for p in held
                if p.delivery_date
                and today - timedelta(days=350) <= p.delivery_date <= today - timedelta(days=20)
                and self.contactable(p.holder)
                and p.holder.stage == Client.Stage.CLIENT
            },
            key=lambda p: (p.delivery_date, p.pk),
        )
        for gives_names in plan:
            people = self.new_names(1, 3) if gives_names else []
            if deliveries and rng.random() < 0.4:
                policy = deliveries.pop(rng.randrange(len(deliveries)))
                referrals = self.ask(
                    policy.holder,
                    policy.delivery_date,
                    people,
                    context=Context.DELIVERY,
                    policy=policy,
                )
            else:
                client = rng.choice(self.roots() + linked)
                review = self.review_day(client) if rng.random() < 0.5 else None
                if review is not None:  # asked at the policy's annual review (年度保单检查)
                    on, policy = review
                    context = Context.ANNUAL_REVIEW
                else:
                    on, policy, context = today - timedelta(days=rng.randint(8, 360)), None, None
                if client.pk in self.referred_on and on <= self.referred_on[client.pk]:
                    on = min(self.referred_on[client.pk] + timedelta(days=7), self.last())
                referrals = self.ask(client, on, people, context=context, policy=policy)
            for referral in referrals:
                self.pending.append(referral)

    def fresh(self) -> None:
        """Asked on T-6: one prospect contacted on T-5 and met yesterday, neither reported
        back yet (one overdue, one due in two days); another contacted on T-2 and reported."""
        today = self.today
        centres = [c for c in self.roots() if c.is_influence_centre] or self.roots()
        client = centres[0]
        first, second = self.ask(
            client,
            today - timedelta(days=6),
            [self.person(), self.person()],
            context=Context.SERVICE_VISIT,
        )
        self.step(first, Stage.CONTACTED, today - timedelta(days=5))
        self.step(first, Stage.MET, today - timedelta(days=1))
        change = self.step(second, Stage.CONTACTED, today - timedelta(days=2))
        self.report(change, today - timedelta(days=1))

    def build(self) -> int:
        if not self.roots():
            return 0
        self.link_book()
        self.earlier_years()
        self.ask_around()
        self.play_pipelines()
        self.fresh()
        return len(self.referrals)
