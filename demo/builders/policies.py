"""Demo policies for `manage.py seed_demo`: one or two policies for most clients of a new demo
book, laid out around today so that every policy occasion is on the agent's touch list.

`demo.seed` runs `seed_agent_policies` for an agent right after creating the agent's book,
in the same transaction, so it is as idempotent as the book (a second run creates nothing).

Everything is written through the policy services (`policy_create`, `premium_record_payment`,
`policy_set_status`, `payout_schedule_generate`, `service_request_create`, `review_create`,
`delivery_tick`, ...), so the rules, the status history and the stored premium dates are the
app's own. Only the timestamps of history steps and checklist ticks, which the services stamp
"now", are moved back to the day they stand for.

Deterministic: every choice comes from a random.Random seeded with the agent's username.

With each kind's default lead time, every policy kind has an open touch due between today-7
and today+7 (the days the first `build_touches` builds). T is today:
- policy anniversaries on T+3, T+6 and T+10 (lead 7);
- premiums due on T+13 and T+18 (lead 15);
- a yearly rider expiring on T+30 (lead 30);
- a survival benefit on T+28 and an annuity payment on T+33 (lead 30);
- a policy in its grace period until T+4 (lead 7; the insurer allows 30 days);
- a policy lapsed 40 days ago, with a reinstatement request whose next step is tomorrow;
- a new policy whose receipt was signed on T-13, so the cooling-off period ends on T+2
  (lead 2), its delivery checklist done but for the referral steps; and a pending policy
  awaiting delivery, its checklist started;
- an open hospital claim whose next step was due on T-2;
- an annual review held on T-8, with a follow-up promise due on T+3 (lead 1).
"""

from __future__ import annotations

import calendar
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db.models import Model, Prefetch, QuerySet
from django.utils import timezone

from agentcrm.accounts.models import User
from agentcrm.core.calendar import solar_in_year
from clients.models import Client, FamilyMember, Gender, LifeEvent
from policies import dates
from policies.models import (
    Beneficiary,
    Insurer,
    Payout,
    Policy,
    PolicyStatusChange,
    Rider,
)
from policies.services import (
    PayoutPattern,
    payout_mark_claimed,
    payout_schedule_generate,
    policy_create,
    policy_set_status,
    premium_record_payment,
)
from servicing.models import DeliveryItem, DeliveryTick, ServiceRequest, ServiceRequestStatusChange
from servicing.services import (
    delivery_tick,
    delivery_update,
    review_create,
    service_request_create,
    service_request_document_toggle_received,
    service_request_set_status,
)

Type, Frequency, Coverage, Status = (
    Policy.Type,
    Policy.Frequency,
    Policy.Coverage,
    Policy.Status,
)
WHOLE_LIFE = (Coverage.WHOLE_LIFE, None)

# Insurer -> grace period in days. Shared by all agents: found by name, created when missing.
INSURERS = {"中国人寿": 60, "平安人寿": 60, "太平洋人寿": 60, "新华保险": 60, "泰康人寿": 30}


@dataclass(frozen=True)
class Product:
    insurer: str
    name: str
    type: str
    pay_years: int
    coverage: tuple[str, int | None]
    # Protection: the sum assured (low, high, step) and the yearly premium per yuan of it at
    # age 30, plus so much more for each year of age above 30 at issue.
    sums: tuple[int, int, int] = (0, 0, 1)
    rate: str = "0"
    rate_per_year: str = "0"
    # Savings (endowment, annuity): the yearly premium (low, high, step); the sum assured is
    # the premiums of the whole payment term.
    premiums: tuple[int, int, int] | None = None
    frequencies: tuple[str, ...] = (Frequency.ANNUAL,)
    ages: tuple[int, int] = (18, 60)  # the insured's age at issue
    weight: int = 10  # how often it is chosen among the products that fit


