"""The festival calendar and `manage.py festivals`, checked against dates found independently.

- a table of dates from published calendars (the lunar ones checked against borax, lunar_python,
  lunardate, zhdate and an astronomical computation of new moons with ephem while writing it);
- every lunar festival 1950–2099 against lunar_python (a dev dependency), which computes new
  moons and solar terms astronomically instead of reading a table as borax does;
- the floating festivals against a plain scan of the month's days with the calendar module.
"""

import calendar
import os
import subprocess
import sys
from dataclasses import FrozenInstanceError
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from borax.calendars.lunardate import LunarDate
from django.core.management import CommandError, call_command
from lunar_python import Lunar

from touches.festivals import (
    FESTIVALS,
    FESTIVALS_BY_KEY,
    MAX_YEAR,
    MIN_YEAR,
    Festival,
    Kind,
    festival_dates,
)

ROOT = Path(__file__).resolve().parent.parent


def festival_date(key: str, year: int) -> date:
    """The date of festival `key` in `year` as the touch engine reads it (Festival.date_in)."""
    return FESTIVALS_BY_KEY[key].date_in(year)


YEARS = range(MIN_YEAR, MAX_YEAR + 1)
KEYS = [
    "new_year", "womens_day", "labour_day", "mothers_day", "childrens_day", "fathers_day",
    "army_day", "teachers_day", "national_day", "new_years_eve", "spring_festival", "lantern",
    "dragon_boat", "mid_autumn", "double_ninth",
]  # fmt: skip

# From published calendars (Hong Kong Observatory tables, public-holiday notices).
KNOWN = [
    ("spring_festival", "1950-02-17"),
    ("spring_festival", "1966-01-21"),
    ("spring_festival", "1984-02-02"),
    ("spring_festival", "2000-02-05"),
    ("spring_festival", "2020-01-25"),
    ("spring_festival", "2023-01-22"),
    ("spring_festival", "2024-02-10"),
    ("spring_festival", "2025-01-29"),
    ("spring_festival", "2026-02-17"),
    ("spring_festival", "2033-01-31"),
    ("spring_festival", "2034-02-19"),  # after the leap 11th month of 2033
    ("spring_festival", "2057-02-04"),
    ("spring_festival", "2099-01-21"),
    ("lantern", "2025-02-12"),
    ("lantern", "2026-03-03"),
    ("dragon_boat", "2020-06-25"),  # after the leap 4th month of 2020
    ("dragon_boat", "2025-05-31"),
    ("dragon_boat", "2026-06-19"),
    ("mid_autumn", "1978-09-17"),  # lunardate's table has the 16th
    ("mid_autumn", "2022-09-10"),
    ("mid_autumn", "2023-09-29"),
    ("mid_autumn", "2024-09-17"),
    ("mid_autumn", "2025-10-06"),
    ("mid_autumn", "2026-09-25"),
    ("double_ninth", "2025-10-29"),
    ("mothers_day", "2025-05-11"),
    ("fathers_day", "2025-06-15"),
    ("mothers_day", "2026-05-10"),
    ("fathers_day", "2026-06-21"),
    ("new_year", "2026-01-01"),
    ("womens_day", "2026-03-08"),
    ("childrens_day", "2026-06-01"),
    ("army_day", "2026-08-01"),
    ("teachers_day", "2026-09-10"),
    ("labour_day", "2026-05-01"),
    ("national_day", "2026-10-01"),
    ("labour_day", "2027-05-01"),
    ("national_day", "2027-10-01"),
    # 除夕: 腊月廿九 in these years (the twelfth month has 29 days) …
    ("new_years_eve", "2026-02-16"),
    ("new_years_eve", "2027-02-05"),
    ("new_years_eve", "2025-01-28"),
    # … 腊月三十 in these (30 days).
    ("new_years_eve", "2024-02-09"),
    ("new_years_eve", "2034-02-18"),
]

EXPECTED_2026 = """\
2026-01-01\tnew_year
2026-02-16\tnew_years_eve
2026-02-17\tspring_festival
2026-03-03\tlantern
2026-03-08\twomens_day
2026-05-01\tlabour_day
2026-05-10\tmothers_day
2026-06-01\tchildrens_day
2026-06-19\tdragon_boat
2026-06-21\tfathers_day
2026-08-01\tarmy_day
2026-09-10\tteachers_day
2026-09-25\tmid_autumn
2026-10-01\tnational_day
2026-10-18\tdouble_ninth
"""


@pytest.mark.parametrize(("key", "expected"), KNOWN)
def test_known_dates_from_published_calendars(key, expected):
    expected = date.fromisoformat(expected)
    assert festival_date(key, expected.year) == expected


def test_the_near_midnight_new_moons():
    # The new moon of 2089-09-04 is about three minutes before midnight Beijing time: the
    # Hong Kong Observatory's current table, ICU, lunar_python and ephem start month 8 that day,
    # borax's table a day later. The one of 2057-09-28 is seconds from midnight and sources
    # split; we keep borax's month 9 from 29 September, as lunar_python and ICU do.
    assert festival_date("mid_autumn", 2089) == date(2089, 9, 18)
    assert festival_date("double_ninth", 2089) == date(2089, 10, 12)
    assert festival_date("double_ninth", 2057) == date(2057, 10, 7)


def test_every_lunar_festival_agrees_with_lunar_python():
    lunar = {f.key: (f.month, f.day) for f in FESTIVALS if f.kind is Kind.LUNAR}
    assert set(lunar) == {"spring_festival", "lantern", "dragon_boat", "mid_autumn", "double_ninth"}
    mismatches = []
    for year in YEARS:
        for key, (month, day) in lunar.items():
            # A positive month is the ordinary month in lunar_python; leap months are negative.
            theirs = date.fromisoformat(Lunar.fromYmd(year, month, day).getSolar().toYmd())
            if festival_date(key, year) != theirs:
                mismatches.append((key, year, festival_date(key, year), theirs))
    assert mismatches == []


