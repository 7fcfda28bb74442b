"""The policy page's records: status changes, premium payments and the payout schedule,
through the pages (the access matrix for these URLs is in test_policy_views.py).

Refused input answers 400 with the page and its message, and writes nothing.
"""

import datetime
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from policies import dates, selectors, services
from policies.models import Payout, Policy, PolicyStatusChange, PremiumPayment
from servicing.models import DeliveryItem

from .edit_forms import versioned
from .factories import ClientFactory, CommitmentFactory, FamilyMemberFactory
from .policy_factories import InsurerFactory, PayoutFactory, PolicyFactory, PremiumPaymentFactory
from .policy_records_factories import AnnualReviewFactory, DeliveryFactory, DeliveryTickFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
Status = Policy.Status


def at(day: date, hour: int = 10):
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False
    )


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in English; the catalogue translates them for zh-hans.
    with translation.override("en"):
        yield


@pytest.fixture
def http(as_user, owner):
    http = as_user(owner)
    http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return http


@pytest.fixture
def policy(client_obj):
    return PolicyFactory(holder=client_obj, number="P-1")


def detail(policy) -> str:
    return reverse("policies:detail", kwargs={"pk": policy.pk})


def url(name: str, policy, **kwargs) -> str:
    return reverse(f"policies:{name}", kwargs={"pk": policy.pk, **kwargs})


# --- status -----------------------------------------------------------------------------------


def test_status_form_offers_only_the_allowed_next_statuses(http, policy):
    form = http.get(detail(policy)).context["status_form"]
    offered = [value for value, _label in form.fields["to_status"].choices]
    assert set(offered) == services.TRANSITIONS[Status.IN_FORCE]
    assert Status.REINSTATED not in offered and Status.PENDING not in offered


def test_status_change_records_the_step_with_its_note(http, owner, policy):
    response = http.post(
        url("status_change", policy), {"to_status": Status.LAPSED, "note": "客户停缴"}
    )
    assert response.status_code == 302
    assert response["Location"] == detail(policy) + "#status"
    policy.refresh_from_db()
    assert policy.status == Status.LAPSED
    step = policy.status_history.last()
    assert (step.from_status, step.to_status, step.by, step.note) == (
        Status.IN_FORCE,
        Status.LAPSED,
        owner,
        "客户停缴",
    )
    # The next form offers what a lapsed policy may become.
    offered = http.get(detail(policy)).context["status_form"].fields["to_status"].choices
    assert {v for v, _ in offered} == {Status.REINSTATED, Status.SURRENDERED}


def test_status_change_not_allowed_is_refused_with_400(http, policy):
    before = PolicyStatusChange.objects.count()
    response = http.post(url("status_change", policy), {"to_status": Status.REINSTATED})
    assert response.status_code == 400
    assert response.context["status_form"].errors["to_status"]
    assert 'id="status-change-form"' in response.content.decode()
    policy.refresh_from_db()
    assert policy.status == Status.IN_FORCE
    assert PolicyStatusChange.objects.count() == before


def test_status_changed_meanwhile_is_refused(http, policy, monkeypatch):
    """Someone else moved the policy between the page and the POST: the conditional update
    of `policy_set_status` refuses, and the page says so."""
    real = services.policy_set_status

    def raced(*, policy, **kwargs):
        Policy.objects.filter(pk=policy.pk).update(status=Status.PAID_UP)
        return real(policy=policy, **kwargs)

    monkeypatch.setattr(services, "policy_set_status", raced)
    before = PolicyStatusChange.objects.count()
    response = http.post(url("status_change", policy), {"to_status": Status.LAPSED})
    assert response.status_code == 400
    assert "changed meanwhile" in response.content.decode()
    assert PolicyStatusChange.objects.count() == before


def test_final_status_offers_no_change(http, client_obj):
    policy = PolicyFactory(holder=client_obj, status=Status.SURRENDERED)
    response = http.get(detail(policy))
    assert not response.context["status_form"].has_choices
    assert "This status is final" in response.content.decode()
    assert (
        http.post(url("status_change", policy), {"to_status": Status.IN_FORCE}).status_code == 400
    )


# --- premiums ---------------------------------------------------------------------------------


@pytest.fixture
def monthly(client_obj):
    """A monthly premium from 31 January 2024: dues on month ends, 29 February included."""
    return PolicyFactory(
        holder=client_obj,
        effective_date=date(2024, 1, 31),
        payment_frequency=Policy.Frequency.MONTHLY,
        premium=Decimal("800.00"),
        insurer=InsurerFactory(name="月缴保险", grace_days=60),
    )


