"""The demo's service history (issue 15): what the manager's service pages and the lapse
guard read, for each demo agent's new book.

- Persistency: about 30 own policies issued 14 to 30 months ago, month by month, with their
  status history dated on the days it happened: most kept, some lapsed before their 13th
  month (one reinstated after it), one paid up, one surrendered, one cancelled in the
  cooling-off period and one sold by another agent (both left out of the figures).
- The lapse guard: premiums due in the coming days, two in their grace period, one lapsed
  three weeks ago; agent1 has entered a commission rate for one insurer.
- Service discipline: 14 months of touches, all closed (about 80% done on time, 12% late,
  8% skipped; none left open to pile up on the first morning), and contacts logged, so
  every month of the trend has figures.

Deterministic (a seed per agent); written set-based with bulk_create, then the policies'
holders get their touches by the bulk-write rule. The seed builds the summary afterwards.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Min
from django.db.models.functions import Coalesce
from django.utils import timezone

from agentcrm.accounts.models import User
from agentcrm.core.calendar import years_before
from clients.models import Client, Interaction
from discipline.models import CommissionRate
from policies import dates
from policies.models import Insurer, Policy, PolicyStatusChange
from touches.models import Touch
from touches.registry import touches_rebuild_for_clients

S = Policy.Status
PRODUCTS = [
    ("平安福终身寿险", "life", Decimal("12000")),
    ("国寿福重大疾病保险", "critical_illness", Decimal("8600")),
    ("太平洋金佑人生", "critical_illness", Decimal("6200")),
    ("尊享安心医疗险", "medical", Decimal("1300")),
    ("鑫享年金", "annuity", Decimal("30000")),
]
# The service history's policy numbers (SV<agent id>-…), told apart from the book's.
NUMBER_PREFIX = "SV"
KINDS = ["birthday", "premium_due", "policy_anniversary", "festival", "neglect"]


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


def _premium_dates(policy: Policy, *, paid_to: date) -> None:
    """The stored premium dates the services would store (policy_premium_refresh): every due
    before `paid_to` paid, the next one unpaid."""
    policy.premium_paid_to = paid_to
    policy.premium_next_due, policy.premium_grace_end = dates.premium_next_due_and_grace_end(
        effective=policy.effective_date,
        frequency=policy.payment_frequency,
        term_years=policy.payment_term_years,
        paid=[],
        grace_days=policy.insurer.grace_days,
        paid_to=paid_to,
    )


def _due_after(policy: Policy, day: date) -> date:
    """The first premium due after `day` (paid up to it: the policy is kept up)."""
    dues = dates.premium_due_dates(
        effective=policy.effective_date,
        frequency=policy.payment_frequency,
        term_years=policy.payment_term_years,
    )
    return next((d for d in dues if d > day), dues[-1] + timedelta(days=1))


def _missed_due(policy: Policy, target: date) -> date:
    """The due whose grace period ends about `target`: the one it lapses on."""
    dues = dates.premium_due_dates(
        effective=policy.effective_date,
        frequency=policy.payment_frequency,
        term_years=policy.payment_term_years,
    )
    latest = target - timedelta(days=policy.insurer.grace_days)
    return max([d for d in dues if d <= latest] or dues[:1])


def _holders(agent: User, clients: list[Client]):
    """Who holds a policy issued on a day: a client who already held one of the agent's own
    policies by then, the least loaded first. Their first policy stays their first, so the
    conversion figures (days from first contact to first sale) are the book's own."""
    firsts = dict(
        Policy.objects.own()
        .filter(owner=agent)
        .order_by()
        .values("holder")
        .annotate(first=Min(Coalesce("application_date", "effective_date")))
        .values_list("holder", "first")
    )
    by_first = sorted((c for c in clients if c.pk in firsts), key=lambda c: (firsts[c.pk], c.pk))
    load = dict.fromkeys((c.pk for c in by_first), 0)

    def pick(day: date) -> Client:
        fits = [c for c in by_first if firsts[c.pk] <= day] or by_first[:1] or clients[:1]
        chosen = min(fits, key=lambda c: (load.get(c.pk, 0), firsts.get(c.pk, day), c.pk))
        load[chosen.pk] = load.get(chosen.pk, 0) + 1
        return chosen

    return pick


