"""Solar and lunar calendar rules shared by the archive (validation) and the touch engine.

Rules (each is tested):
- a 29 February date falls on 28 February in common years;
- a leap-month lunar date falls on the same day of the ordinary month in years without
  that leap month;
- lunar day 30 falls on day 29 when that month has only 29 days that year.
borax is always called with the leap flag passed explicitly.
"""

import calendar
from contextlib import suppress
from datetime import date

from borax.calendars.lunardate import InvalidLunarDateError, LCalendars, LunarDate, TextUtils

LUNAR_MIN_YEAR = 1900
LUNAR_MAX_YEAR = 2100


class InvalidLunar(ValueError):
    """A lunar month/day/leap combination that does not exist in the given year."""


def month_day_key(month: int, day: int) -> int:
    """The indexed `month*100+day` key used to match solar dates without a year."""
    return month * 100 + day


def solar_in_year(month: int, day: int, year: int) -> date:
    """The solar date (month, day) in `year`; 29 February becomes 28 February in common years."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def age_on(birth: date, on: date) -> int:
    """Whole years of age. Someone born on 29 February turns a year older on 28 February in
    common years: their birthday is kept that day throughout the CRM."""
    age = on.year - birth.year
    return age if on >= solar_in_year(birth.month, birth.day, on.year) else age - 1


def years_before(day: date, years: int) -> date:
    """The same month and day `years` earlier; 29 February becomes 28 in a common year."""
    return solar_in_year(day.month, day.day, day.year - years)


def lunar_leap_month(year: int) -> int:
    """The leap month of a lunar year, 0 when there is none."""
    return LCalendars.leap_month(year)


def lunar_month_days(year: int, month: int, leap: bool) -> int:
    return LCalendars.ndays(year, month, int(leap))


def lunar_validate(*, year: int, month: int, day: int, leap: bool) -> None:
    """Raise InvalidLunar with a reason a person can act on."""
    if not (LUNAR_MIN_YEAR <= year < LUNAR_MAX_YEAR):
        raise InvalidLunar("year")
    if not (1 <= month <= 12):
        raise InvalidLunar("month")
    if leap and lunar_leap_month(year) != month:
        raise InvalidLunar("leap")
    if not (1 <= day <= lunar_month_days(year, month, leap)):
        raise InvalidLunar("day")
    try:
        LunarDate(year, month, day, leap=int(leap))
    except InvalidLunarDateError as exc:  # belt and braces: borax has the last word
        raise InvalidLunar("day") from exc


def lunar_to_solar(*, year: int, month: int, day: int, leap: bool) -> date:
    lunar_validate(year=year, month=month, day=day, leap=leap)
    return LunarDate(year, month, day, leap=int(leap)).to_solar_date()


def solar_to_lunar(value: date) -> tuple[int, int, int, bool]:
    """(lunar year, month, day, leap) of a solar date."""
    ld = LunarDate.from_solar_date(value.year, value.month, value.day)
    return ld.year, ld.month, ld.day, bool(ld.leap)


def lunar_occurrence(*, lunar_year: int, month: int, day: int, leap: bool) -> date:
    """The solar date on which a yearly lunar date (month, day, leap) is kept in `lunar_year`.

    A leap-month date is kept in the ordinary month when that year has no such leap month;
    day 30 is kept on day 29 when the month is short that year.
    """
    use_leap = bool(leap) and lunar_leap_month(lunar_year) == month
    last_day = lunar_month_days(lunar_year, month, use_leap)
    return LunarDate(lunar_year, month, min(day, last_day), leap=int(use_leap)).to_solar_date()


def lunar_text(*, month: int, day: int, leap: bool, year: int | None = None) -> str:
    """A lunar date as Chinese writes it: 农历闰六月十五, 农历腊月三十, 1985年农历正月初一.

    The month and day are borax's own words (正月 … 冬月 腊月; 初一 … 廿九 三十): its `cn_md`
    when the date exists in `year`, else the same words from its TextUtils, since a yearly
    date (a birthday kept every year, 腊月三十) may not exist in any particular year.
    """
    md = None
    if year is not None:
        with suppress(InvalidLunar):
            lunar_validate(year=year, month=month, day=day, leap=leap)
            md = LunarDate(year, month, day, leap=int(leap)).cn_md
    if md is None:
        md = f"{'闰' if leap else ''}{TextUtils.month_cn(month)}月{TextUtils.day_cn(day)}"
    return f"{year}年农历{md}" if year is not None else f"农历{md}"


def solar_lunar_text(value: date, *, with_year: bool = False) -> str:
    """The lunar date of a solar day in Chinese: 2026-02-16 → 农历腊月廿九."""
    year, month, day, leap = solar_to_lunar(value)
    return lunar_text(month=month, day=day, leap=leap, year=year if with_year else None)


def solar_keys_on(day: date) -> list[int]:
    """The month*100+day keys of yearly solar dates kept on `day`: its own key and, on
    28 February of a common year, 29 February's as well."""
    keys = [month_day_key(day.month, day.day)]
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        keys.append(month_day_key(2, 29))
    return keys


def lunar_dates_on(day: date) -> list[tuple[int, int, bool]]:
    """Every yearly lunar date (month, day, leap) that `lunar_occurrence` keeps on `day`.

    Found by asking the rule itself for each date of that lunar month (at most 60), so the
    matcher can never disagree with it; the engine converts each day once, not each client.
    """
    lunar_year, month, _day, _leap = solar_to_lunar(day)
    return [
        (month, d, leap)
        for leap in (False, True)
        for d in range(1, 31)
        if lunar_occurrence(lunar_year=lunar_year, month=month, day=d, leap=leap) == day
    ]


# Why a yearly lunar date is kept on another day than its own (see `lunar_occurrence`).
MOVED_LEAP = "leap"  # a leap-month date in a year without that leap month
MOVED_DAY30 = "day30"  # day 30 in a month of 29 days that year
MOVED_BOTH = "leap+day30"


def lunar_moves_on(day: date) -> dict[tuple[int, int, bool], str]:
    """{(month, day, leap): rule} for the yearly lunar dates kept on `day` by a moving rule
    (MOVED_LEAP, MOVED_DAY30 or MOVED_BOTH); dates kept on their own day are left out."""
    lunar_year = solar_to_lunar(day)[0]
    moves = {}
    for month, lday, leap in lunar_dates_on(day):
        use_leap = bool(leap) and lunar_leap_month(lunar_year) == month
        short = lday > lunar_month_days(lunar_year, month, use_leap)
        if leap and not use_leap:
            moves[(month, lday, leap)] = MOVED_BOTH if short else MOVED_LEAP
        elif short:
            moves[(month, lday, leap)] = MOVED_DAY30
    return moves
