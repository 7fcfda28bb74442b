"""Date rules of policies (policies.dates, the payout patterns of policies.services.schedule).
No database needed."""

import datetime
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from clients.models import Client, FamilyMember
from policies import dates
from policies.dates import LapseRisk
from policies.models import Payout, Policy
from policies.services import schedule as payouts

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2025, date(2025, 2, 28)),
        (2026, date(2026, 2, 28)),
        (2027, date(2027, 2, 28)),
        (2028, date(2028, 2, 29)),
        (2032, date(2032, 2, 29)),
        (2100, date(2100, 2, 28)),  # not a leap year: divisible by 100
    ],
)
def test_anniversary_of_29_february_policy(year, expected):
    assert dates.anniversary_in_year(effective=date(2024, 2, 29), year=year) == expected


def test_anniversary_of_an_ordinary_date_is_the_same_day():
    assert dates.anniversary_in_year(effective=date(2024, 3, 15), year=2031) == date(2031, 3, 15)


@pytest.mark.parametrize(
    ("on_or_after", "expected"),
    [
        (date(2024, 1, 1), date(2025, 2, 28)),  # before the policy: the first anniversary
        (date(2024, 2, 29), date(2025, 2, 28)),  # the effective date is not an anniversary
        (date(2025, 2, 28), date(2025, 2, 28)),  # on the day itself
        (date(2025, 3, 1), date(2026, 2, 28)),
        (date(2027, 12, 31), date(2028, 2, 29)),
        (date(2028, 2, 28), date(2028, 2, 29)),
        (date(2028, 3, 1), date(2029, 2, 28)),
    ],
)
def test_next_anniversary(on_or_after, expected):
    assert dates.next_anniversary(effective=date(2024, 2, 29), on_or_after=on_or_after) == expected


@pytest.mark.parametrize(
    ("effective", "expected"),
    [
        # Anchored on the 31st through a leap February and back to the 31st.
        (
            date(2024, 1, 31),
            [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)],
        ),
        # ...and through a common February.
        (
            date(2023, 1, 31),
            [date(2023, 1, 31), date(2023, 2, 28), date(2023, 3, 31), date(2023, 4, 30)],
        ),
        (
            date(2023, 1, 30),
            [date(2023, 1, 30), date(2023, 2, 28), date(2023, 3, 30), date(2023, 4, 30)],
        ),
        (
            date(2023, 1, 29),
            [date(2023, 1, 29), date(2023, 2, 28), date(2023, 3, 29), date(2023, 4, 29)],
        ),
        (
            date(2024, 1, 29),
            [date(2024, 1, 29), date(2024, 2, 29), date(2024, 3, 29), date(2024, 4, 29)],
        ),
        (
            date(2024, 1, 30),
            [date(2024, 1, 30), date(2024, 2, 29), date(2024, 3, 30), date(2024, 4, 30)],
        ),
    ],
)
def test_monthly_dues_on_29th_to_31st(effective, expected):
    dues = dates.premium_due_dates(effective=effective, frequency="monthly", term_years=1)
    assert dues[:4] == expected


def test_monthly_dues_never_drift_over_years():
    dues = dates.premium_due_dates(effective=date(2023, 12, 31), frequency="monthly", term_years=3)
    assert len(dues) == 36
    assert dues[-1] == date(2026, 11, 30)
    assert [d for d in dues if d.month == 2] == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
    ]
    # Every 31-day month keeps the anchor day, whatever came before it.
    assert all(d.day == 31 for d in dues if d.month in (1, 3, 5, 7, 8, 10, 12))


def test_quarterly_dues():
    dues = dates.premium_due_dates(
        effective=date(2023, 11, 30), frequency="quarterly", term_years=2
    )
    assert dues == [
        date(2023, 11, 30),
        date(2024, 2, 29),
        date(2024, 5, 30),
        date(2024, 8, 30),
        date(2024, 11, 30),
        date(2025, 2, 28),
        date(2025, 5, 30),
        date(2025, 8, 30),
    ]


def test_semi_annual_dues():
    dues = dates.premium_due_dates(
        effective=date(2023, 8, 31), frequency="semi_annual", term_years=3
    )
    assert dues == [
        date(2023, 8, 31),
        date(2024, 2, 29),
        date(2024, 8, 31),
        date(2025, 2, 28),
        date(2025, 8, 31),
        date(2026, 2, 28),
    ]


def test_annual_dues_of_29_february_policy_within_term():
    dues = dates.premium_due_dates(effective=date(2024, 2, 29), frequency="annual", term_years=5)
    assert dues == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