ANNUAL, SEMI, QUARTERLY, MONTHLY = (
    Frequency.ANNUAL,
    Frequency.SEMI_ANNUAL,
    Frequency.QUARTERLY,
    Frequency.MONTHLY,
)
PRODUCTS = {
    "gsf": Product(
        "中国人寿",
        "国寿福终身寿险",
        Type.LIFE,
        20,
        WHOLE_LIFE,
        sums=(300_000, 1_000_000, 50_000),
        rate="0.016",
        rate_per_year="0.0006",
        ages=(20, 55),
    ),
    "tpjy": Product(
        "太平洋人寿",
        "太平洋金佑人生终身寿险",
        Type.LIFE,
        15,
        WHOLE_LIFE,
        sums=(200_000, 800_000, 50_000),
        rate="0.018",
        rate_per_year="0.0007",
        frequencies=(ANNUAL, ANNUAL, SEMI),
        ages=(20, 55),
        weight=6,
    ),
    "paf": Product(
        "平安人寿",
        "平安福重大疾病保险",
        Type.CRITICAL_ILLNESS,
        20,
        WHOLE_LIFE,
        sums=(200_000, 600_000, 50_000),
        rate="0.020",
        rate_per_year="0.0009",
        frequencies=(ANNUAL, ANNUAL, ANNUAL, SEMI, QUARTERLY),
        ages=(18, 50),
        weight=14,
    ),
    "xhjk": Product(
        "新华保险",
        "新华健康无忧重大疾病保险",
        Type.CRITICAL_ILLNESS,
        20,
        WHOLE_LIFE,
        sums=(200_000, 500_000, 50_000),
        rate="0.019",
        rate_per_year="0.0009",
        ages=(18, 55),
    ),
    "tklx": Product(
        "泰康人寿",
        "泰康乐享健康重大疾病保险",
        Type.CRITICAL_ILLNESS,
        20,
        (Coverage.TO_AGE, 80),
        sums=(200_000, 500_000, 50_000),
        rate="0.017",
        rate_per_year="0.0008",
        ages=(18, 55),
        weight=6,
    ),
    "pash": Product(
        "平安人寿",
        "平安少儿重大疾病保险",
        Type.CRITICAL_ILLNESS,
        20,
        WHOLE_LIFE,
        sums=(300_000, 500_000, 50_000),
        rate="0.009",
        ages=(0, 17),
    ),
    "tplb": Product(
        "太平洋人寿",
        "太平洋蓝医保长期医疗险",
        Type.MEDICAL,
        20,
        (Coverage.YEARS, 20),
        sums=(2_000_000, 4_000_000, 1_000_000),
        frequencies=(ANNUAL, ANNUAL, MONTHLY),
        ages=(18, 65),
        weight=12,
    ),
    "gsyw": Product(
        "中国人寿",
        "国寿意外伤害保险",
        Type.ACCIDENT,
        1,
        (Coverage.YEARS, 1),
        sums=(300_000, 1_000_000, 100_000),
        rate="0.0004",
        frequencies=(Frequency.SINGLE,),
        ages=(18, 70),
        weight=6,
    ),
    "gsxx": Product(
        "中国人寿",
        "国寿鑫享宝两全保险",
        Type.ENDOWMENT,
        10,
        (Coverage.YEARS, 20),
        premiums=(10_000, 50_000, 5_000),
        ages=(25, 60),
        weight=5,
    ),
    "xhhf": Product(
        "新华保险",
        "新华惠福宝两全保险",
        Type.ENDOWMENT,
        5,
        (Coverage.YEARS, 15),
        premiums=(20_000, 100_000, 10_000),
        ages=(25, 60),
        weight=4,
    ),
    "tkxx": Product(
        "泰康人寿",
        "泰康鑫享年金保险",
        Type.ANNUITY,
        10,
        (Coverage.TO_AGE, 85),
        premiums=(20_000, 100_000, 10_000),
        ages=(30, 60),
        weight=6,
    ),
}
# The share of one year's premium paid per instalment (insurers load the shorter ones).
FREQUENCY_SHARE = {
    Frequency.ANNUAL: Decimal("1"),
    Frequency.SEMI_ANNUAL: Decimal("0.52"),
    Frequency.QUARTERLY: Decimal("0.262"),
    Frequency.MONTHLY: Decimal("0.088"),
    Frequency.SINGLE: Decimal("1"),
}
# Renewed each policy year: (name, sum assured (low, high, step), premium (low, high)).
YEARLY_RIDERS = [
    ("附加住院费用医疗保险", (10_000, 30_000, 10_000), (280, 680)),
    ("附加意外伤害医疗保险", (20_000, 50_000, 10_000), (80, 200)),
]
WAIVER_SELF = "附加豁免保险费重大疾病保险"
WAIVER_HOLDER = "附加投保人豁免保险费重大疾病保险"
POLICY_NOTES = [
    "续期保费从工资卡自动扣款。",
    "客户希望每年保单周年日前提醒一次。",
    "保单原件由客户本人保管，复印件已存档。",
    "投保时已做健康告知，无异常。",
]
GRACE_NOTE = "保费未按时缴纳，进入宽限期（系统自动）"
LAPSE_NOTE = "宽限期内未缴费，保单效力中止（系统自动）"
NUMBER_FORMATS: dict[str, Callable[[random.Random, date], str]] = {
    "中国人寿": lambda rng, d: f"{d.year}3100{rng.randrange(10**8):08d}",
    "平安人寿": lambda rng, d: f"P{d.year % 100:02d}{rng.randrange(10**13):013d}",
    "太平洋人寿": lambda rng, d: f"A{d.year}{rng.randrange(10**10):010d}",
    "新华保险": lambda rng, d: f"88{rng.randrange(10**10):010d}",
    "泰康人寿": lambda rng, d: f"TK{d.year}{rng.randrange(10**9):09d}",
}
BENEFICIARY_RELATION = {
    FamilyMember.Relation.SPOUSE: Beneficiary.Relation.SPOUSE,
    FamilyMember.Relation.CHILD: Beneficiary.Relation.CHILD,
    FamilyMember.Relation.PARENT: Beneficiary.Relation.PARENT,
}


