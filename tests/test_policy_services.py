import datetime
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from policies import services
from policies.models import Beneficiary, Payout, Policy, PolicyStatusChange, PremiumPayment, Rider
from policies.services import schedule as payouts

from .factories import ClientFactory, FamilyMemberFactory
from .policy_factories import InsurerFactory, PayoutFactory, PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in English; the catalogue translates them for zh-hans.
    with translation.override("en"):
        yield


def beneficiaries(*shares: str) -> list[Beneficiary]:
    return [
        Beneficiary(name=f"受益人{i}", relation=Beneficiary.Relation.CHILD, share=Decimal(s))
        for i, s in enumerate(shares)
    ]


def create(owner, holder, **kwargs) -> Policy:
    data = {
        "owner": owner,
        "insurer": InsurerFactory(name="平安人寿"),
        "number": "P2024000001",
        "product_name": "平安福",
        "policy_type": Policy.Type.CRITICAL_ILLNESS,
        "holder": holder,
        "insured_client": holder,
        "effective_date": date(2024, 2, 29),
        "sum_assured": Decimal("300000"),
        "premium": Decimal("8800"),
        "payment_term_years": 20,
    }
    return services.policy_create(**(data | kwargs))


def test_create_with_children_history_and_defaults(owner, client_obj):
    policy = create(
        owner,
        client_obj,
        application_date=date(2024, 2, 20),
        delivery_date=date(2024, 3, 5),
        receipt_signed_date=date(2024, 3, 5),
        beneficiaries=beneficiaries("50", "30", "20"),
        riders=[
            Rider(
                name="附加豁免",
                sum_assured=Decimal("0"),
                premium=Decimal("100"),
                start_date=date(2024, 2, 29),
                expiry_date=date(2044, 2, 28),
            )
        ],
        by=owner,
    )
    policy.refresh_from_db()
    assert policy.cooling_off_end == date(2024, 3, 20)
    assert policy.anniversary_md == 229
    assert policy.status == Policy.Status.PENDING
    assert sorted(b.share for b in policy.beneficiaries.all()) == [20, 30, 50]
    assert policy.riders.count() == 1
    (first,) = policy.status_history.all()
    assert (first.from_status, first.to_status, first.by) == ("", "pending", owner)


def test_explicit_cooling_off_end_is_kept(owner, client_obj):
    policy = create(
        owner, client_obj, receipt_signed_date=date(2024, 3, 5), cooling_off_end=date(2024, 4, 4)
    )
    assert policy.cooling_off_end == date(2024, 4, 4)


def test_single_premium_has_a_one_year_term(owner, client_obj):
    policy = create(owner, client_obj, payment_frequency="single", payment_term_years=10)
    assert policy.payment_term_years == 1


@pytest.mark.parametrize("shares", [("60", "30"), ("50", "50", "10"), ("100", "0"), ("99.99",)])
def test_beneficiary_shares_not_100_are_refused_and_nothing_saved(owner, client_obj, shares):
    with pytest.raises(ValidationError) as exc:
        create(owner, client_obj, beneficiaries=beneficiaries(*shares))
    assert "beneficiaries" in exc.value.message_dict
    assert not Policy.objects.exists()
    assert not Beneficiary.objects.exists()
    assert not PolicyStatusChange.objects.exists()


def test_share_message_gives_the_total(owner, client_obj):
    with pytest.raises(ValidationError) as exc:
        create(owner, client_obj, beneficiaries=beneficiaries("60.00", "30", "2.5"))
    assert exc.value.message_dict["beneficiaries"] == [
        "Beneficiary shares total 92.5%; they must total 100%."
    ]


def test_no_beneficiaries_means_legal_heirs(owner, client_obj):
    assert create(owner, client_obj, beneficiaries=[]).beneficiaries.count() == 0


def test_update_with_bad_shares_changes_nothing(owner, client_obj):
    policy = create(owner, client_obj, beneficiaries=beneficiaries("100"))
    with pytest.raises(ValidationError):
        services.policy_update(
            policy=policy, product_name="改名", beneficiaries=beneficiaries("70", "20")
        )
    policy.refresh_from_db()
    assert policy.product_name == "平安福"
    assert [b.share for b in policy.beneficiaries.all()] == [100]