@pytest.mark.parametrize(
    ("frequency", "term", "count", "last"),
    [
        ("annual", 20, 20, date(2043, 3, 15)),
        ("semi_annual", 10, 20, date(2033, 9, 15)),
        ("quarterly", 1, 4, date(2024, 12, 15)),
        ("monthly", 1, 12, date(2025, 2, 15)),
    ],
)
def test_dues_stop_at_the_end_of_the_payment_term(frequency, term, count, last):
    dues = dates.premium_due_dates(
        effective=date(2024, 3, 15), frequency=frequency, term_years=term
    )
    assert len(dues) == count
    assert dues[-1] == last


def test_single_premium_has_only_the_first_due():
    dues = dates.premium_due_dates(effective=date(2024, 3, 15), frequency="single", term_years=10)
    assert dues == [date(2024, 3, 15)]


def test_next_unpaid_due():
    dues = dates.premium_due_dates(effective=date(2024, 1, 31), frequency="monthly", term_years=1)
    assert dates.next_unpaid_due(due_dates=dues, paid=[]) == date(2024, 1, 31)
    paid = [date(2024, 1, 31), date(2024, 2, 29)]
    assert dates.next_unpaid_due(due_dates=dues, paid=paid) == date(2024, 3, 31)
    # A missed due stays the next unpaid one even when later ones were paid.
    assert dates.next_unpaid_due(due_dates=dues, paid=[date(2024, 2, 29)]) == date(2024, 1, 31)
    assert dates.next_unpaid_due(due_dates=dues, paid=dues) is None


@pytest.mark.parametrize(
    ("due", "grace_days", "expected"),
    [
        (date(2024, 12, 31), 60, date(2025, 3, 1)),
        (date(2023, 12, 31), 60, date(2024, 2, 29)),  # leap year: one day earlier in March
        (date(2024, 2, 29), 30, date(2024, 3, 30)),
        (date(2024, 3, 15), 0, date(2024, 3, 15)),
    ],
)
def test_grace_end(due, grace_days, expected):
    assert dates.grace_end(due=due, grace_days=grace_days) == expected


DUE = date(2026, 3, 15)  # grace of 60 days ends 2026-05-14


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.datetime(2026, 2, 12, 12, 0), LapseRisk.OK),
        (datetime.datetime(2026, 2, 13, 12, 0), LapseRisk.DUE_SOON),
        (datetime.datetime(2026, 3, 15, 23, 59), LapseRisk.DUE_SOON),
        (datetime.datetime(2026, 3, 16, 0, 1), LapseRisk.IN_GRACE),
        (datetime.datetime(2026, 5, 14, 23, 59), LapseRisk.IN_GRACE),
        (datetime.datetime(2026, 5, 15, 0, 1), LapseRisk.LAPSED),
    ],
)
def test_lapse_risk_follows_the_local_date(today, expected):
    with time_machine.travel(today.replace(tzinfo=SHANGHAI), tick=False):
        assert dates.lapse_risk(next_due=DUE, grace_days=60) == expected


def test_lapse_risk_uses_shanghai_not_utc():
    # 16:30 UTC on the grace end is already the next day in Shanghai.
    with time_machine.travel(datetime.datetime(2026, 5, 14, 16, 30, tzinfo=datetime.UTC)):
        assert dates.lapse_risk(next_due=DUE, grace_days=60) == LapseRisk.LAPSED


def test_lapse_risk_with_explicit_today_and_per_insurer_grace():
    assert dates.lapse_risk(next_due=DUE, grace_days=30, today=date(2026, 4, 15)) == "lapsed"
    assert dates.lapse_risk(next_due=DUE, grace_days=31, today=date(2026, 4, 15)) == "in_grace"
    assert dates.lapse_risk(next_due=None, grace_days=60, today=date(2030, 1, 1)) == "ok"


@pytest.mark.parametrize(
    ("receipt", "expected"),
    [
        (date(2024, 2, 20), date(2024, 3, 6)),
        (date(2023, 2, 20), date(2023, 3, 7)),
        (date(2025, 12, 20), date(2026, 1, 4)),
    ],
)
def test_cooling_off_end_is_15_days_after_receipt(receipt, expected):
    assert dates.cooling_off_end(receipt_signed=receipt) == expected


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (date(2001, 2, 27), 0),
        (date(2001, 2, 28), 1),
        (date(2004, 2, 28), 3),
        (date(2004, 2, 29), 4),
        (date(2030, 3, 1), 30),
    ],
)
def test_age_of_someone_born_on_29_february(on, age):
    assert dates.age_on(birth=date(2000, 2, 29), on=on) == age


@pytest.mark.parametrize(
    ("kind", "value", "birth", "expected"),
    [
        ("years", 20, None, date(2044, 2, 29)),
        ("years", 1, None, date(2025, 2, 28)),
        ("to_age", 60, date(1985, 6, 15), date(2046, 2, 28)),
        ("to_age", 60, None, None),
        ("whole_life", None, date(1985, 6, 15), None),
    ],
)
def test_coverage_end(kind, value, birth, expected):
    end = dates.coverage_end(
        effective=date(2024, 2, 29), kind=kind, value=value, insured_birth=birth
    )
    assert end == expected