# What a prospect buys first (`first_sale`): protection, mostly critical illness and medical.
SALE_PRODUCTS = ("paf", "xhjk", "tklx", "tplb", "gsf", "gsyw")


def sales_desk(agent: User, *, today: date, seed: str):
    """Sells first policies to the agent's prospects (`first_sale`) for the later demo steps,
    with its own seeded generator."""
    return _PolicyBook(agent, today=today, seed=seed)


def seed_agent_policies(agent: User, today: date) -> int:
    """The demo step: the agent's new book gets its policies. Returns how many."""
    return _PolicyBook(agent, today=today).build()


# --- helpers ----------------------------------------------------------------------------------


def _years_before(day: date, years: int) -> date:
    """`day` `years` earlier; a 29 February goes back to a leap year so the anniversary key
    stays 229 (and the anniversary falls on `day`)."""
    if (day.month, day.day) == (2, 29):
        while not calendar.isleap(day.year - years):
            years += 1
    return solar_in_year(day.month, day.day, day.year - years)


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _backdate(rows: QuerySet, days: list[date], model: type[Model]) -> None:
    """Move the `at` of history rows (oldest first) to the days they stand for."""
    rows = list(rows.order_by("id"))
    for n, (row, day) in enumerate(zip(rows, days, strict=False)):
        row.at = _at(day, 9 + n % 8, 5 * n % 60)
    model.objects.bulk_update(rows, ["at"])


def _yuan(value) -> Decimal:
    return Decimal(value).quantize(Decimal("1")).quantize(Decimal("0.01"))


def _shares(count: int) -> list[Decimal]:
    """`count` shares totalling exactly 100 (the first takes the rounding)."""
    base = (Decimal(100) / count).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [Decimal(100) - base * (count - 1)] + [base] * (count - 1)


# --- one agent's policies ---------------------------------------------------------------------