def test_update_replaces_children_and_moves_cooling_off(owner, client_obj):
    policy = create(owner, client_obj, receipt_signed_date=date(2024, 3, 5))
    updated = services.policy_update(
        policy=policy,
        receipt_signed_date=date(2024, 3, 10),
        beneficiaries=beneficiaries("40", "60"),
    )
    assert updated.cooling_off_end == date(2024, 3, 25)
    assert sorted(b.share for b in updated.beneficiaries.all()) == [40, 60]


def test_update_cannot_touch_owner_or_status(owner, client_obj, teammate):
    policy = create(owner, client_obj)
    with pytest.raises(TypeError):
        services.policy_update(policy=policy, status="in_force")
    with pytest.raises(TypeError):
        services.policy_update(policy=policy, owner=teammate)


def test_holder_of_another_agent_is_refused(owner, teammate):
    theirs = ClientFactory(owner=teammate)
    with pytest.raises(ValidationError) as exc:
        create(owner, theirs)
    assert "holder" in exc.value.message_dict
    assert not Policy.objects.exists()


def test_insured_client_of_another_agent_is_refused(owner, client_obj, outsider):
    with pytest.raises(ValidationError) as exc:
        create(owner, client_obj, insured_client=ClientFactory(owner=outsider))
    assert "insured_client" in exc.value.message_dict


def test_insured_member_must_be_the_holders_family(owner, client_obj):
    child = FamilyMemberFactory(client=client_obj)
    policy = create(owner, client_obj, insured_client=None, insured_member=child)
    assert policy.insured == child
    stranger_child = FamilyMemberFactory(client=ClientFactory(owner=owner))
    with pytest.raises(ValidationError) as exc:
        create(owner, client_obj, number="X2", insured_client=None, insured_member=stranger_child)
    assert "insured_member" in exc.value.message_dict


def test_exactly_one_insured(owner, client_obj):
    child = FamilyMemberFactory(client=client_obj)
    for insured in ({"insured_client": None}, {"insured_member": child}):
        with pytest.raises(ValidationError) as exc:
            create(owner, client_obj, **insured)
        assert "insured_client" in exc.value.message_dict


def test_dates_out_of_order_are_refused_with_every_message(owner, client_obj):
    with pytest.raises(ValidationError) as exc:
        create(
            owner,
            client_obj,
            application_date=date(2024, 3, 1),
            delivery_date=date(2024, 3, 10),
            receipt_signed_date=date(2024, 3, 9),
            cooling_off_end=date(2024, 3, 8),
        )
    errors = exc.value.message_dict
    assert set(errors) >= {"effective_date", "receipt_signed_date", "cooling_off_end"}
    assert "cannot be before" in errors["effective_date"][0]


def test_policy_number_unique_per_insurer(owner, client_obj):
    create(owner, client_obj)
    with pytest.raises(ValidationError) as exc:
        create(owner, client_obj)
    assert exc.value.message_dict["__all__"] == [
        "This insurer already has a policy with this number."
    ]
    assert create(owner, client_obj, insurer=InsurerFactory(name="中国人寿")).pk


def test_term_cover_needs_its_value(owner, client_obj):
    with pytest.raises(ValidationError) as exc:
        create(owner, client_obj, coverage_kind="years", coverage_value=None)
    assert "number of years or the age" in str(exc.value)


def test_set_status_writes_history(owner, client_obj):
    policy = create(owner, client_obj)
    services.policy_set_status(policy=policy, to_status="in_force", by=owner, note="承保")
    services.policy_set_status(policy=policy, to_status="grace", by=owner)
    services.policy_set_status(policy=policy, to_status="lapsed", by=owner)
    services.policy_set_status(policy=policy, to_status="reinstated", by=owner)
    policy.refresh_from_db()
    assert policy.status == "reinstated"
    steps = [(h.from_status, h.to_status) for h in policy.status_history.all()]
    assert steps == [
        ("", "pending"),
        ("pending", "in_force"),
        ("in_force", "grace"),
        ("grace", "lapsed"),
        ("lapsed", "reinstated"),
    ]