def test_payouts_every_n_years_across_leap_years():
    every_two = dates.payout_dates_every_n_years(
        effective=date(2024, 2, 29),
        every=2,
        from_policy_year=1,
        coverage_end_date=date(2034, 2, 28),
    )
    assert every_two == [
        date(2025, 2, 28),
        date(2027, 2, 28),
        date(2029, 2, 28),
        date(2031, 2, 28),
        date(2033, 2, 28),
    ]
    every_four = dates.payout_dates_every_n_years(
        effective=date(2024, 2, 29),
        every=4,
        from_policy_year=4,
        coverage_end_date=date(2034, 2, 28),
    )
    assert every_four == [date(2028, 2, 29), date(2032, 2, 29)]


def test_whole_life_payouts_stop_at_max_age_or_after_100_years():
    capped = dates.payout_dates_every_n_years(
        effective=date(2024, 3, 15),
        every=10,
        from_policy_year=10,
        coverage_end_date=None,
        insured_birth=date(1985, 6, 15),
    )
    assert capped[-1] == date(2084, 3, 15)  # 2094 would be past age 105 (2090-06-15)
    unknown_age = dates.payout_dates_every_n_years(
        effective=date(2024, 3, 15), every=25, from_policy_year=25, coverage_end_date=None
    )
    assert unknown_age == [date(2049, 3, 15), date(2074, 3, 15), date(2099, 3, 15)]


def test_every_n_years_rejects_nonsense():
    with pytest.raises(ValueError):
        dates.payout_dates_every_n_years(
            effective=date(2024, 3, 15), every=0, from_policy_year=1, coverage_end_date=None
        )


def test_yearly_payouts_from_age_across_leap_years():
    when = dates.payout_dates_yearly_from_age(
        effective=date(2024, 2, 29),
        insured_birth=date(2000, 2, 29),
        age=30,
        coverage_end_date=date(2035, 2, 28),
    )
    assert when == [
        date(2030, 2, 28),
        date(2031, 2, 28),
        date(2032, 2, 29),
        date(2033, 2, 28),
        date(2034, 2, 28),
    ]


def test_yearly_payouts_from_age_whole_life_stop_at_max_age():
    when = dates.payout_dates_yearly_from_age(
        effective=date(2024, 3, 15),
        insured_birth=date(1985, 6, 15),
        age=100,
        coverage_end_date=None,
    )
    assert when == [date(y, 3, 15) for y in range(2086, 2091)]


def _unsaved_policy(**kwargs) -> Policy:
    defaults = {
        "effective_date": date(2024, 2, 29),
        "coverage_kind": "years",
        "coverage_value": 10,
        "insured_client": Client(birth_date=date(2000, 2, 29)),
    }
    return Policy(**(defaults | kwargs))


def test_payout_generators_return_unsaved_rows():
    policy = _unsaved_policy()
    rows = payouts.payouts_every_n_years(
        policy=policy, every=3, from_policy_year=3, amount=Decimal("1000")
    )
    assert [p.date for p in rows] == [date(2027, 2, 28), date(2030, 2, 28), date(2033, 2, 28)]
    assert all(p.pk is None and p.kind == Payout.Kind.SURVIVAL for p in rows)
    (maturity,) = payouts.payout_maturity(policy=policy, amount=Decimal("50000"))
    assert (maturity.date, maturity.kind) == (date(2034, 2, 28), Payout.Kind.MATURITY)


def test_yearly_payouts_use_a_family_members_birth_date():
    member = FamilyMember(birth_date=date(2016, 2, 29))
    policy = _unsaved_policy(
        insured_client=None, insured_member=member, coverage_kind="to_age", coverage_value=25
    )
    rows = payouts.payouts_yearly_from_age(policy=policy, age=18, amount=Decimal("20000"))
    # 18th birthday 2034-02-28, cover ends at the anniversary on/after 2041-02-28.
    assert [p.date for p in rows] == [
        date(y, 2, 29 if y % 4 == 0 else 28) for y in range(2034, 2041)
    ]
    assert {p.kind for p in rows} == {Payout.Kind.ANNUITY}


def test_generators_refuse_what_cannot_be_computed():
    with pytest.raises(ValidationError):
        payouts.payout_maturity(
            policy=_unsaved_policy(coverage_kind="whole_life", coverage_value=None), amount=1
        )
    with pytest.raises(ValidationError):
        payouts.payouts_yearly_from_age(
            policy=_unsaved_policy(insured_client=Client(birth_date=None)), age=60, amount=1
        )
