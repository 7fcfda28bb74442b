import datetime
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import translation

from policies import selectors
from policies.dates import LapseRisk
from policies.models import Policy

from .factories import ClientFactory, FamilyMemberFactory
from .policy_factories import InsurerFactory, PolicyFactory, PremiumPaymentFactory

pytestmark = pytest.mark.django_db


def test_policies_for_user_is_scoped_to_the_owner(owner, teammate, client_obj):
    mine = PolicyFactory(holder=client_obj)
    PolicyFactory(holder=ClientFactory(owner=teammate))
    assert list(selectors.policies_for_user(user=owner)) == [mine]
    assert not selectors.policies_for_user(user=AnonymousUser()).exists()


@pytest.mark.parametrize("persona", ["teammate", "outsider", "manager"])
def test_another_agents_policy_is_404(request, owner, client_obj, persona):
    policy = PolicyFactory(holder=client_obj)
    assert selectors.get_policy_for_user(user=owner, pk=policy.pk) == policy
    with pytest.raises(Http404):
        selectors.get_policy_for_user(user=request.getfixturevalue(persona), pk=policy.pk)


def test_client_policies_as_holder_as_insured_and_for_family(owner, client_obj):
    spouse = ClientFactory(owner=owner, name="张伟")
    child = FamilyMemberFactory(client=client_obj)
    own = PolicyFactory(holder=client_obj)
    for_spouse = PolicyFactory(holder=client_obj, insured_client=spouse)
    for_child = PolicyFactory(holder=client_obj, insured_client=None, insured_member=child)
    by_spouse = PolicyFactory(holder=spouse, insured_client=client_obj)

    def pks(qs):
        return {p.pk for p in qs}

    assert pks(selectors.policies_held_by(client=client_obj)) == {
        own.pk,
        for_spouse.pk,
        for_child.pk,
    }
    assert pks(selectors.policies_insuring(client=client_obj)) == {own.pk, by_spouse.pk}
    assert pks(selectors.policies_for_family_of(client=client_obj)) == {for_child.pk}
    assert pks(selectors.policies_insuring(client=spouse)) == {for_spouse.pk}


@pytest.mark.parametrize("count", [1, 8])
def test_client_policy_lists_take_one_query_each(
    owner, client_obj, count, django_assert_num_queries
):
    child = FamilyMemberFactory(client=client_obj)
    for i in range(count):
        PolicyFactory(holder=client_obj, insurer=InsurerFactory(name=f"公司{i}"))
        PolicyFactory(holder=client_obj, insured_client=None, insured_member=child)
    with django_assert_num_queries(1):
        rows = [
            (p.insurer.name, p.holder.name, p.insured.name, p.number)
            for p in selectors.policies_held_by(client=client_obj)
        ]
    assert len(rows) == 2 * count
    with django_assert_num_queries(1):
        assert (
            len([p.insurer.name for p in selectors.policies_insuring(client=client_obj)]) == count
        )


def test_coverage_summary_by_type_and_gaps(owner, client_obj):
    PolicyFactory(holder=client_obj, policy_type="life", sum_assured=Decimal("500000"))
    PolicyFactory(holder=client_obj, policy_type="life", sum_assured=Decimal("300000"))
    PolicyFactory(
        holder=client_obj, policy_type="life", sum_assured=Decimal("100000"), currency="USD"
    )
    PolicyFactory(holder=client_obj, policy_type="accident", status="reinstated")
    PolicyFactory(holder=client_obj, policy_type="endowment", status="paid_up")
    # Not counted: lapsed, pending, and cover of someone else held by this client.
    PolicyFactory(holder=client_obj, policy_type="medical", status="lapsed")
    PolicyFactory(holder=client_obj, policy_type="critical_illness", status="pending")
    PolicyFactory(
        holder=client_obj, policy_type="medical", insured_client=ClientFactory(owner=owner)
    )

    with translation.override("en"):
        summary = selectors.coverage_summary(client=client_obj)
    lines = {line.policy_type: line for line in summary.lines}
    assert [line.policy_type for line in summary.lines][:5] == [
        "life",
        "critical_illness",
        "medical",
        "accident",
        "annuity",
    ]
    assert lines["life"].count == 3
    assert lines["life"].sum_assured == {"CNY": Decimal("800000"), "USD": Decimal("100000")}
    assert lines["accident"].count == 1
    assert lines["endowment"].count == 1
    assert lines["medical"].count == lines["annuity"].count == 0
    assert summary.gaps == [
        "No medical cover: hospital bills are paid out of pocket.",
        "No critical-illness cover: no lump sum on diagnosis.",
    ]


def test_coverage_summary_is_one_query(owner, client_obj, django_assert_num_queries):
    for kind in ("life", "medical", "critical_illness", "accident", "annuity"):
        PolicyFactory(holder=client_obj, policy_type=kind)
    with django_assert_num_queries(1):
        summary = selectors.coverage_summary(client=client_obj)
    assert summary.gaps == []


def test_coverage_summary_of_a_client_without_policies_lists_every_gap(client_obj):
    summary = selectors.coverage_summary(client=client_obj)
    assert len(summary.gaps) == 4
    assert all(line.count == 0 for line in summary.lines)


SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_premium_state_with_payments_and_insurer_grace(client_obj):
    policy = PolicyFactory(
        holder=client_obj,
        insurer=InsurerFactory(name="短宽限", grace_days=30),
        effective_date=date(2024, 1, 31),
        payment_frequency="monthly",
        payment_term_years=1,
    )
    PremiumPaymentFactory(policy=policy, due_date=date(2024, 1, 31))
    PremiumPaymentFactory(policy=policy, due_date=date(2024, 2, 29))
    with time_machine.travel(datetime.datetime(2024, 4, 20, 10, 0, tzinfo=SHANGHAI)):
        state = selectors.policy_premium_state(policy=policy)
    assert state.next_due == date(2024, 3, 31)
    assert state.grace_end == date(2024, 4, 30)
    assert state.risk == LapseRisk.IN_GRACE
    with time_machine.travel(datetime.datetime(2024, 5, 1, 10, 0, tzinfo=SHANGHAI)):
        assert selectors.policy_premium_state(policy=policy).risk == LapseRisk.LAPSED


def test_premium_state_of_a_fully_paid_or_ended_policy_is_ok(client_obj):
    single = PolicyFactory(holder=client_obj, payment_frequency="single", payment_term_years=1)
    PremiumPaymentFactory(policy=single, due_date=single.effective_date)
    state = selectors.policy_premium_state(policy=single, today=date(2030, 1, 1))
    assert (state.next_due, state.risk) == (None, LapseRisk.OK)
    surrendered = PolicyFactory(holder=client_obj, status=Policy.Status.SURRENDERED)
    assert selectors.policy_premium_state(policy=surrendered).risk == LapseRisk.OK