def test_pay_form_offers_unpaid_dues_up_to_the_next_two(http, monthly):
    with at(date(2024, 4, 1)):
        form = http.get(detail(monthly)).context["pay_form"]
    assert [v for v, _ in form.fields["due_date"].choices] == [
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
        "2024-04-30",
        "2024-05-31",
    ]
    assert form.initial["due_date"] == "2024-01-31"
    assert form.initial["amount"] == Decimal("800.00")
    assert form.initial["paid_on"] == date(2024, 4, 1)


def test_payment_through_the_page(http, monthly):
    with at(date(2024, 4, 1)):
        response = http.post(
            url("premium_pay", monthly),
            {"due_date": "2024-01-31", "paid_on": "2024-03-30", "amount": "800"},
        )
    assert response.status_code == 302
    assert response["Location"] == detail(monthly) + "#premiums"
    payment = PremiumPayment.objects.get(policy=monthly)
    assert (payment.due_date, payment.paid_on, payment.amount) == (
        date(2024, 1, 31),
        date(2024, 3, 30),
        Decimal("800"),
    )
    monthly.refresh_from_db()
    assert monthly.premium_next_due == date(2024, 2, 29)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"due_date": "2024-02-15", "paid_on": "2024-04-01", "amount": "800"}, "due_date"),
        ({"due_date": "2024-08-31", "paid_on": "2024-04-01", "amount": "800"}, "due_date"),
        ({"due_date": "2024-01-31", "paid_on": "2024-04-02", "amount": "800"}, "paid_on"),
        ({"due_date": "2024-01-31", "paid_on": "2024-04-01", "amount": "0"}, "amount"),
        ({"due_date": "2024-01-31", "paid_on": "", "amount": "800"}, "paid_on"),
        ({"due_date": "2024-01-31", "paid_on": "2024-04-01", "amount": "abc"}, "amount"),
    ],
)
def test_bad_payment_is_400_and_writes_nothing(http, monthly, data, field):
    with at(date(2024, 4, 1)):
        response = http.post(url("premium_pay", monthly), data)
    assert response.status_code == 400
    assert response.context["pay_form"].errors[field]
    assert 'class="collapse show" id="premium-pay-form"' in response.content.decode()
    assert not PremiumPayment.objects.exists()
    monthly.refresh_from_db()
    assert monthly.premium_next_due == date(2024, 1, 31)


def test_paying_the_arrears_brings_a_policy_in_grace_back_in_force(http, owner, client_obj):
    policy = PolicyFactory(holder=client_obj, status=Status.GRACE)
    with at(date(2024, 4, 10)):
        response = http.post(
            url("premium_pay", policy),
            {"due_date": "2024-03-15", "paid_on": "2024-04-10", "amount": "12000"},
        )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.status == Status.IN_FORCE
    assert policy.status_history.last().by == owner


def test_no_payment_on_a_surrendered_policy(http, client_obj):
    policy = PolicyFactory(holder=client_obj, status=Status.SURRENDERED)
    with at(date(2024, 4, 10)):
        page = http.get(detail(policy))
        response = http.post(
            url("premium_pay", policy),
            {"due_date": "2024-03-15", "paid_on": "2024-04-10", "amount": "12000"},
        )
    assert page.context["premium_schedule"].payable == []
    assert response.status_code == 400
    assert not PremiumPayment.objects.exists()


def test_schedule_shows_the_last_payments_and_the_next_dues_not_all_240(http, monthly):
    dues = dates.premium_due_dates(
        effective=monthly.effective_date, frequency="monthly", term_years=20
    )
    for due in dues[:10]:  # January to October 2024 paid
        PremiumPaymentFactory(policy=monthly, due_date=due, paid_on=due, amount=Decimal("800"))
    with at(date(2024, 11, 5)):
        response = http.get(detail(monthly))
    schedule = response.context["premium_schedule"]
    assert schedule.due_count == 240 and schedule.paid_count == 10
    assert [(r.due_date, r.state) for r in schedule.rows] == [
        (date(2024, 8, 31), "paid"),
        (date(2024, 9, 30), "paid"),
        (date(2024, 10, 31), "paid"),
        (date(2024, 11, 30), "due_soon"),
        (date(2024, 12, 31), "upcoming"),
    ]
    assert schedule.hidden_paid == 7
    assert "7 earlier payments not shown" in response.content.decode()


