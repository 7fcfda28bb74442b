"""`manage.py seed_demo` with the policies demo step: policies for the demo agents' books,
written through the services and laid out so every kind of touch is on the list."""

from collections import Counter
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F, Q

from agentcrm.accounts.models import User
from clients.models import Client, Commitment
from demo.builders.policies import seed_agent_policies
from demo.builders.service import NUMBER_PREFIX
from demo.seed import DEMO_STEPS, SERVICE_STEP
from policies.models import (
    Beneficiary,
    Insurer,
    Payout,
    Policy,
    PolicyStatusChange,
    PremiumPayment,
    Rider,
)
from policies.services import beneficiary_shares_validate, policy_premium_refresh, policy_update
from referrals.models import Referral
from servicing.models import AnnualReview, DeliveryTick, ServiceRequest
from touches.build import touch_build_now
from touches.models import Touch

TODAY = date(2026, 11, 24)
NOON = datetime(2026, 11, 24, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
AGENTS = ("agent1", "agent2")
# Every touch kind the demo must put on the list (festivals depend on the date: not asserted).
KINDS = {
    "birthday",
    "policy_anniversary",
    "rider_expiry",
    "payout_due",
    "premium_due",
    "grace_ending",
    "cooling_off_end",
    "claim_action",
    "servicing_action",
    "commitment",
}
MODELS = [
    Policy,
    PolicyStatusChange,
    PremiumPayment,
    Rider,
    Beneficiary,
    Payout,
    ServiceRequest,
    AnnualReview,
    DeliveryTick,
    Commitment,
    Insurer,
]

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    with time_machine.travel(NOON, tick=False):
        call_command("seed_demo", stdout=StringIO())
        yield


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _book(username: str) -> list[tuple]:
    return list(
        Policy.objects.filter(owner__username=username)
        .order_by("number")
        .values_list(
            "number",
            "product_name",
            "holder__name",
            "sum_assured",
            "premium",
            "effective_date",
            "status",
            "premium_next_due",
        )
    )


def test_the_policies_step_runs_first_after_the_clients():
    # The steps are an explicit, ordered table in demo.seed (no registry to register into).
    assert list(DEMO_STEPS) == [
        "policies",
        "referrals",
        "conversion",
        "warming",
        "events",
        "gifts",
        "service",  # last: the steps above never see the service history's policies
    ]
    assert DEMO_STEPS["policies"] is seed_agent_policies
    assert DEMO_STEPS["service"] is SERVICE_STEP


def test_policies_belong_to_the_demo_agents_and_their_own_clients(seeded):
    owners = set(Policy.objects.values_list("owner__username", flat=True))
    assert owners == set(AGENTS)
    for username in AGENTS:
        policies = Policy.objects.filter(owner__username=username)
        assert policies.count() >= 30
        clients = Client.objects.filter(owner__username=username, stage=Client.Stage.CLIENT)
        holding = clients.filter(policies_held__isnull=False).distinct().count()
        assert holding >= 0.8 * clients.count()  # most clients hold one or two
        assert not Client.objects.filter(
            owner__username=username, stage=Client.Stage.PROSPECT, policies_held__isnull=False
        ).exists()
        book = policies.exclude(number__startswith=NUMBER_PREFIX)
        per_holder = Counter(book.values_list("holder_id", flat=True))
        assert max(per_holder.values()) <= 3
        # The service history's older policies are spread over the book's clients.
        history = policies.filter(number__startswith=NUMBER_PREFIX)
        assert history.count() >= 30
        assert max(Counter(history.values_list("holder_id", flat=True)).values()) <= 2
    # No agent's policy reaches another agent's client.
    assert not Policy.objects.exclude(holder__owner=F("owner")).exists()
    assert (
        not Policy.objects.filter(insured_client__isnull=False)
        .exclude(insured_client__owner=F("owner"))
        .exists()
    )
    assert (
        not Policy.objects.filter(insured_member__isnull=False)
        .exclude(insured_member__client=F("holder"))
        .exists()
    )
    assert not ServiceRequest.objects.exclude(owner=F("policy__owner")).exists()
    assert not AnnualReview.objects.exclude(household__owner=F("policies__owner")).exists()


def test_every_policy_passes_the_services_rules(seeded):
    with time_machine.travel(NOON, tick=False):
        for policy in Policy.objects.select_related("insurer", "holder"):
            before = (policy.premium_next_due, policy.premium_grace_end)
            policy_update(policy=policy)  # the services' validation; raises if anything is off
            policy_premium_refresh(policy=policy)
            assert (policy.premium_next_due, policy.premium_grace_end) == before
            shares = list(policy.beneficiaries.values_list("share", flat=True))
            beneficiary_shares_validate(shares=shares)
            steps = list(policy.status_history.order_by("id"))
            assert steps[0].from_status == "" and steps[-1].to_status == policy.status
            assert all(a.at <= b.at for a, b in zip(steps, steps[1:], strict=False))
            assert all("\u4e00" <= ch <= "\u9fff" for ch in policy.product_name)
            for rider in policy.riders.all():
                assert rider.start_date <= rider.expiry_date


def test_a_realistic_mix(seeded):
    assert set(Policy.objects.values_list("policy_type", flat=True)) >= {
        "life",
        "critical_illness",
        "medical",
        "accident",
        "annuity",
        "endowment",
    }
    grace = dict(Insurer.objects.values_list("name", "grace_days"))
    assert grace == {
        "中国人寿": 60,
        "平安人寿": 60,
        "太平洋人寿": 60,
        "新华保险": 60,
        "泰康人寿": 30,
    }
    assert Rider.objects.exists() and Beneficiary.objects.exists()
    assert Payout.objects.filter(claimed=True, date__lte=TODAY).exists()
    assert not Payout.objects.filter(claimed=False, date__lt=TODAY - timedelta(days=30)).exists()
    assert not PremiumPayment.objects.filter(paid_on__gt=TODAY).exists()
    assert not Policy.objects.filter(premium__lte=0).exists()
    for username in AGENTS:
        everything = Policy.objects.filter(owner__username=username)
        # The service history adds the cases persistency names (demo.builders.service).
        history = everything.filter(number__startswith=NUMBER_PREFIX)
        assert set(history.values_list("status", flat=True)) == {
            "in_force",
            "grace",
            "lapsed",
            "reinstated",
            "paid_up",
            "surrendered",
        }
        policies = everything.exclude(number__startswith=NUMBER_PREFIX)
        statuses = set(policies.values_list("status", flat=True))
        assert statuses == {"in_force", "grace", "lapsed", "pending"}
        assert policies.filter(insured_member__isnull=False).exists()  # a child's policy
        # The laid-out dates (see demo/builders/policies.py).
        grace_policy = policies.get(status=Policy.Status.GRACE)
        assert TODAY < grace_policy.premium_grace_end <= TODAY + timedelta(days=7)
        lapsed = policies.get(status=Policy.Status.LAPSED)
        assert lapsed.premium_grace_end < TODAY
        assert lapsed.status_history.filter(to_status=Policy.Status.LAPSED).exists()
        assert policies.filter(cooling_off_end=TODAY + timedelta(days=2)).exists()
        # The laid-out delivery half done (the conversion step adds recent first sales,
        # pending too, whose delivery has not started).
        pending = policies.filter(status=Policy.Status.PENDING)
        assert any(
            0 < DeliveryTick.objects.filter(delivery__policy=p).count() < 12 for p in pending
        )
        claim = ServiceRequest.objects.get(
            owner__username=username, kind=ServiceRequest.Kind.CLAIM, closed_on=None
        )
        assert claim.next_action_date < TODAY and claim.documents.filter(received_on=None)
        servicing = ServiceRequest.objects.get(
            owner__username=username, kind=ServiceRequest.Kind.SERVICING
        )
        assert servicing.next_action_date == TODAY + timedelta(days=1)
        review = AnnualReview.objects.get(household__owner__username=username)
        assert review.commitments.filter(done_date=None, due_date__gt=TODAY).exists()


# Besides the usual day: the layout crosses a new year, and lands on and around 29 February.
@pytest.mark.parametrize("today", [TODAY, date(2027, 12, 28), date(2028, 2, 26)])
def test_after_build_touches_every_kind_is_on_the_list(today):
    at = datetime(today.year, today.month, today.day, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(at, tick=False):
        call_command("seed_demo", stdout=StringIO())
        touch_build_now(today=today)
    window = Q(due_date__gte=today - timedelta(days=7), due_date__lte=today + timedelta(days=7))
    for username in AGENTS:
        agent = User.objects.get(username=username)
        touches = Touch.objects.filter(window, owner=agent, status=Touch.Status.OPEN)
        assert set(touches.values_list("kind", flat=True)) >= KINDS, username
        assert not touches.exclude(client__owner=agent).exists()


def test_a_second_run_creates_nothing(seeded):
    before = _counts()
    out = StringIO()
    with time_machine.travel(NOON + timedelta(days=1), tick=False):
        call_command("seed_demo", stdout=out)
    assert _counts() == before
    assert "policies: created" not in out.getvalue()


def test_the_policies_are_deterministic(seeded):
    first = _book("agent2")
    assert first
    agent2 = User.objects.get(username="agent2")
    # The referrals demo step linked the book's clients: referrers are protected.
    Referral.objects.filter(owner=agent2).delete()
    ServiceRequest.objects.filter(owner=agent2).delete()
    Policy.objects.filter(owner=agent2).delete()
    Client.objects.filter(owner=agent2).delete()
    with time_machine.travel(NOON, tick=False):
        out = StringIO()
        call_command("seed_demo", stdout=out)
    # The policies step and the conversion step's first sales together make the book again.
    assert "agent2: policies: created" in out.getvalue()
    assert _book("agent2") == first