def seed_agent_service(agent: User, today: date) -> int:
    rng = random.Random(f"agentcrm-demo-service:{agent.username}")
    clients = list(Client.objects.filter(owner=agent, stage="client").order_by("pk"))
    if not clients:
        return 0
    insurers = list(Insurer.objects.order_by("name")) or [Insurer.objects.create(name="中国人寿")]
    holder_on = _holders(agent, clients)
    policies: list[Policy] = []
    plans: list[list[tuple[str, str, date]]] = []

    def add(effective, status, steps, *, monthly=False, insurer=None, **extra):
        name, kind, premium = rng.choice(PRODUCTS)
        holder = holder_on(effective)
        policy = Policy(
            owner=agent,
            insurer=insurer or rng.choice(insurers),
            product_name=name,
            policy_type=kind,
            number=f"{NUMBER_PREFIX}{agent.pk}-{len(policies):04d}{effective:%y%m}",
            holder=holder,
            insured_client=holder,
            sum_assured=premium * 20,
            premium=(premium / 12).quantize(Decimal(1)) if monthly else premium,
            payment_frequency=Policy.Frequency.MONTHLY if monthly else Policy.Frequency.ANNUAL,
            payment_term_years=20,
            effective_date=effective,
            anniversary_md=effective.month * 100 + effective.day,
            cooling_off_end=effective + timedelta(days=15),
            status=status,
            **extra,
        )
        policies.append(policy)
        plans.append([("", S.IN_FORCE, effective), *steps])
        return policy

    def kept(effective, status=S.IN_FORCE, steps=(), **extra):
        policy = add(effective, status, list(steps), **extra)
        _premium_dates(policy, paid_to=_due_after(policy, today))

    def lapsed(effective, target, *, monthly, reinstated=None):
        """Lapsed on the day after the grace of the due it missed (about `target`)."""
        policy = add(effective, S.LAPSED, [], monthly=monthly)
        missed = _missed_due(policy, target)
        _premium_dates(policy, paid_to=missed)
        lapse = policy.premium_grace_end + timedelta(days=1)
        plans[-1].append((S.IN_FORCE, S.LAPSED, lapse))
        if reinstated:
            policy.status = S.REINSTATED
            plans[-1].append((S.LAPSED, S.REINSTATED, lapse + timedelta(days=reinstated)))
            _premium_dates(policy, paid_to=_due_after(policy, today))

    # Persistency cohorts: two policies a month, 14 to 30 months ago. A lapse in the first
    # year is a policy paid monthly (an annual premium is paid for its first year).
    for back in range(14, 31):
        for _k in range(2):
            effective = _months_back(today, back) - timedelta(days=rng.randrange(20))
            roll = rng.random()
            if roll < 0.12:  # lapsed before its 13th month, never reinstated
                target = effective + timedelta(days=rng.randint(200, 330))
                lapsed(effective, target, monthly=True)
            elif roll < 0.18 and back > 26:  # lapsed in its second year
                target = effective + timedelta(days=rng.randint(430, 700))
                lapsed(effective, target, monthly=False)
            else:
                kept(effective)
    # One of each case the formula names.
    eff = _months_back(today, 20)
    lapsed(eff, eff + timedelta(days=300), monthly=True, reinstated=60)
    kept(eff, S.PAID_UP, [(S.IN_FORCE, S.PAID_UP, eff + timedelta(days=200))])
    kept(eff, S.SURRENDERED, [(S.IN_FORCE, S.SURRENDERED, eff + timedelta(days=250))])
    # Surrendered within the cooling-off period.
    kept(eff, S.SURRENDERED, [(S.IN_FORCE, S.SURRENDERED, eff + timedelta(days=9))])
    kept(eff, sold_by_others=True, sold_through="某某保险 王经理")

    # The lapse guard: premiums due in the coming days, two in their grace period, one
    # lapsed after its grace; each policy's anniversary is the due.
    for days, status in [
        (5, S.IN_FORCE),
        (12, S.IN_FORCE),
        (26, S.IN_FORCE),
        (-20, S.GRACE),
        (-45, S.GRACE),
        (-80, S.LAPSED),
    ]:
        due = today + timedelta(days=days)
        # A policy in grace 45 days after its due is with an insurer that gives 60 days.
        insurer = max(insurers, key=lambda i: (i.grace_days, -i.pk)) if days < 0 else None
        policy = add(years_before(due, 1), status, [], insurer=insurer)
        _premium_dates(policy, paid_to=due)
        if status == S.GRACE:
            plans[-1].append((S.IN_FORCE, S.GRACE, due + timedelta(days=1)))
        elif status == S.LAPSED:
            plans[-1].append((S.IN_FORCE, S.LAPSED, policy.premium_grace_end + timedelta(days=1)))

    made = Policy.objects.bulk_create(policies)
    PolicyStatusChange.objects.bulk_create(
        PolicyStatusChange(policy=policy, from_status=frm, to_status=to, at=_at(day, 9 + n))
        for policy, steps in zip(made, plans, strict=True)
        for n, (frm, to, day) in enumerate(steps)
        if day <= today
    )
    if agent.username == "agent1":
        CommissionRate.objects.get_or_create(
            owner=agent, insurer=made[-1].insurer, product_name="", defaults={"rate": 25}
        )

    # 14 months of touches and contacts.
    touches, contacts = [], []
    first = _months_back(today, 14)
    span = (today - first).days
    for n in range(len(clients) * 6):
        client = clients[n % len(clients)]
        day = first + timedelta(days=rng.randrange(span))
        # Every past touch is closed, as an agent who works the list closes them: most the
        # day before the occasion, some late, a few skipped. An open one due in the past
        # would be overdue on the demo's first morning, which keeps only a handful
        # (seed.demo_past_days_worked); a late close that would fall today or later is
        # one closed on time instead.
        roll = rng.random()
        status, closed = "done", _at(day - timedelta(days=1))
        if roll < 0.12:
            late = _at(day + timedelta(days=rng.randint(2, 9)))
            closed = late if late.date() < today else closed
        elif roll < 0.2:
            status, closed = "skipped", _at(day - timedelta(days=rng.randint(0, 2)))
        touches.append(
            Touch(
                owner=agent,
                client=client,
                kind=KINDS[n % len(KINDS)],
                occasion_date=day,
                due_date=day - timedelta(days=3),
                source=f"demo-history:{n}",
                status=status,
                closed_at=closed,
            )
        )
        if status == "done" and rng.random() < 0.7:
            contacts.append(
                Interaction(
                    client=client,
                    kind=rng.choice(["call", "message", "visit"]),
                    date=closed.date(),
                    summary="例行回访",
                    created_by=agent,
                )
            )
    # A client seen five times in one week: the "whole days with one client" pitfall.
    busy = clients[-1]
    monday = today - timedelta(days=today.weekday() + 14)
    contacts += [
        Interaction(
            client=busy,
            kind="visit",
            date=monday + timedelta(days=d % 5),
            summary="陪同体检、聊家常",
            created_by=agent,
        )
        for d in range(5)
    ]
    Touch.objects.bulk_create(touches, ignore_conflicts=True)
    Interaction.objects.bulk_create(contacts)
    touches_rebuild_for_clients(client_ids=sorted({p.holder_id for p in made}), today=today)
    return len(made)