class _PolicyBook:
    def __init__(self, agent: User, *, today: date, seed: str = "agentcrm-demo-policies"):
        self.agent, self.today = agent, today
        self.rng = random.Random(f"{seed}:{agent.username}")
        self.insurers = {
            name: Insurer.objects.get_or_create(name=name, defaults={"grace_days": days})[0]
            for name, days in INSURERS.items()
        }
        family = FamilyMember.objects.order_by("pk")
        self.clients = list(
            Client.objects.filter(owner=agent)
            .order_by("pk")
            .prefetch_related(Prefetch("family", queryset=family))
        )
        self.held: dict[int, list[Policy]] = defaultdict(list)
        self.products_held: dict[int, set[str]] = defaultdict(set)
        self.numbers: set[tuple[str, str]] = set()
        self.used: set[int] = set()  # holders given one of the laid-out policies
        self.history: dict[int, list[date]] = {}  # the days of each policy's status steps

    # -- who ---------------------------------------------------------------------------

    def age(self, person: Client | FamilyMember, on: date | None = None) -> int:
        return dates.age_on(birth=person.birth_date, on=on or self.today)

    @staticmethod
    def is_policyholder(client: Client) -> bool:
        return client.stage == Client.Stage.CLIENT and client.archived_at is None

    def contactable(self) -> list[Client]:
        return [
            c
            for c in self.clients
            if self.is_policyholder(c) and not c.do_not_contact and c.birth_date is not None
        ]

    def pick(self, fits: Callable[[Client], bool] = lambda c: True) -> Client:
        """A contactable client who fits, preferring one not given a laid-out policy yet."""
        pool = self.contactable()
        for candidates in (
            [c for c in pool if fits(c) and c.pk not in self.used],
            [c for c in pool if fits(c)],
            pool,
        ):
            if candidates:
                client = self.rng.choice(candidates)
                self.used.add(client.pk)
                return client
        raise RuntimeError("the demo book has no contactable client")  # pragma: no cover

    def aged(self, low: int, high: int) -> Callable[[Client], bool]:
        return lambda c: low <= self.age(c) <= high

    # -- amounts -----------------------------------------------------------------------

    def amounts(self, product: Product, age: int, frequency: str) -> tuple[Decimal, Decimal]:
        """(sum assured, premium per instalment) for an insured aged `age` at issue."""
        rng = self.rng
        if product.premiums:
            low, high, step = product.premiums
            yearly = Decimal(rng.randrange(low, high + 1, step))
            sum_assured = yearly * product.pay_years
        else:
            low, high, step = product.sums
            sum_assured = Decimal(rng.randrange(low, high + 1, step))
            if product.type == Type.MEDICAL:  # priced by age, not by the (huge) cover
                yearly = Decimal(180 + 22 * max(age - 18, 0))
            else:
                rate = Decimal(product.rate) + Decimal(product.rate_per_year) * max(age - 30, 0)
                yearly = (sum_assured * rate / 10).quantize(Decimal("1")) * 10
        return sum_assured.quantize(Decimal("0.01")), _yuan(yearly * FREQUENCY_SHARE[frequency])

    def number(self, insurer: str, effective: date) -> str:
        while True:
            number = NUMBER_FORMATS[insurer](self.rng, effective)
            key = (insurer, number)
            exists = Policy.objects.filter(insurer=self.insurers[insurer], number=number)
            if key not in self.numbers and not exists.exists():
                self.numbers.add(key)
                return number

    # -- riders and beneficiaries ----------------------------------------------------------

    def policy_year_start(self, effective: date) -> date:
        """The first day of the policy year running today (the effective date if later)."""
        if effective >= self.today:
            return effective
        following = dates.next_anniversary(effective=effective, on_or_after=self.today)
        if following == self.today:
            return following
        return dates.anniversary_in_year(effective=effective, year=following.year - 1)

    def riders(
        self, product: Product, effective: date, yearly_premium: Decimal, *, for_child: bool
    ) -> list[Rider]:
        rng, rows = self.rng, []
        if product.type in (Type.LIFE, Type.CRITICAL_ILLNESS) and (
            for_child or rng.random() < 0.35
        ):
            last_due = dates.nth_anniversary(effective=effective, n=product.pay_years)
            rows.append(
                Rider(
                    name=WAIVER_HOLDER if for_child else WAIVER_SELF,
                    sum_assured=yearly_premium,
                    premium=_yuan(yearly_premium * Decimal("0.03")),
                    start_date=effective,
                    expiry_date=last_due - timedelta(days=1),
                    yearly_renewable=False,
                )
            )
        if product.type in (Type.LIFE, Type.CRITICAL_ILLNESS, Type.ENDOWMENT) and (
            rng.random() < 0.3
        ):
            rows.append(self.yearly_rider(effective))
        return rows

    def yearly_rider(self, effective: date) -> Rider:
        name, (low, high, step), (p_low, p_high) = self.rng.choice(YEARLY_RIDERS)
        start = self.policy_year_start(effective)
        following = dates.next_anniversary(
            effective=effective, on_or_after=start + timedelta(days=1)
        )
        return Rider(
            name=name,
            sum_assured=Decimal(self.rng.randrange(low, high + 1, step)),
            premium=_yuan(self.rng.randrange(p_low, p_high + 1, 10)),
            start_date=start,
            expiry_date=following - timedelta(days=1),
            yearly_renewable=True,
        )

    def beneficiaries(
        self, holder: Client, member: FamilyMember | None, product: Product
    ) -> list[Beneficiary]:
        """Death beneficiaries: a child's parents; an adult's spouse, children or parents;
        sometimes nobody (the legal heirs). Medical cover has no death benefit."""
        rng = self.rng
        if product.type == Type.MEDICAL or (product.type == Type.ACCIDENT and rng.random() < 0.5):
            return []
        living = [m for m in holder.family.all() if m.is_living]
        spouse = [m for m in living if m.relation == FamilyMember.Relation.SPOUSE]
        if member is not None:
            people = [(holder.name, Beneficiary.Relation.PARENT)]
            if spouse and rng.random() < 0.5:
                people.append((spouse[0].name, Beneficiary.Relation.PARENT))
            return [
                Beneficiary(name=name, relation=relation, share=share)
                for (name, relation), share in zip(people, _shares(len(people)), strict=True)
            ]
        children = [m for m in living if m.relation == FamilyMember.Relation.CHILD]
        parents = [m for m in living if m.relation == FamilyMember.Relation.PARENT]
        options = []
        if spouse:
            options.append(spouse)
        if spouse and children:
            options.append(spouse + children)
        if children:
            options.append(children)
        if not options and parents:
            options.append(parents)
        if not options or rng.random() < 0.1:
            return []
        chosen = rng.choice(options)
        return [
            Beneficiary(name=m.name, relation=BENEFICIARY_RELATION[m.relation], share=share)
            for m, share in zip(chosen, _shares(len(chosen)), strict=True)
        ]

    # -- one policy --------------------------------------------------------------------

    def policy(
        self,
        holder: Client,
        key: str,
        *,
        effective: date,
        member: FamilyMember | None = None,
        frequency: str | None = None,
        status: str = Status.IN_FORCE,
        paid_through: date | None = None,
        application: date | None = None,
        delivered: date | None = None,
        yearly_rider: bool = False,
    ) -> Policy:
        """Create a policy through the services: pending on its application date, in force
        on its effective date, every premium due up to `paid_through` (today) paid."""
        rng, today = self.rng, self.today
        product = PRODUCTS[key]
        insured = member or holder
        frequency = frequency or rng.choice(product.frequencies)
        if frequency in (MONTHLY, QUARTERLY) and (today - effective).days > 4 * 365:
            frequency = ANNUAL  # a long monthly history is dull and slow to seed
        sum_assured, premium = self.amounts(product, self.age(insured, effective), frequency)
        yearly = _yuan(premium / FREQUENCY_SHARE[frequency])
        application = application or effective - timedelta(days=rng.randint(3, 20))
        if delivered is None and status != Status.PENDING and product.type != Type.ACCIDENT:
            delivered = effective + timedelta(days=rng.randint(5, 15))
        riders = self.riders(product, effective, yearly, for_child=member is not None)
        if yearly_rider and not any(r.yearly_renewable for r in riders):
            riders.append(self.yearly_rider(effective))
        kind, value = product.coverage
        policy = policy_create(
            owner=self.agent,
            insurer=self.insurers[product.insurer],
            number=self.number(product.insurer, effective),
            product_name=product.name,
            policy_type=product.type,
            holder=holder,
            insured_client=None if member else holder,
            insured_member=member,
            effective_date=effective,
            sum_assured=sum_assured,
            premium=premium,
            payment_frequency=frequency,
            payment_term_years=product.pay_years,
            coverage_kind=kind,
            coverage_value=value,
            application_date=application,
            delivery_date=delivered,
            receipt_signed_date=delivered,
            notes=rng.choice(POLICY_NOTES) if rng.random() < 0.25 else "",
            beneficiaries=self.beneficiaries(holder, member, product),
            riders=riders,
            by=self.agent,
        )
        steps = [application]
        if status != Status.PENDING:
            policy_set_status(policy=policy, to_status=Status.IN_FORCE, by=self.agent)
            steps.append(min(effective, today))
        self.pay(policy, application=application, through=paid_through or today)
        self.history[policy.pk] = steps
        self.backdate(policy, steps)
        self.held[holder.pk].append(policy)
        self.products_held[holder.pk].add(key)
        return policy

    def pay(self, policy: Policy, *, application: date, through: date) -> None:
        """Record every premium due up to `through`: the first one with the application, the
        others on the due date or a few days before (most are debited on the day)."""
        due_dates = dates.premium_due_dates(
            effective=policy.effective_date,
            frequency=policy.payment_frequency,
            term_years=policy.payment_term_years,
        )
        for n, due in enumerate(due_dates):
            if n and due > through:
                break
            if n == 0:
                paid_on = application
            elif self.rng.random() < 0.6:
                paid_on = due
            else:
                paid_on = due - timedelta(days=self.rng.randint(1, 10))
            premium_record_payment(
                policy=policy, due_date=due, paid_on=min(paid_on, self.today), by=self.agent
            )

    def backdate(self, policy: Policy, days: list[date]) -> None:
        _backdate(policy.status_history.all(), days, PolicyStatusChange)
        Policy.objects.filter(pk=policy.pk).update(status_changed_at=_at(days[-1]))

    def move(self, policy: Policy, steps: list[tuple[str, date, str]]) -> None:
        """Further status steps (to status, day, note), dated on the days they happened."""
        for to_status, _day, note in steps:
            policy_set_status(policy=policy, to_status=to_status, note=note)
        self.history[policy.pk] += [day for _s, day, _n in steps]
        self.backdate(policy, self.history[policy.pk])

    def claim_past_payouts(self, policy: Policy) -> None:
        for payout in policy.payouts.filter(date__lte=self.today, claimed=False):
            on = min(payout.date + timedelta(days=self.rng.randint(0, 20)), self.today)
            payout_mark_claimed(payout=payout, on=on)

    def payouts(self, policy: Policy, key: str, *, annuity_from: int = 60) -> None:
        """The product's benefit schedule: survival benefits and the maturity benefit of an
        endowment, an annuity's yearly payments from 60; those already due are claimed."""
        sum_assured = policy.sum_assured
        if key == "gsxx":  # every three years from the third policy year, 10% of the cover
            payout_schedule_generate(
                policy=policy,
                pattern=PayoutPattern.EVERY_N_YEARS,
                amount=_yuan(sum_assured * Decimal("0.10")),
                kind=Payout.Kind.SURVIVAL,
                every=3,
                from_policy_year=3,
            )
        elif key == "xhhf":  # every year from the sixth policy year, 8% of the cover
            payout_schedule_generate(
                policy=policy,
                pattern=PayoutPattern.EVERY_N_YEARS,
                amount=_yuan(sum_assured * Decimal("0.08")),
                kind=Payout.Kind.SURVIVAL,
                every=1,
                from_policy_year=6,
            )
        elif key == "tkxx":
            payout_schedule_generate(
                policy=policy,
                pattern=PayoutPattern.YEARLY_FROM_AGE,
                amount=_yuan(sum_assured * Decimal("0.08")),
                kind=Payout.Kind.ANNUITY,
                age=annuity_from,
            )
        if key in ("gsxx", "xhhf"):
            payout_schedule_generate(
                policy=policy, pattern=PayoutPattern.MATURITY, amount=sum_assured
            )
        self.claim_past_payouts(policy)

    # -- the layout around today ---------------------------------------------------------

    def years_back(self, low: int, high: int) -> int:
        return self.rng.randint(low, max(low, high))

    def anniversaries(self) -> None:
        """Anniversaries in the coming days; premiums due in about two weeks."""
        for offset, key in ((3, "gsf"), (6, "tplb"), (10, "paf"), (13, "xhjk"), (18, "gsf")):
            low, high = PRODUCTS[key].ages
            holder = self.pick(self.aged(low + 2, high + 2))
            age = self.age(holder)
            years = self.years_back(max(2, age - high), min(8, age - low))
            occasion = self.today + timedelta(days=offset)
            self.policy(holder, key, effective=_years_before(occasion, years), frequency=ANNUAL)

    def rider_expiry(self) -> None:
        holder = self.pick(self.aged(28, 55))
        expiry = self.today + timedelta(days=30)
        effective = _years_before(expiry + timedelta(days=1), self.years_back(2, 6))
        self.policy(holder, "paf", effective=effective, frequency=ANNUAL, yearly_rider=True)

    def payouts_due(self) -> None:
        """A survival benefit in four weeks; an annuity payment a few days later."""
        holder = self.pick(self.aged(32, 62))
        occasion = self.today + timedelta(days=28)
        policy = self.policy(holder, "gsxx", effective=_years_before(occasion, 6))
        self.payouts(policy, "gsxx")

        # Bought at 30-55 and paid up; paying yearly since 60 (or since today's age).
        elder = self.pick(self.aged(61, 80))
        age = self.age(elder)
        years = self.years_back(max(10, age - 55), min(age - 30, 25))
        occasion = self.today + timedelta(days=33)
        policy = self.policy(
            elder, "tkxx", effective=_years_before(occasion, years), frequency=ANNUAL
        )
        self.payouts(policy, "tkxx", annuity_from=min(60, age))

    def grace_and_lapse(self) -> None:
        today = self.today
        # 泰康 allows 30 days: the premium due 26 days ago is unpaid, cover lapses in 4 days
        # (counted from the insurer's grace period, which an existing database may have set).
        holder = self.pick(self.aged(28, 55))
        grace_days = self.insurers[PRODUCTS["tklx"].insurer].grace_days
        unpaid = today - timedelta(days=max(grace_days - 4, 1))
        effective = _years_before(unpaid, self.years_back(2, 6))
        policy = self.policy(
            holder,
            "tklx",
            effective=effective,
            frequency=ANNUAL,
            paid_through=unpaid - timedelta(days=1),
        )
        self.move(policy, [(Status.GRACE, unpaid + timedelta(days=1), GRACE_NOTE)])

        # Lapsed 40 days ago (60 days' grace); the client now asks to reinstate it.
        holder = self.pick(self.aged(28, 55))
        unpaid = today - timedelta(days=self.insurers[PRODUCTS["xhjk"].insurer].grace_days + 40)
        effective = _years_before(unpaid, self.years_back(2, 5))
        policy = self.policy(
            holder,
            "xhjk",
            effective=effective,
            frequency=ANNUAL,
            paid_through=unpaid - timedelta(days=1),
        )
        grace_end = dates.grace_end(due=unpaid, grace_days=policy.insurer.grace_days)
        self.move(
            policy,
            [
                (Status.GRACE, unpaid + timedelta(days=1), GRACE_NOTE),
                (Status.LAPSED, grace_end + timedelta(days=1), LAPSE_NOTE),
            ],
        )
        opened = today - timedelta(days=4)
        request = service_request_create(
            owner=self.agent,
            policy=policy,
            kind=ServiceRequest.Kind.SERVICING,
            category=ServiceRequest.Category.REINSTATEMENT,
            opened_on=opened,
            description="客户资金周转已恢复，申请保单复效并补缴欠缴保费及利息。",
            next_action="陪客户填写复效申请书和健康告知书，补缴保费",
            next_action_date=today + timedelta(days=1),
            by=self.agent,
        )
        received = request.documents.filter(name="投保人身份证复印件").first()
        if received is not None:
            service_request_document_toggle_received(document=received, on=opened)
        _backdate(request.status_history.all(), [opened], ServiceRequestStatusChange)

    def new_business(self) -> None:
        """Delivered 13 days ago, cooling-off ends in two days; another awaiting delivery."""
        today = self.today
        holder = self.pick(self.aged(26, 50))
        receipt = today - timedelta(days=13)
        policy = self.policy(
            holder,
            "paf",
            effective=today - timedelta(days=18),
            application=today - timedelta(days=30),
            delivered=receipt,
            frequency=ANNUAL,
        )
        delivery_update(
            policy=policy,
            appointment_at=_at(receipt, 15),
            place="客户家中",
            notes="客户对重疾条款很满意，答应介绍两位同事了解。",
        )
        # Everything but asking for referrals and the closing congratulations.
        left = (DeliveryItem.STEP_REFERRALS, DeliveryItem.STEP_CONGRATULATE_AGAIN)
        done = [item for item in DeliveryItem if item not in left]
        self.ticks(policy, done, first=receipt - timedelta(days=3), last=receipt)

        holder = self.pick(self.aged(26, 50))
        policy = self.policy(
            holder,
            "gsf",
            effective=today + timedelta(days=1),
            application=today - timedelta(days=6),
            status=Status.PENDING,
            frequency=ANNUAL,
        )
        delivery_update(
            policy=policy,
            appointment_at=_at(today + timedelta(days=4), 14, 30),
            place="客户公司附近的咖啡馆",
            notes="保单承保后先电话确认时间。",
        )
        self.ticks(
            policy,
            [
                DeliveryItem.THANK_YOU_SENT,
                DeliveryItem.ARCHIVE_UPDATED,
                DeliveryItem.APPOINTMENT_BOOKED,
            ],
            first=today - timedelta(days=6),
            last=today - timedelta(days=1),
        )

    def ticks(self, policy: Policy, items: list[str], *, first: date, last: date) -> None:
        for item in items:
            delivery_tick(policy=policy, item=item, by=self.agent)
        rows = list(DeliveryTick.objects.filter(delivery__policy=policy).order_by("id"))
        span = (last - first).days
        for n, row in enumerate(rows):
            row.at = _at(first + timedelta(days=span * n // max(len(rows) - 1, 1)), 9 + n % 10)
        DeliveryTick.objects.bulk_update(rows, ["at"])

    def hospital_claim(self) -> None:
        """An open hospital claim waiting for documents; the next step was due two days ago.
        Made for the client whose hospital stay the book records, when there is one."""
        today = self.today
        event = (
            LifeEvent.objects.filter(
                client__owner=self.agent,
                kind=LifeEvent.Kind.HOSPITALISED,
                client__stage=Client.Stage.CLIENT,
                client__archived_at__isnull=True,
                client__do_not_contact=False,
            )
            .order_by("date", "pk")
            .first()
        )
        if event is not None and event.client_id not in self.used:
            holder = next(c for c in self.clients if c.pk == event.client_id)
            self.used.add(holder.pk)
            stay = event.date
            description = "因心脏不适住院治疗7天，申请住院医疗费用报销。"
        else:
            holder = self.pick(self.aged(35, 65))
            stay = today - timedelta(days=20)
            description = "急性阑尾炎住院手术，申请住院医疗费用报销。"
        # Bought at 65 at the latest (the product's limit), a couple of years before the stay.
        low = max(2, self.age(holder, stay) - 64)
        effective = _years_before(stay - timedelta(days=60), self.years_back(low, low + 4))
        policy = self.policy(holder, "tplb", effective=effective, frequency=ANNUAL)
        opened = min(max(stay + timedelta(days=9), today - timedelta(days=40)), today)
        opened = min(opened, today - timedelta(days=6))
        request = service_request_create(
            owner=self.agent,
            policy=policy,
            kind=ServiceRequest.Kind.CLAIM,
            category=ServiceRequest.Category.HOSPITAL,
            opened_on=opened,
            description=description,
            amount_claimed=_yuan(self.rng.randrange(12_000, 26_000, 10)),
            next_action="补交出院小结原件和医疗费用发票",
            next_action_date=today - timedelta(days=2),
            by=self.agent,
        )
        missing = opened + timedelta(days=3)
        service_request_set_status(
            request=request,
            to_status=ServiceRequest.Status.DOCUMENTS_MISSING,
            by=self.agent,
            note="保险公司要求补充出院小结和发票原件",
        )
        for document in request.documents.order_by("id")[:4]:
            service_request_document_toggle_received(document=document, on=opened)
        _backdate(request.status_history.all(), [opened, missing], ServiceRequestStatusChange)

    def annual_review(self) -> None:
        """Reviewed at the anniversary ten days ago; a follow-up promise is due in 3 days."""
        today = self.today
        holder = self.pick(self.aged(30, 55))
        anniversary = today - timedelta(days=10)
        effective = _years_before(anniversary, self.years_back(2, 6))
        policy = self.policy(holder, "paf", effective=effective, frequency=ANNUAL)
        if "tplb" not in self.products_held[holder.pk]:
            self.policy(holder, "tplb", effective=_years_before(anniversary, 1))
        children = [m for m in holder.family.all() if m.relation == FamilyMember.Relation.CHILD]
        if children:
            needs = "建议重疾保额提高到50万；关心孩子的教育金规划。"
            follow_up = "寄送重疾加保方案和少儿教育金计划书"
        else:
            needs = "建议重疾保额提高到50万；考虑为父母配置意外险。"
            follow_up = "寄送重疾加保方案和父母意外险方案"
        review_create(
            household=holder,
            anniversary=anniversary,
            held_on=today - timedelta(days=8),
            policies=self.held[holder.pk],
            findings=f"重疾保额{policy.sum_assured / 10000:.0f}万，医疗险保障齐全，缴费正常。",
            needs=needs,
            follow_ups=[(follow_up, today + timedelta(days=3))],
        )

    # -- a prospect who bought -----------------------------------------------------------

    def first_sale(self, holder: Client, *, application: date) -> Policy:
        """The first policy of a prospect who bought: applied on `application`, in force a
        week or two later (still with the insurer when that is in the last fortnight). The
        application form gave a birth date and gender when the book had none."""
        rng, today = self.rng, self.today
        changed = ["stage"]
        if holder.gender not in (Gender.FEMALE, Gender.MALE):
            holder.gender = rng.choice([Gender.FEMALE, Gender.MALE])
            changed.append("gender")
        if holder.birth_date is None:
            holder.birth_date = application - timedelta(days=rng.randint(26 * 365, 48 * 365))
            changed.append("birth_date")
        holder.stage = Client.Stage.CLIENT
        holder.save(update_fields=changed)
        age = self.age(holder, application)
        fitting = [k for k in SALE_PRODUCTS if PRODUCTS[k].ages[0] <= age <= PRODUCTS[k].ages[1]]
        key = rng.choices(fitting, weights=[PRODUCTS[k].weight for k in fitting])[0]
        effective = application + timedelta(days=rng.randint(5, 15))
        if effective >= today - timedelta(days=15):  # underwriting, or not delivered yet
            return self.policy(
                holder,
                key,
                effective=max(effective, today + timedelta(days=rng.randint(1, 10))),
                application=application,
                status=Status.PENDING,
                frequency=ANNUAL,
            )
        return self.policy(holder, key, effective=effective, application=application)

    # -- everyone else -----------------------------------------------------------------

    def child_policy(self, holder: Client) -> bool:
        kids = [
            m
            for m in holder.family.all()
            if m.relation == FamilyMember.Relation.CHILD
            and m.birth_date is not None
            and 1 <= self.age(m) <= 15
        ]
        if not kids or "pash" in self.products_held[holder.pk]:
            return False
        kid = self.rng.choice(kids)
        newest = kid.birth_date + timedelta(days=60)
        days_back = (self.today - newest).days
        if days_back < 400:
            return False
        effective = self.today - timedelta(days=self.rng.randint(400, days_back))
        self.policy(holder, "pash", effective=effective, member=kid)
        return True

    def usual_policy(self, holder: Client) -> None:
        rng, today = self.rng, self.today
        age = self.age(holder)
        held = self.products_held[holder.pk]
        for _attempt in range(5):
            longest = max(760, min(12, age - 22) * 365)
            effective = today - timedelta(days=rng.randint(400, longest))
            issue_age = self.age(holder, effective)
            fitting = [
                (key, p)
                for key, p in PRODUCTS.items()
                if p.ages[0] <= issue_age <= p.ages[1] and key not in held and key != "pash"
            ]
            if fitting:
                break
        else:
            return
        key, product = rng.choices(fitting, weights=[p.weight for _k, p in fitting])[0]
        if product.type == Type.ACCIDENT:  # one-year cover, bought within the year
            effective = today - timedelta(days=rng.randint(40, 330))
        policy = self.policy(holder, key, effective=effective)
        self.payouts(policy, key)

    def build(self) -> int:
        self.hospital_claim()  # first: the client whose hospital stay the book records
        self.anniversaries()
        self.rider_expiry()
        self.payouts_due()
        self.grace_and_lapse()
        self.new_business()
        self.annual_review()
        for client in self.clients:
            if not self.is_policyholder(client) or client.birth_date is None:
                continue
            wanted = self.rng.choices([1, 2], weights=[55, 45])[0]
            for _ in range(wanted - len(self.held[client.pk])):
                if not (self.rng.random() < 0.4 and self.child_policy(client)):
                    self.usual_policy(client)
        return sum(len(policies) for policies in self.held.values())
