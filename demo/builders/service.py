"""The demo's service history (issue 15): what the manager's service pages and the lapse
guard read, for each demo agent's new book.

- Persistency: about 30 own policies issued 14 to 30 months ago, month by month, with their
  status history dated on the days it happened: most kept, some lapsed before their 13th
  month (one reinstated after it), one paid up, one surrendered, one cancelled in the
  cooling-off period and one sold by another agent (both left out of the figures).
- The lapse guard: premiums due in the coming days, two in their grace period, one lapsed
  three weeks ago; agent1 has entered a commission rate for one insurer.
- Service discipline: 14 months of touches done on time, late, skipped or left open, and
  contacts logged, so every month of the trend has figures.

Deterministic (a seed per agent); written set-based with bulk_create, then the policies'
holders get their touches by the bulk-write rule. The seed builds the summary afterwards.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from agentcrm.accounts.models import User
from clients.models import Client, Interaction
from discipline.models import CommissionRate
from policies.models import Insurer, Policy, PolicyStatusChange
from touches.models import Touch
from touches.registry import touches_rebuild_for_clients

S = Policy.Status
PRODUCTS = [
    ("平安福终身寿险", "life", Decimal("12000")),
    ("国寿福重大疾病保险", "critical_illness", Decimal("8600")),
    ("太平洋金佑人生", "critical_illness", Decimal("6200")),
    ("e生保医疗险", "medical", Decimal("1300")),
    ("鑫享年金", "annuity", Decimal("30000")),
]
KINDS = ["birthday", "premium_due", "policy_anniversary", "festival", "neglect"]


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


def seed_agent_service(agent: User, today: date) -> int:
    rng = random.Random(f"agentcrm-demo-service:{agent.username}")
    clients = list(Client.objects.filter(owner=agent, stage="client").order_by("pk"))
    if not clients:
        return 0
    insurers = list(Insurer.objects.order_by("name")) or [Insurer.objects.create(name="中国人寿")]
    policies: list[Policy] = []
    plans: list[list[tuple[str, str, date]]] = []

    def add(holder, effective, status, steps, **extra):
        name, kind, premium = rng.choice(PRODUCTS)
        policies.append(
            Policy(
                owner=agent,
                insurer=rng.choice(insurers),
                product_name=name,
                policy_type=kind,
                number=f"D{agent.pk}{len(policies):04d}{effective:%y%m}",
                holder=holder,
                insured_client=holder,
                sum_assured=premium * 20,
                premium=premium,
                payment_term_years=20,
                effective_date=effective,
                anniversary_md=effective.month * 100 + effective.day,
                cooling_off_end=effective + timedelta(days=15),
                status=status,
                **extra,
            )
        )
        plans.append([("", S.IN_FORCE, effective), *steps])

    # Persistency cohorts: two policies a month, 14 to 30 months ago.
    for back in range(14, 31):
        for k in range(2):
            holder = clients[(back * 2 + k) % len(clients)]
            effective = _months_back(today, back) - timedelta(days=rng.randrange(20))
            roll = rng.random()
            if roll < 0.12:  # lapsed before its 13th month, never reinstated
                lapse = effective + timedelta(days=rng.randint(200, 380))
                add(holder, effective, S.LAPSED, [(S.IN_FORCE, S.LAPSED, lapse)])
            elif roll < 0.18 and back > 26:  # lapsed in its second year
                lapse = effective + timedelta(days=rng.randint(420, 700))
                add(holder, effective, S.LAPSED, [(S.IN_FORCE, S.LAPSED, lapse)])
            else:
                add(holder, effective, S.IN_FORCE, [])
    # One of each case the formula names.
    eff = _months_back(today, 20)
    lapse = eff + timedelta(days=300)
    add(
        clients[0],
        eff,
        S.REINSTATED,
        [(S.IN_FORCE, S.LAPSED, lapse), (S.LAPSED, S.REINSTATED, lapse + timedelta(days=60))],
    )
    add(
        clients[1 % len(clients)],
        eff,
        S.PAID_UP,
        [(S.IN_FORCE, S.PAID_UP, eff + timedelta(days=200))],
    )
    add(
        clients[2 % len(clients)],
        eff,
        S.SURRENDERED,
        [(S.IN_FORCE, S.SURRENDERED, eff + timedelta(days=250))],
    )
    add(
        clients[3 % len(clients)],
        eff,
        S.SURRENDERED,
        [(S.IN_FORCE, S.SURRENDERED, eff + timedelta(days=9))],
    )  # within the cooling-off
    add(
        clients[4 % len(clients)],
        eff,
        S.IN_FORCE,
        [],
        sold_by_others=True,
        sold_through="某某保险 王经理",
    )

    # The lapse guard: due soon, in grace, lapsed three weeks ago.
    guard = []
    for n, (days, status) in enumerate(
        [
            (5, S.IN_FORCE),
            (12, S.IN_FORCE),
            (26, S.IN_FORCE),
            (-20, S.GRACE),
            (-45, S.GRACE),
            (-80, S.LAPSED),
        ]
    ):
        eff = _months_back(today, 11 + n)
        steps = (
            [(S.IN_FORCE, S.GRACE, today + timedelta(days=days + 1))] if status == S.GRACE else []
        )
        if status == S.LAPSED:
            steps = [(S.IN_FORCE, S.LAPSED, today - timedelta(days=20))]
        add(clients[(5 + n) % len(clients)], eff, status, steps)
        guard.append((len(policies) - 1, today + timedelta(days=days)))

    made = Policy.objects.bulk_create(policies)
    for index, due in guard:
        Policy.objects.filter(pk=made[index].pk).update(
            premium_next_due=due,
            premium_grace_end=due + timedelta(days=60),
            premium_paid_to=due,
        )
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
        roll = rng.random()
        status, closed = "done", _at(day - timedelta(days=1))
        if roll < 0.12:
            status, closed = "done", _at(day + timedelta(days=rng.randint(2, 9)))
        elif roll < 0.2:
            status = "skipped"
        elif roll < 0.27:
            status, closed = "open", None
        if closed and closed.date() > today:
            status, closed = "open", None
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