def test_long_arrears_are_capped_and_counted(monthly):
    schedule = selectors.premium_schedule(policy=monthly, today=date(2025, 1, 15))
    unpaid = [r for r in schedule.rows if r.state != "paid"]
    # The earliest arrears, then the next due; the other eight unpaid months are counted.
    assert [r.due_date for r in unpaid] == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2025, 1, 31),
        date(2025, 2, 28),
    ]
    assert unpaid[0].state == "lapsed"
    assert schedule.hidden_overdue == 8
    # In grace: January's due, 60 days of grace (29 February counted).
    in_grace = selectors.premium_schedule(policy=monthly, today=date(2024, 2, 10)).rows[0]
    assert (in_grace.state, in_grace.grace_end) == ("in_grace", date(2024, 3, 31))


# --- payouts: generation ----------------------------------------------------------------------


def generate(http, policy, **data):
    return http.post(url("payout_generate", policy), data)


def test_every_n_years_across_leap_years(http, client_obj):
    policy = PolicyFactory(
        holder=client_obj,
        effective_date=date(2020, 2, 29),
        coverage_kind=Policy.Coverage.YEARS,
        coverage_value=20,
    )
    response = generate(
        http,
        policy,
        pattern="every_n_years",
        every="3",
        from_policy_year="3",
        amount="2000",
        kind=Payout.Kind.SURVIVAL,
    )
    assert response.status_code == 302
    assert response["Location"] == detail(policy) + "#payouts"
    rows = list(policy.payouts.values_list("date", "kind", "amount"))
    # The anniversary of 29 February falls on 28 February in common years; the payment at
    # the end of cover (2040-02-29) is the maturity benefit, not part of this pattern.
    assert [d for d, _k, _a in rows] == [
        date(2023, 2, 28),
        date(2026, 2, 28),
        date(2029, 2, 28),
        date(2032, 2, 29),
        date(2035, 2, 28),
        date(2038, 2, 28),
    ]
    assert {(k, a) for _d, k, a in rows} == {(Payout.Kind.SURVIVAL, Decimal("2000"))}


def test_yearly_from_age_across_leap_years(http, client_obj):
    client_obj.birth_date = date(1985, 6, 15)
    client_obj.save()
    policy = PolicyFactory(
        holder=client_obj,
        effective_date=date(2024, 2, 29),
        coverage_kind=Policy.Coverage.TO_AGE,
        coverage_value=70,
        policy_type=Policy.Type.ANNUITY,
    )
    response = generate(
        http, policy, pattern="yearly_from_age", age="60", amount="12000", kind="annuity"
    )
    assert response.status_code == 302
    assert list(policy.payouts.values_list("date", flat=True)) == [
        date(2046, 2, 28),  # the first anniversary once 60 (15 June 2045)
        date(2047, 2, 28),
        date(2048, 2, 29),
        date(2049, 2, 28),
        date(2050, 2, 28),
        date(2051, 2, 28),
        date(2052, 2, 29),
        date(2053, 2, 28),
        date(2054, 2, 28),
        date(2055, 2, 28),  # cover ends on the anniversary after turning 70
    ]
    assert set(policy.payouts.values_list("kind", flat=True)) == {Payout.Kind.ANNUITY}


def test_maturity_benefit_is_always_of_the_maturity_kind(http, client_obj):
    policy = PolicyFactory(
        holder=client_obj,
        effective_date=date(2024, 2, 29),
        coverage_kind=Policy.Coverage.YEARS,
        coverage_value=20,
    )
    response = generate(http, policy, pattern="maturity", amount="300000", kind="survival")
    assert response.status_code == 302
    payout = policy.payouts.get()
    assert (payout.date, payout.kind, payout.amount) == (
        date(2044, 2, 29),
        Payout.Kind.MATURITY,
        Decimal("300000"),
    )


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"pattern": "maturity", "amount": "1000"}, "pattern", "cover that ends"),
        ({"pattern": "every_n_years", "amount": "1000", "kind": "survival"}, "every", "every"),
        (
            {"pattern": "every_n_years", "every": "0", "from_policy_year": "1", "amount": "9"},
            "every",
            "",
        ),
        ({"pattern": "yearly_from_age", "amount": "1000", "kind": "annuity"}, "age", "age"),
        (
            {"pattern": "every_n_years", "every": "2", "from_policy_year": "1", "amount": "0"},
            "amount",
            "above zero",
        ),
        ({"pattern": "weekly", "amount": "1000"}, "pattern", ""),
    ],
)
def test_bad_generation_is_400_and_writes_nothing(http, policy, data, field, message):
    """The default policy is whole life: no maturity benefit."""
    response = generate(http, policy, **data)
    assert response.status_code == 400
    errors = response.context["payout_generate_form"].errors
    assert errors[field]
    assert message in " ".join(errors[field])
    assert 'class="collapse show" id="payout-generate-form"' in response.content.decode()
    assert not Payout.objects.exists()


