"""How dates and amounts read on every page: `{% load display %}`.

- `money`: `{{ policy.premium|money:policy.currency }}` → ¥12,000 (tables and forms);
  `{{ policy.sum_assured|money:"万" }}` or `|money:"HKD 万"` → 200万 (summaries).
- `lunar`: a lunar date in Chinese (农历闰六月十五), from a solar date, a client or family
  member (their lunar birthday) or a yearly date the client keeps: `{{ client|lunar }}`.
"""

from datetime import date

from django import template
from django.utils.translation import get_language, gettext

from agentcrm.core.calendar import lunar_text, solar_to_lunar
from agentcrm.core.money import money_text

register = template.Library()


@register.filter
def money(value, spec: str = "") -> str:
    """`spec`: a currency code (CNY when left out) and/or 万 for the summary form."""
    words = str(spec or "").replace(",", " ").split()
    short = "万" in words
    currency = next((w for w in words if w != "万"), "CNY")
    return money_text(value, currency, short=short)


def _lunar_parts(value) -> tuple[int | None, int, int, bool] | None:
    """(year or None, month, day, leap) of what `value` stands for, or None."""
    if isinstance(value, date):
        return solar_to_lunar(value)
    if getattr(value, "lunar_birth_month", None) and getattr(value, "lunar_birth_day", None):
        return (
            value.lunar_birth_year,
            value.lunar_birth_month,
            value.lunar_birth_day,
            bool(value.lunar_birth_leap),
        )
    if getattr(value, "calendar", None) == "lunar" and getattr(value, "month", None):
        return value.year, value.month, value.day, bool(value.leap)
    return None


@register.filter
def lunar(value, show: str = "") -> str:
    """The lunar date of `value` in Chinese; in English "Lunar month 6, day 15". The year is
    shown for a birthday or a yearly date that has one (`|lunar:"md"` leaves it out) and
    for a solar date when asked (`|lunar:"year"`). Anything else is ""."""
    parts = _lunar_parts(value)
    if parts is None:
        return ""
    year, month, day, leap = parts
    if show == "md" or (isinstance(value, date) and show != "year"):
        year = None
    if (get_language() or "").lower().startswith("zh"):
        return lunar_text(month=month, day=day, leap=leap, year=year)
    values = {"month": month, "day": day}
    text = (
        gettext("Lunar leap month %(month)s, day %(day)s") % values
        if leap
        else gettext("Lunar month %(month)s, day %(day)s") % values
    )
    return f"{text} ({year})" if year else text
