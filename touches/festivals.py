"""The festivals an agent serves clients on, and their date in a given year.

Pure functions: no database, no clock. Three kinds of festival:
- solar: a fixed month/day (元旦 1/1, 妇女节 3/8, 劳动节 5/1, 儿童节 6/1, 建军节 8/1,
  教师节 9/10, 国庆节 10/1);
- floating: the nth weekday of a month (母亲节 second Sunday of May, 父亲节 third Sunday of June);
- lunar: a lunar month/day (春节 1/1, 元宵 1/15, 端午 5/5, 中秋 8/15, 重阳 9/9), never in a
  leap month. They all fall between late January and early November, so the lunar year that
  begins in solar year Y holds Y's lunar festivals;
- lunar year's end: 除夕, the last day of the lunar year (腊月廿九 or 三十, as the twelfth
  month has 29 or 30 days that year), the eve of 春节: in solar year Y it ends the lunar year
  that began in Y-1.

Dates are supported for 1950–2099 (borax's lunar table covers 1900–2100).
"""

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from agentcrm.core.calendar import lunar_leap_month, lunar_month_days, lunar_to_solar

MIN_YEAR = 1950
MAX_YEAR = 2099

SUNDAY = 6  # date.weekday() numbering, as in the calendar module

# borax keeps an older Hong Kong Observatory table. The new moon of 4 September 2089 comes
# about three minutes before midnight Beijing time, and the Observatory's current table,
# Calendrical Calculations, ICU and the astronomical libraries all start lunar month 8 of
# 2089 on 4 September; borax starts it on the 5th. Months listed here start one day before
# borax says. Of the other near-midnight new moons the Observatory flags, 2097-08-07 starts
# month 7 (no festival) and 2057-09-28 is seconds from midnight, where sources split and most
# agree with borax, so neither is listed.
_LUNAR_MONTHS_STARTING_A_DAY_EARLIER = frozenset({(2089, 8)})


class Kind(enum.StrEnum):
    SOLAR = "solar"
    FLOATING = "floating"
    LUNAR = "lunar"
    LUNAR_YEAR_END = "lunar_year_end"


@dataclass(frozen=True)
class Festival:
    key: str
    kind: Kind
    label: str  # a lazy translation
    month: int
    day: int | None = None  # solar and lunar festivals
    nth: int | None = None  # floating festivals: the nth ...
    weekday: int | None = None  # ... weekday of the month (Monday 0 ... Sunday 6)
    # How many days before the festival a gift must be on its way (the touch is due then).
    gift_lead_days: int = 0
    # The name of the audience rule that picks clients for this festival.
    audience: str = "all_active"
    # A wording of its own (lazy translations, {name} the 称呼): used before the festival
    # kind's general "happy {festival}" when the agent wrote none for this festival.
    greeting: Any = ""
    greeting_styles: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Catches a mistyped entry in FESTIVALS at import time.
        if self.kind is Kind.FLOATING:
            ok = self.day is None and self.nth is not None and self.weekday is not None
        elif self.kind is Kind.LUNAR_YEAR_END:
            ok = self.month == 12 and self.day is None and self.nth is None
            ok = ok and self.weekday is None
        else:
            ok = self.day is not None and self.nth is None and self.weekday is None
        if not ok:
            raise ValueError(f"{self.key}: a floating festival has nth and weekday, others a day")

    def date_in(self, year: int) -> date:
        check_year(year)
        if self.kind is Kind.SOLAR:
            return date(year, self.month, self.day)
        if self.kind is Kind.FLOATING:
            return nth_weekday(year=year, month=self.month, nth=self.nth, weekday=self.weekday)
        if self.kind is Kind.LUNAR_YEAR_END:
            return lunar_year_end(year)
        solar = lunar_to_solar(year=year, month=self.month, day=self.day, leap=False)
        if (year, self.month) in _LUNAR_MONTHS_STARTING_A_DAY_EARLIER:
            solar -= timedelta(days=1)
        return solar


