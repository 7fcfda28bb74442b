"""The calendar rules the archive and the touch engine share."""

import datetime

import pytest

from agentcrm.core.calendar import (
    InvalidLunar,
    lunar_leap_month,
    lunar_occurrence,
    lunar_to_solar,
    lunar_validate,
    month_day_key,
    solar_in_year,
    solar_to_lunar,
)


def test_29_february_falls_on_28_february_in_common_years():
    assert solar_in_year(2, 29, 2027) == datetime.date(2027, 2, 28)
    assert solar_in_year(2, 29, 2028) == datetime.date(2028, 2, 29)
    assert solar_in_year(2, 29, 2100) == datetime.date(2100, 2, 28)  # not a leap year


def test_month_day_key():
    assert month_day_key(12, 31) == 1231
    assert month_day_key(1, 1) == 101


def test_known_spring_festivals():
    # Independently known dates of 春节 (lunar 1/1).
    assert lunar_to_solar(year=2024, month=1, day=1, leap=False) == datetime.date(2024, 2, 10)
    assert lunar_to_solar(year=2025, month=1, day=1, leap=False) == datetime.date(2025, 1, 29)
    assert lunar_to_solar(year=2026, month=1, day=1, leap=False) == datetime.date(2026, 2, 17)


def test_leap_months():
    assert lunar_leap_month(2023) == 2
    assert lunar_leap_month(2025) == 6
    assert lunar_leap_month(2024) == 0


def test_leap_month_date_is_kept_in_ordinary_month_without_leap():
    # 2025 has a leap 6th month; 2026 does not.
    in_leap_year = lunar_occurrence(lunar_year=2025, month=6, day=10, leap=True)
    assert in_leap_year == lunar_to_solar(year=2025, month=6, day=10, leap=True)
    assert lunar_occurrence(lunar_year=2026, month=6, day=10, leap=True) == lunar_to_solar(
        year=2026, month=6, day=10, leap=False
    )


def test_day_30_falls_on_29_in_short_months():
    # Lunar 2024 month 1 has 29 days.
    assert lunar_occurrence(lunar_year=2024, month=1, day=30, leap=False) == lunar_to_solar(
        year=2024, month=1, day=29, leap=False
    )


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"year": 2024, "month": 1, "day": 30, "leap": False}, "day"),
        ({"year": 2024, "month": 3, "day": 1, "leap": True}, "leap"),
        ({"year": 2024, "month": 13, "day": 1, "leap": False}, "month"),
        ({"year": 1800, "month": 1, "day": 1, "leap": False}, "year"),
    ],
)
def test_invalid_lunar_dates_are_refused(kwargs, reason):
    with pytest.raises(InvalidLunar) as exc:
        lunar_validate(**kwargs)
    assert str(exc.value) == reason


def test_solar_to_lunar_round_trip():
    year, month, day, leap = solar_to_lunar(datetime.date(2023, 4, 10))
    assert (year, month, day, leap) == (2023, 2, 20, True)
    assert lunar_to_solar(year=year, month=month, day=day, leap=leap) == datetime.date(2023, 4, 10)