def nth_sunday_by_scan(year: int, month: int, nth: int) -> date:
    days = calendar.Calendar().itermonthdates(year, month)
    sundays = [d for d in days if d.month == month and d.weekday() == calendar.SUNDAY]
    return sundays[nth - 1]


def test_floating_and_solar_festivals_every_year():
    for year in YEARS:
        assert festival_date("mothers_day", year) == nth_sunday_by_scan(year, 5, 2)
        assert festival_date("fathers_day", year) == nth_sunday_by_scan(year, 6, 3)
        assert festival_date("new_year", year) == date(year, 1, 1)
        assert festival_date("womens_day", year) == date(year, 3, 8)
        assert festival_date("childrens_day", year) == date(year, 6, 1)
        assert festival_date("army_day", year) == date(year, 8, 1)
        assert festival_date("teachers_day", year) == date(year, 9, 10)
        assert festival_date("labour_day", year) == date(year, 5, 1)
        assert festival_date("national_day", year) == date(year, 10, 1)


def test_new_years_eve_is_the_last_day_of_the_lunar_year_every_year():
    days = {29: 0, 30: 0}
    for year in YEARS:
        eve = festival_date("new_years_eve", year)
        assert eve == festival_date("spring_festival", year) - timedelta(days=1)
        lunar = LunarDate.from_solar_date(eve.year, eve.month, eve.day)
        assert (lunar.month, lunar.leap) == (12, 0)
        assert lunar.day in (29, 30)
        # The next day is the first of the first month: the day is the month's last.
        nxt = LunarDate.from_solar_date(*(eve + timedelta(days=1)).timetuple()[:3])
        assert (nxt.month, nxt.day, nxt.leap) == (1, 1, 0)
        days[lunar.day] += 1
    assert days[29] and days[30]  # both lengths of 腊月 occur


def test_new_years_eve_2026_and_2027_against_lunar_python():
    for year, expected in ((2026, date(2026, 2, 16)), (2027, date(2027, 2, 5))):
        assert festival_date("new_years_eve", year) == expected
        # lunar_python: the day before 正月初一 is the last of 腊月.
        lunar = Lunar.fromYmd(year, 1, 1).next(-1)
        assert date.fromisoformat(lunar.getSolar().toYmd()) == expected
        assert lunar.getMonth() == 12 and lunar.getDay() == 29


def test_every_year_has_each_festival_once_sorted_by_date():
    for year in YEARS:
        dated = festival_dates(year)
        assert sorted(f.key for _, f in dated) == sorted(KEYS)
        assert all(day.year == year for day, _ in dated)
        assert [day for day, _ in dated] == sorted(day for day, _ in dated)


def test_festivals_on_one_day_keep_the_fixed_order():
    assert [f.key for f in FESTIVALS] == KEYS
    on_the_day = [f.key for day, f in festival_dates(2022) if day == date(2022, 9, 10)]
    assert on_the_day == ["teachers_day", "mid_autumn"]
    on_the_day = [f.key for day, f in festival_dates(2033) if day == date(2033, 6, 1)]
    assert on_the_day == ["childrens_day", "dragon_boat"]


def test_unsupported_years_and_unknown_keys_are_refused():
    for year in (MIN_YEAR - 1, MAX_YEAR + 1):
        with pytest.raises(ValueError, match="1950–2099"):
            festival_dates(year)
        with pytest.raises(ValueError):
            festival_date("new_year", year)
    with pytest.raises(KeyError):
        festival_date("no_such_festival", 2026)


def test_festival_definitions():
    with pytest.raises(ValueError):
        Festival(key="x", kind=Kind.FLOATING, label="x", month=5, day=10)
    with pytest.raises(ValueError):
        Festival(key="x", kind=Kind.SOLAR, label="x", month=5, nth=2, weekday=6)
    with pytest.raises(ValueError):
        Festival(key="x", kind=Kind.LUNAR_YEAR_END, label="x", month=12, day=30)
    with pytest.raises(FrozenInstanceError):
        FESTIVALS[0].month = 2
    leads = {f.key: f.gift_lead_days for f in FESTIVALS}
    assert leads["spring_festival"] == leads["mid_autumn"] == 7
    assert leads["mothers_day"] == 3
    assert all(0 <= lead <= 7 for lead in leads.values())
    assert all(str(f.label) for f in FESTIVALS)


def test_command_prints_one_tab_separated_line_per_festival():
    out, err = StringIO(), StringIO()
    call_command("festivals", "2026", stdout=out, stderr=err)
    assert out.getvalue() == EXPECTED_2026
    assert err.getvalue() == ""


@pytest.mark.parametrize("year", ["1949", "2100", "abc", "+2026", "2_026", "", "２０２６"])
def test_command_refuses_a_bad_year(year):
    out = StringIO()
    with pytest.raises(CommandError, match="1950 to 2099"):
        call_command("festivals", year, stdout=out)
    assert out.getvalue() == ""


def run_manage(*args):
    # As a person runs it: the default (local) settings, not the test settings.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_command_in_a_fresh_process():
    result = run_manage("festivals", "2026")
    assert result.returncode == 0, result.stderr
    assert result.stdout == EXPECTED_2026

    result = run_manage("festivals", "1949")
    assert result.returncode != 0
    assert result.stdout == ""
    assert "1950 to 2099" in result.stderr
