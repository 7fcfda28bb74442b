"""The client archive's own validation rules, in one place.

The client and family forms, the client services and the spreadsheet import all check a
record with these functions, so a rule (and its message) exists once. Each takes the
values to be stored (a form's cleaned data, a service's arguments, an import row) and
returns the problems found, as (field, message) pairs in the order found, and the values
the rule fills in itself.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agentcrm.core.calendar import InvalidLunar, lunar_validate, solar_to_lunar

from .id_numbers import IdNumberError, id_number_disagreements, id_number_parse
from .models import Calendar

Problems = list[tuple[str, str]]

# The fields of a client or family member the birthday rule reads.
BIRTHDAY_FIELDS = [
    "birth_date",
    "birth_month",
    "birth_day",
    "birthday_calendar",
    "lunar_birth_year",
    "lunar_birth_month",
    "lunar_birth_day",
    "lunar_birth_leap",
]

LUNAR_ERRORS = {
    "year": _("The lunar year must be between 1900 and 2099."),
    "month": _("A lunar month is between 1 and 12."),
    "leap": _("That lunar year has no leap month %(month)s."),
    "day": _("Lunar month %(month)s of %(year)s has no day %(day)s."),
}


def lunar_error(reason: str, *, year, month, day) -> str:
    return LUNAR_ERRORS[reason] % {"year": year, "month": month, "day": day}


def _problems_on(problems: Problems, field: str) -> bool:
    return any(name == field for name, _message in problems)


def birthday_problems(
    values: Mapping[str, Any], *, today: date | None = None
) -> tuple[Problems, dict[str, Any]]:
    """Clients and family members: no birth date in the future, and a lunar birthday that
    exists in its year (day 30 in a short month, a leap month the year lacks).

    Fills in the lunar birthday from the solar birth date for someone who celebrates the
    lunar one but gave only the solar date, and the lunar birth year from the solar date.
    """
    problems: Problems = []
    filled: dict[str, Any] = {}
    birth_date: date | None = values.get("birth_date")
    if birth_date and birth_date > (today or timezone.localdate()):
        problems.append(("birth_date", _("A birth date cannot be in the future.")))
        birth_date = None
    problems += _month_day_problems(values)
    month = values.get("lunar_birth_month")
    day = values.get("lunar_birth_day")
    leap = bool(values.get("lunar_birth_leap"))
    year = values.get("lunar_birth_year")
    celebrates = values.get("birthday_calendar")
    if (month is None) != (day is None):
        problems.append(
            (
                "lunar_birth_day" if day is None else "lunar_birth_month",
                _("Enter both the lunar month and day, or neither."),
            )
        )
        return problems, filled
    if month is None:
        if leap:
            problems.append(("lunar_birth_leap", _("A leap month needs a lunar month and day.")))
        if celebrates == Calendar.LUNAR:
            if birth_date:  # derive the lunar birthday from the solar birth date
                y, m, d, lp = solar_to_lunar(birth_date)
                filled.update(
                    lunar_birth_year=y,
                    lunar_birth_month=m,
                    lunar_birth_day=d,
                    lunar_birth_leap=lp,
                )
            else:
                problems.append(
                    (
                        "lunar_birth_month",
                        _(
                            "This person celebrates the lunar birthday: "
                            "enter it, or the solar birth date."
                        ),
                    )
                )
        return problems, filled
    if year is None and birth_date:
        year = solar_to_lunar(birth_date)[0]
    if year is None:
        if leap or day == 30:
            problems.append(
                (
                    "lunar_birth_year",
                    _("Enter the lunar birth year so a leap month or day 30 can be checked."),
                )
            )
        elif not 1 <= month <= 12:
            problems.append(
                ("lunar_birth_month", lunar_error("month", year="", month=month, day=day))
            )
        return problems, filled
    try:
        lunar_validate(year=year, month=month, day=day, leap=leap)
    except InvalidLunar as exc:
        field = {
            "year": "lunar_birth_year",
            "month": "lunar_birth_month",
            "leap": "lunar_birth_leap",
        }
        problems.append(
            (
                field.get(str(exc), "lunar_birth_day"),
                lunar_error(str(exc), year=year, month=month, day=day),
            )
        )
    if year:  # the year found from the solar date is stored with the lunar birthday
        filled["lunar_birth_year"] = year
    return problems, filled


def _month_day_problems(values: Mapping[str, Any]) -> Problems:
    """A solar birthday known without the year: month and day both, a real date (29
    February allowed). With a full birth date, its month and day are the ones kept."""
    birth_date = values.get("birth_date")
    if birth_date:  # its month and day are stored with it (Birthday.save)
        return []
    month, day = values.get("birth_month"), values.get("birth_day")
    if month is None and day is None:
        return []
    if month is None or day is None:
        field = "birth_day" if day is None else "birth_month"
        return [(field, _("Enter both the month and day of the birthday, or neither."))]
    try:
        date(2000, month, day)  # a leap year: 29 February is a birthday
    except (ValueError, OverflowError):
        return [("birth_day", _("%(month)s/%(day)s is not a date.") % {"month": month, "day": day})]
    return []


def client_problems(
    values: Mapping[str, Any], *, today: date | None = None
) -> tuple[Problems, dict[str, Any]]:
    """A client: the ID number (checked; it gives a missing birth date and gender and must
    agree with given ones), the birthday rules, a reason for do-not-contact, no wedding
    before birth."""
    id_problems, id_filled = id_number_problems(values)
    problems, filled = birthday_problems({**values, **id_filled}, today=today)
    problems[:0] = id_problems
    filled = {**id_filled, **filled}
    if values.get("do_not_contact") and not values.get("do_not_contact_reason"):
        problems.append(("do_not_contact_reason", _("Say why this client must not be contacted.")))
    wedding = values.get("wedding_date")
    # A birth date refused above (in the future) is no date to compare with.
    birth = None if _problems_on(problems, "birth_date") else values.get("birth_date")
    if wedding and birth and wedding < birth:
        problems.append(("wedding_date", _("The wedding date is before the birth date.")))
    return problems, filled


def id_number_problems(values: Mapping[str, Any]) -> tuple[Problems, dict[str, Any]]:
    """A client's ID number (`clients.id_numbers`): refused when it is not one; stored
    normalised; the birth date and gender it carries fill in the missing ones; a given
    birth date or gender it contradicts is a problem on that field."""
    raw = values.get("id_number")
    if not raw:
        return [], {}
    try:
        parsed = id_number_parse(raw)
    except IdNumberError as exc:
        return [("id_number", str(exc))], {}
    filled: dict[str, Any] = {"id_number": parsed.number}
    birth = values.get("birth_date")
    gender = values.get("gender")
    if not birth:
        filled["birth_date"] = parsed.birth_date
    if gender not in ("male", "female"):
        filled["gender"] = parsed.gender
    return id_number_disagreements(parsed, birth_date=birth, gender=gender), filled


def custom_date_problems(values: Mapping[str, Any]) -> tuple[Problems, dict[str, Any]]:
    """A yearly date: a real solar date (29 February allowed), or a lunar date that exists in
    its year; a leap month needs the year to be checked."""
    cal, year = values.get("calendar"), values.get("year")
    month, day, leap = values.get("month"), values.get("day"), bool(values.get("leap"))
    problems: Problems = []
    if month is None or day is None:
        return problems, {}
    if cal == Calendar.SOLAR:
        if leap:
            problems.append(("leap", _("Only lunar dates have leap months.")))
        try:
            date(year or 2000, month, day)  # 2000 is a leap year: 29 February is allowed
        except (ValueError, OverflowError):  # OverflowError: a day of 2200000000
            problems.append(
                ("day", _("%(month)s/%(day)s is not a date.") % {"month": month, "day": day})
            )
    elif year is not None:
        try:
            lunar_validate(year=year, month=month, day=day, leap=leap)
        except InvalidLunar as exc:
            problems.append(("day", lunar_error(str(exc), year=year, month=month, day=day)))
    elif not (1 <= month <= 12 and 1 <= day <= 30):
        problems.append(("day", _("A lunar date is month 1–12, day 1–30.")))
    elif leap:
        problems.append(("year", _("Enter the year so the leap month can be checked.")))
    return problems, {}


# --- Merging two records of one person (services.client_merge, selectors.merge_field_rows) ---

# The kept client's fields the agent picks from one record or the other, in groups that
# must move together (a birthday is its solar, lunar and calendar fields at once).
MERGE_GROUPS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "gender": ("gender",),
    "salutation": ("salutation",),
    "greeting_style": ("greeting_style",),
    "birthday": tuple(BIRTHDAY_FIELDS),
    "mobile": ("mobile",),
    "phone_other": ("phone_other",),
    "wechat_id": ("wechat_id",),
    "email": ("email",),
    "address": ("address",),
    "occupation": ("occupation",),
    "employer": ("employer",),
    "industry": ("industry",),
    "wedding": ("marital_status", "wedding_date"),
    "income_band": ("income_band",),
    "interests": ("interests",),
    "vip_tier": ("vip_tier",),
    "is_influence_centre": ("is_influence_centre",),
    "source": ("source",),
    "stage": ("stage",),
    "do_not_contact": ("do_not_contact", "do_not_contact_reason"),
    "notes": ("notes",),
}
KEPT, OTHER = "kept", "other"