def test_set_status_refuses_impossible_steps(owner, client_obj):
    policy = create(owner, client_obj, status="surrendered")
    with pytest.raises(ValidationError):
        services.policy_set_status(policy=policy, to_status="in_force")
    assert policy.status_history.count() == 1


def test_set_status_from_a_stale_copy_loses_nothing(owner, client_obj):
    policy = create(owner, client_obj, status="in_force")
    stale = Policy.objects.get(pk=policy.pk)
    services.policy_set_status(policy=policy, to_status="grace")
    with pytest.raises(ValidationError) as exc:
        services.policy_set_status(policy=stale, to_status="surrendered")
    assert "changed meanwhile" in str(exc.value)
    assert stale.status == "grace"  # refreshed for the retry
    policy.refresh_from_db()
    assert policy.status == "grace"
    assert [h.to_status for h in policy.status_history.all()] == ["in_force", "grace"]


def test_premium_payment_is_idempotent(owner):
    policy = PolicyFactory(holder__owner=owner, effective_date=date(2024, 1, 31))
    payment, created = services.premium_record_payment(
        policy=policy, due_date=date(2025, 1, 31), paid_on=date(2025, 1, 20)
    )
    assert created and payment.amount == policy.premium
    again, created = services.premium_record_payment(
        policy=policy, due_date=date(2025, 1, 31), paid_on=date(2025, 2, 2), amount=Decimal("1")
    )
    assert not created and again.pk == payment.pk and again.paid_on == date(2025, 1, 20)
    assert PremiumPayment.objects.count() == 1


def test_premium_payment_for_a_date_that_is_not_due_is_refused(owner):
    policy = PolicyFactory(holder__owner=owner, effective_date=date(2024, 1, 31))
    with pytest.raises(ValidationError):
        services.premium_record_payment(policy=policy, due_date=date(2025, 2, 1))
    with pytest.raises(ValidationError):  # past the 20-year payment term
        services.premium_record_payment(policy=policy, due_date=date(2044, 1, 31))


def test_payouts_generate_bulk_creates_once(owner, django_assert_num_queries):
    policy = PolicyFactory(
        holder__owner=owner,
        effective_date=date(2024, 2, 29),
        coverage_kind="years",
        coverage_value=20,
    )
    rows = payouts.payouts_every_n_years(
        policy=policy, every=2, from_policy_year=2, amount=Decimal("3000")
    )
    with django_assert_num_queries(4):  # savepoint, existing keys, one insert, release
        created = services.payouts_generate(policy=policy, payouts=rows)
    assert len(created) == 9
    maturity = payouts.payout_maturity(policy=policy, amount=Decimal("300000"))
    again = payouts.payouts_every_n_years(
        policy=policy, every=2, from_policy_year=2, amount=Decimal("3000")
    )
    assert len(services.payouts_generate(policy=policy, payouts=again + maturity)) == 1
    assert policy.payouts.count() == 10
    assert policy.payouts.filter(kind="maturity").get().date == date(2044, 2, 29)


def test_payouts_generate_refuses_rows_of_another_policy(owner):
    a, b = PolicyFactory(holder__owner=owner), PolicyFactory(holder__owner=owner)
    with pytest.raises(ValueError):
        services.payouts_generate(
            policy=a, payouts=[Payout(policy=b, date=date(2030, 1, 1), amount=1, kind="survival")]
        )


def test_payout_mark_claimed_keeps_the_first_date(owner):
    payout = PayoutFactory(policy__holder__owner=owner)
    assert services.payout_mark_claimed(payout=payout, on=date(2029, 3, 20))
    assert not services.payout_mark_claimed(payout=payout, on=datetime.date(2029, 4, 1))
    assert (payout.claimed, payout.claimed_on) == (True, date(2029, 3, 20))