def test_by_age_needs_the_insureds_birth_date(http, client_obj):
    child = FamilyMemberFactory(client=client_obj, birth_date=None)
    policy = PolicyFactory(holder=client_obj, insured_client=None, insured_member=child)
    response = generate(
        http, policy, pattern="yearly_from_age", age="18", amount="5", kind="annuity"
    )
    assert response.status_code == 400
    assert "birth date" in " ".join(response.context["payout_generate_form"].errors["age"])
    assert not Payout.objects.exists()


def test_generating_again_keeps_edited_and_claimed_rows(http, client_obj):
    policy = PolicyFactory(
        holder=client_obj,
        effective_date=date(2020, 6, 1),
        coverage_kind=Policy.Coverage.YEARS,
        coverage_value=10,
    )
    data = {
        "pattern": "every_n_years",
        "every": "2",
        "from_policy_year": "2",
        "amount": "1000",
        "kind": "survival",
    }
    assert generate(http, policy, **data).status_code == 302
    first = policy.payouts.get(date=date(2022, 6, 1))
    services.payout_mark_claimed(payout=first, on=date(2022, 6, 5))
    Payout.objects.filter(date=date(2024, 6, 1)).update(amount=Decimal("1500"))
    response = generate(http, policy, **data)
    assert response.status_code == 302
    text = " ".join(m.message for m in get_messages(response.wsgi_request))
    assert "Added 0 payouts." in text and "4 dates were already scheduled" in text
    assert policy.payouts.count() == 4  # 2022, 2024, 2026, 2028 (2030 is cover end)
    assert policy.payouts.get(date=date(2022, 6, 1)).claimed
    assert policy.payouts.get(date=date(2024, 6, 1)).amount == Decimal("1500")


# --- payouts: by hand -------------------------------------------------------------------------


def test_add_a_payout_by_hand(http, policy):
    data = {"date": "2034-03-15", "amount": "8000", "kind": "survival"}
    assert http.post(url("payout_add", policy), data).status_code == 302
    payout = policy.payouts.get()
    assert (payout.date, payout.amount, payout.kind) == (
        date(2034, 3, 15),
        Decimal("8000"),
        "survival",
    )
    # The same kind on the same date is refused with a clear message; another kind is fine.
    response = http.post(url("payout_add", policy), data)
    assert response.status_code == 400
    assert "already scheduled on 2034-03-15" in response.content.decode()
    assert http.post(url("payout_add", policy), {**data, "kind": "annuity"}).status_code == 302
    assert policy.payouts.count() == 2


@pytest.mark.parametrize(
    "data, field",
    [
        ({"date": "2034-03-15", "amount": "0", "kind": "survival"}, "amount"),
        ({"date": "2034-03-15", "amount": "-5", "kind": "survival"}, "amount"),
        ({"date": "", "amount": "5", "kind": "survival"}, "date"),
        ({"date": "2034-03-15", "amount": "5", "kind": "bonus"}, "kind"),
    ],
)
def test_bad_payout_is_400_and_writes_nothing(http, policy, data, field):
    response = http.post(url("payout_add", policy), data)
    assert response.status_code == 400
    assert response.context["payout_add_form"].errors[field]
    assert not Payout.objects.exists()


def test_edit_a_payout(http, policy):
    payout = PayoutFactory(policy=policy, date=date(2030, 3, 15), amount=Decimal("5000"))
    other = PayoutFactory(policy=policy, date=date(2031, 3, 15))
    edit = url("payout_edit", policy, payout_pk=payout.pk)
    page = http.get(edit)
    assert page.context["form"].initial == {
        "date": date(2030, 3, 15),
        "amount": Decimal("5000"),
        "kind": "survival",
    }
    clash = http.post(
        edit, versioned(http, edit, {"date": "2031-03-15", "amount": "5000", "kind": "survival"})
    )
    assert clash.status_code == 400
    assert "already scheduled" in " ".join(clash.context["form"].errors["date"])
    payout.refresh_from_db()
    assert payout.date == date(2030, 3, 15)
    response = http.post(
        edit, versioned(http, edit, {"date": "2030-03-20", "amount": "5200.50", "kind": "annuity"})
    )
    assert response.status_code == 302
    payout.refresh_from_db()
    assert (payout.date, payout.amount, payout.kind) == (
        date(2030, 3, 20),
        Decimal("5200.50"),
        "annuity",
    )
    other.refresh_from_db()
    assert other.date == date(2031, 3, 15)