# The fixed order: calendar order of the solar and floating festivals, then the lunar ones.
# Two festivals on one day (中秋 on 教师节 in 2022) are listed in this order.
# fmt: off
FESTIVALS: tuple[Festival, ...] = (
    # Greetings only: a card or message on the day, no gift to ship.
    Festival(key="new_year", kind=Kind.SOLAR, label=_("New Year's Day"), month=1, day=1,
             gift_lead_days=1, audience="all_active"),
    Festival(key="womens_day", kind=Kind.SOLAR, label=_("Women's Day"), month=3, day=8,
             gift_lead_days=1, audience="women"),
    # A greeting the day before the May holiday starts, while clients are still at work.
    Festival(key="labour_day", kind=Kind.SOLAR, label=_("Labour Day"), month=5, day=1,
             gift_lead_days=1, audience="all_active",
             greeting=_("{name}, happy Labour Day! You have worked hard: enjoy a good rest "
                        "over the holiday."),
             greeting_styles={
                 "warm": _("{name}, happy May Day! Have a relaxing holiday, and stay safe if "
                           "you travel."),
                 "elder": _("{name}, happy Labour Day! Please rest well over the holiday and "
                            "take good care of your health."),
             }),
    # Flowers or a small gift must reach the client before Sunday.
    Festival(key="mothers_day", kind=Kind.FLOATING, label=_("Mother's Day"), month=5,
             nth=2, weekday=SUNDAY, gift_lead_days=3, audience="mothers"),
    # A picture book or toy for the child; a few days to buy and deliver it.
    Festival(key="childrens_day", kind=Kind.SOLAR, label=_("Children's Day"), month=6, day=1,
             gift_lead_days=3, audience="parents_of_young_children"),
    Festival(key="fathers_day", kind=Kind.FLOATING, label=_("Father's Day"), month=6,
             nth=3, weekday=SUNDAY, gift_lead_days=3, audience="fathers"),
    # A greeting on the day, as for 元旦.
    Festival(key="army_day", kind=Kind.SOLAR, label=_("Army Day"), month=8, day=1,
             gift_lead_days=1, audience="military"),
    Festival(key="teachers_day", kind=Kind.SOLAR, label=_("Teachers' Day"), month=9, day=10,
             gift_lead_days=1, audience="teachers"),
    # A greeting before the Golden Week; the autumn gift goes with 中秋's mooncakes.
    Festival(key="national_day", kind=Kind.SOLAR, label=_("National Day"), month=10, day=1,
             gift_lead_days=1, audience="all_active",
             greeting=_("{name}, happy National Day! Wishing you and your family a pleasant "
                        "holiday."),
             greeting_styles={
                 "warm": _("{name}, happy National Day! Have a great holiday, and travel "
                           "safely."),
                 "elder": _("{name}, happy National Day! Wishing you good health and a happy "
                            "family."),
             }),
    # The eve of 春节, whose touch carried the gift: the greeting everyone sends that evening.
    Festival(key="new_years_eve", kind=Kind.LUNAR_YEAR_END, label=_("Lunar New Year's Eve"),
             month=12, gift_lead_days=0, audience="all_active",
             greeting=_("{name}, happy New Year's Eve! Wishing you and your family a happy "
                        "reunion and a good year ahead."),
             greeting_styles={
                 "warm": _("{name}, happy New Year's Eve! Enjoy the reunion dinner, and all "
                           "the best for the new year!"),
                 "elder": _("{name}, happy New Year's Eve! Wishing you good health, a long "
                            "life and a happy family in the new year."),
             }),
    # The big gift festival: couriers stop and clients travel home in the days before it.
    Festival(key="spring_festival", kind=Kind.LUNAR, label=_("Spring Festival"), month=1, day=1,
             gift_lead_days=7, audience="all_active"),
    # Two weeks after 春节, which already carried the gift: a greeting on the day.
    Festival(key="lantern", kind=Kind.LUNAR, label=_("Lantern Festival"), month=1, day=15,
             gift_lead_days=0, audience="all_active"),
    # Zongzi are perishable: ordered and delivered in the last few days.
    Festival(key="dragon_boat", kind=Kind.LUNAR, label=_("Dragon Boat Festival"), month=5,
             day=5, gift_lead_days=3, audience="all_active"),
    # Mooncakes are ordered and shipped a week ahead, like 春节 gifts.
    Festival(key="mid_autumn", kind=Kind.LUNAR, label=_("Mid-Autumn Festival"), month=8,
             day=15, gift_lead_days=7, audience="all_active"),
    # A visit or a small gift for the client's elders, arranged a few days ahead.
    Festival(key="double_ninth", kind=Kind.LUNAR, label=_("Double Ninth Festival"), month=9,
             day=9, gift_lead_days=3, audience="elders_or_parents_living"),
)
# fmt: on

FESTIVALS_BY_KEY: dict[str, Festival] = {festival.key: festival for festival in FESTIVALS}
_ORDER = {festival.key: index for index, festival in enumerate(FESTIVALS)}


def check_year(year: int) -> None:
    if not (MIN_YEAR <= year <= MAX_YEAR):
        raise ValueError(f"festival dates are supported for {MIN_YEAR}–{MAX_YEAR}, not {year}")


def lunar_year_end(year: int) -> date:
    """除夕 in solar year `year`: the last day of the twelfth month of the lunar year that
    began in `year - 1` (day 29 or 30). The month is the leap twelfth when that lunar year
    has one (none does from 1900 to 2100, but the leap flag is passed, not assumed)."""
    lunar_year = year - 1
    leap = lunar_leap_month(lunar_year) == 12
    last = lunar_month_days(lunar_year, 12, leap)
    return lunar_to_solar(year=lunar_year, month=12, day=last, leap=leap)


def nth_weekday(*, year: int, month: int, nth: int, weekday: int) -> date:
    """The nth `weekday` (Monday 0 ... Sunday 6) of a month, e.g. the second Sunday of May."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def festival_dates(year: int) -> list[tuple[date, Festival]]:
    """Every festival of `year`, sorted by date; festivals on one day keep FESTIVALS order."""
    check_year(year)
    dated = [(festival.date_in(year), festival) for festival in FESTIVALS]
    return sorted(dated, key=lambda pair: (pair[0], _ORDER[pair[1].key]))
