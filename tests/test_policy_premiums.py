"""Stored premium dates, the lapse-risk filter, the nightly lapse step and payments.

The filter is SQL over the dates the services store; `dates.lapse_risk` is the rule in
Python. `test_filter_agrees_with_the_rule_every_day` checks the two never disagree.
"""

import datetime
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from policies import dates, selectors, services
from policies.models import Policy, PolicyStatusChange

from .factories import ClientFactory
from .policy_factories import InsurerFactory, PolicyFactory, PremiumPaymentFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
Status = Policy.Status


def at(day: date):
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI))


def test_create_stores_next_due_and_grace_end(client_obj):
    insurer = InsurerFactory(grace_days=30)
    policy = services.policy_create(
        owner=client_obj.owner,
        insurer=insurer,
        number="N-1",
        product_name="重疾",
        policy_type=Policy.Type.CRITICAL_ILLNESS,
        holder=client_obj,
        insured_client=client_obj,
        effective_date=date(2024, 1, 31),
        sum_assured=Decimal(300000),
        premium=Decimal(500),
        payment_frequency=Policy.Frequency.MONTHLY,
        payment_term_years=10,
        status=Status.IN_FORCE,
        first_premium_paid=False,  # paid at issue by default: see test_policy_first_premium
    )
    policy.refresh_from_db()
    assert policy.premium_next_due == date(2024, 1, 31)
    assert policy.premium_grace_end == date(2024, 3, 1)  # 30 days, across 29 February


def test_payment_moves_next_due_to_month_end(client_obj):
    policy = PolicyFactory(
        holder=client_obj,
        effective_date=date(2024, 1, 31),
        payment_frequency=Policy.Frequency.MONTHLY,
    )
    with at(date(2024, 2, 10)):
        services.premium_record_payment(policy=policy, due_date=date(2024, 1, 31))
    policy.refresh_from_db()
    assert policy.premium_next_due == date(2024, 2, 29)
    assert policy.premium_grace_end == date(2024, 4, 29)  # default 60 days


def test_paying_every_due_clears_the_dates(client_obj):
    policy = PolicyFactory(
        holder=client_obj,
        payment_frequency=Policy.Frequency.SINGLE,
        effective_date=date(2024, 5, 1),
    )
    with at(date(2024, 5, 2)):
        services.premium_record_payment(policy=policy, due_date=date(2024, 5, 1))
    policy.refresh_from_db()
    assert (policy.premium_next_due, policy.premium_grace_end) == (None, None)


def test_payment_refuses_bad_input_and_writes_nothing(client_obj):
    policy = PolicyFactory(holder=client_obj, effective_date=date(2024, 3, 15))
    with at(date(2024, 4, 1)):
        for kwargs, field in [
            ({"due_date": date(2024, 3, 16)}, "due_date"),
            ({"due_date": date(2024, 3, 15), "amount": Decimal(0)}, "amount"),
            ({"due_date": date(2024, 3, 15), "paid_on": date(2024, 4, 2)}, "paid_on"),
        ]:
            with pytest.raises(ValidationError) as exc:
                services.premium_record_payment(policy=policy, **kwargs)
            assert field in exc.value.message_dict
    assert not policy.premium_payments.exists()


def test_paying_arrears_in_grace_puts_the_policy_back_in_force(client_obj, owner):
    policy = PolicyFactory(holder=client_obj, effective_date=date(2024, 3, 15), status=Status.GRACE)
    PremiumPaymentFactory(policy=policy, due_date=date(2024, 3, 15))
    with at(date(2025, 4, 1)):
        services.premium_record_payment(policy=policy, due_date=date(2025, 3, 15), by=owner)
    policy.refresh_from_db()
    assert policy.status == Status.IN_FORCE
    step = policy.status_history.last()
    assert (step.from_status, step.to_status, step.by) == (Status.GRACE, Status.IN_FORCE, owner)


def test_nightly_step_moves_overdue_policies_once(client_obj):
    annual = PolicyFactory(holder=client_obj, effective_date=date(2024, 3, 15))
    PremiumPaymentFactory(policy=annual, due_date=date(2024, 3, 15))  # next due 2025-03-15
    pending = PolicyFactory(holder=client_obj, status=Status.PENDING)
    paid_up = PolicyFactory(holder=client_obj, status=Status.PAID_UP)

    # The day after the due: grace period.
    assert services.policies_lapse_overdue(date(2025, 3, 16)) == {Status.GRACE: 1}
    annual.refresh_from_db()
    assert annual.status == Status.GRACE
    assert services.policies_lapse_overdue(date(2025, 3, 16)) == {}  # re-run: nothing more

    # Grace end (2025-05-14) is still payable; the day after, the policy lapses.
    assert services.policies_lapse_overdue(date(2025, 5, 14)) == {}
    assert services.policies_lapse_overdue(date(2025, 5, 15)) == {Status.LAPSED: 1}
    annual.refresh_from_db()
    assert annual.status == Status.LAPSED
    history = list(annual.status_history.values_list("from_status", "to_status"))
    assert history[-2:] == [(Status.IN_FORCE, Status.GRACE), (Status.GRACE, Status.LAPSED)]
    for untouched in (pending, paid_up):
        status = untouched.status
        untouched.refresh_from_db()
        assert untouched.status == status