def test_delete_a_payout(http, policy):
    payout = PayoutFactory(policy=policy)
    kept = PayoutFactory(policy=policy, date=date(2031, 3, 15))
    response = http.post(url("payout_delete", policy, payout_pk=payout.pk))
    assert response.status_code == 302
    assert list(policy.payouts.all()) == [kept]


def test_claim_a_payout_keeps_the_first_date(http, owner, policy):
    payout = PayoutFactory(policy=policy, date=date(2029, 3, 15))
    with at(date(2029, 3, 20)):
        http.force_login(owner)  # a session from today would have expired by then
        assert http.post(url("payout_claim", policy, payout_pk=payout.pk)).status_code == 302
    with at(date(2029, 4, 1)):
        http.force_login(owner)
        response = http.post(url("payout_claim", policy, payout_pk=payout.pk))
    assert response.status_code == 302
    payout.refresh_from_db()
    assert (payout.claimed, payout.claimed_on) == (True, date(2029, 3, 20))


@pytest.mark.parametrize("name", ["payout_edit", "payout_delete", "payout_claim"])
def test_payout_of_another_policy_is_404(http, client_obj, policy, name):
    """The agent's own payout, but addressed under another of their policies."""
    elsewhere = PayoutFactory(policy=PolicyFactory(holder=client_obj))
    target = url(name, policy, payout_pk=elsewhere.pk)
    assert (
        http.post(target, {"date": "2040-01-01", "amount": "1", "kind": "survival"}).status_code
        == 404
    )
    elsewhere.refresh_from_db()
    assert not elsewhere.claimed and elsewhere.date == date(2029, 3, 15)


def test_payout_card_splits_due_upcoming_and_claimed(http, owner, policy):
    for year in range(2026, 2036):
        PayoutFactory(policy=policy, date=date(year, 3, 15))
    Payout.objects.filter(date=date(2026, 3, 15)).update(claimed=True, claimed_on=date(2026, 3, 20))
    with at(date(2028, 3, 15)):
        http.force_login(owner)
        response = http.get(detail(policy))
    schedule = response.context["payout_schedule"]
    assert [p.date.year for p in schedule.claimed] == [2026]
    assert [p.date.year for p in schedule.to_claim] == [2027, 2028]  # due today counts
    assert [p.date.year for p in schedule.upcoming] == [2029, 2030, 2031, 2032, 2033]
    assert [p.date.year for p in schedule.later] == [2034, 2035]
    body = response.content.decode()
    assert body.count("Mark claimed") == 2
    assert '<tbody class="collapse" id="payouts-later">' in body
    assert "2 later payouts" in body and "1 claimed" in body


# --- the page as a whole ----------------------------------------------------------------------


def test_detail_query_count_does_not_grow(http, policy):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert http.get(detail(policy)).status_code == 200
        return len(ctx.captured_queries)

    with at(date(2026, 3, 20)):
        few = count()
        for year in range(2027, 2047):
            PayoutFactory(policy=policy, date=date(year, 3, 15))
        for year in (2024, 2025, 2026):
            PremiumPaymentFactory(policy=policy, due_date=date(year, 3, 15))
        delivery = DeliveryFactory(policy=policy)
        for item in DeliveryItem.values[:8]:
            DeliveryTickFactory(delivery=delivery, item=item)
        for year in (2025, 2026):
            review = AnnualReviewFactory(
                household=policy.holder, anniversary=date(year, 3, 15), policies=[policy]
            )
            for i in range(3):
                review.commitments.add(CommitmentFactory(client=policy.holder, description=f"{i}"))
        many = count()
    assert many == few
    assert many <= 16


def test_detail_shows_every_section(http, policy):
    with at(date(2026, 3, 20)):
        body = http.get(detail(policy)).content.decode()
    for anchor in ('id="premiums"', 'id="payouts"', 'id="delivery"', 'id="reviews"', 'id="status"'):
        assert anchor in body
    assert url("delivery", policy) in body and url("review_create", policy) in body
    assert "0 of 12 done" in body
    assert "No annual review yet for the anniversary of" in body


def test_other_clients_are_not_involved(http, owner, policy):
    """A second client of the same agent: their policy's records do not show on this page."""
    other = PolicyFactory(holder=ClientFactory(owner=owner, name="李四"), number="P-2")
    PayoutFactory(policy=other, amount=Decimal("777.00"))
    body = http.get(detail(policy)).content.decode()
    assert "777.00" not in body