def test_nightly_step_is_registered():
    from agentcrm.core.services import nightly_steps

    assert nightly_steps()["policies_lapse_overdue"] is services.policies_lapse_overdue


def test_changing_grace_days_moves_stored_grace_ends(client_obj):
    insurer = InsurerFactory(grace_days=60)
    policy = PolicyFactory(holder=client_obj, insurer=insurer, effective_date=date(2024, 3, 15))
    other = PolicyFactory(holder=client_obj, effective_date=date(2024, 3, 15))
    insurer.grace_days = 31
    insurer.save()
    assert services.insurer_grace_days_apply(insurer=insurer) == 1
    policy.refresh_from_db()
    other.refresh_from_db()
    assert policy.premium_grace_end == date(2024, 4, 15)
    assert other.premium_grace_end == date(2024, 5, 14)


def test_admin_change_of_grace_days_applies(as_user, admin_user, client_obj):
    insurer = InsurerFactory(grace_days=60)
    policy = PolicyFactory(holder=client_obj, insurer=insurer, effective_date=date(2024, 3, 15))
    url = reverse("admin:policies_insurer_change", args=[insurer.pk])
    response = as_user(admin_user).post(url, {"name": insurer.name, "grace_days": "30"})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.premium_grace_end == date(2024, 4, 14)


@pytest.fixture
def risk_book(client_obj):
    """Annual policies due on different days; `today` is 2025-06-01."""
    insurer = InsurerFactory(grace_days=60)

    def make(number, effective, status=Status.IN_FORCE):
        return PolicyFactory(
            holder=client_obj,
            insurer=insurer,
            number=number,
            effective_date=effective,
            status=status,
            payment_frequency=Policy.Frequency.MONTHLY,
            payment_term_years=1,
        )

    # Monthly for a year from these dates; only the first due is unpaid.
    return {
        "due_soon": make("SOON", date(2025, 6, 20)),
        "far": make("FAR", date(2025, 8, 1)),
        "in_grace": make("GRACE", date(2025, 5, 1)),
        "lapsed": make("LAPSED", date(2025, 3, 1)),
        "not_paying": make("PAIDUP", date(2025, 3, 1), status=Status.PAID_UP),
    }


@pytest.mark.parametrize(
    "risk,expected",
    [
        ("due_soon", {"SOON"}),
        ("in_grace", {"GRACE"}),
        ("lapsed", {"LAPSED"}),
        ("at_risk", {"SOON", "GRACE", "LAPSED"}),
    ],
)
def test_lapse_risk_filter(owner, risk_book, risk, expected):
    qs = selectors.policy_list(user=owner, filters={"lapse_risk": risk}, today=date(2025, 6, 1))
    assert set(qs.values_list("number", flat=True)) == expected


def test_filter_agrees_with_the_rule_every_day(owner, risk_book):
    policies = list(Policy.objects.select_related("insurer"))
    day = date(2025, 2, 1)
    while day < date(2025, 9, 1):
        for risk in (dates.LapseRisk.DUE_SOON, dates.LapseRisk.IN_GRACE, dates.LapseRisk.LAPSED):
            in_sql = set(
                selectors.policy_list(
                    user=owner, filters={"lapse_risk": risk}, today=day
                ).values_list("pk", flat=True)
            )
            in_python = {
                p.pk
                for p in policies
                if selectors.policy_premium_state(policy=p, today=day).risk == risk
            }
            assert in_sql == in_python, (day, risk)
        day += datetime.timedelta(days=9)


def test_list_page_filters_by_risk_and_shows_badge(as_user, owner, risk_book):
    with at(date(2025, 6, 1)):
        response = as_user(owner).get(reverse("policies:list"), {"lapse_risk": "in_grace"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "GRACE" in body and "SOON" not in body and "PAIDUP" not in body
    assert "In grace period" in body or "宽限期" in body


def test_risk_filter_is_scoped(as_user, owner, teammate, risk_book):
    PolicyFactory(
        holder=ClientFactory(owner=teammate),
        number="FOREIGN",
        effective_date=date(2025, 5, 1),
        payment_frequency=Policy.Frequency.MONTHLY,
    )
    with at(date(2025, 6, 1)):
        body = as_user(owner).get(reverse("policies:list"), {"lapse_risk": "at_risk"})
    assert "FOREIGN" not in body.content.decode()
    assert PolicyStatusChange.objects.count() == 0  # listing never writes
