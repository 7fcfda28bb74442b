"""Chinese resident ID numbers (居民身份证号, GB 11643-1999): check, read, mask.

An 18-character number: 6 digits of the issuing area, the birth date as YYYYMMDD, a
3-digit sequence whose last digit is odd for a man and even for a woman, and a check
character (0-9 or X) computed from the first 17 (ISO 7064 MOD 11-2). The import, the client
form and duplicate detection all use these functions, so a number is read one way.

The full number is stored on the client (to find the same person twice and for claims
paperwork) and never shown: every page, preview and log shows it through
`agentcrm.core.masking.mask_id`, the one masker of ID numbers.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")
# Full-width digits and X, spaces and the dashes agents type between the groups.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)} | {0xFF38: "X", 0xFF58: "X"}
_SEPARATORS = re.compile(r"[\s\-－—–‐]")


class IdNumberError(ValueError):
    """Not a valid ID number; the message says what to write instead."""


@dataclass(frozen=True)
class IdNumber:
    number: str  # 18 characters, upper-case X
    birth_date: date
    gender: str  # "male" or "female" (clients.models.Gender values)


def id_number_normalise(text: str | None) -> str:
    """The number as stored and digested: half-width, no spaces or dashes, upper-case X."""
    return _SEPARATORS.sub("", str(text or "").translate(_FOLD)).upper()


def id_number_check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def id_number_parse(text: str) -> IdNumber:
    """The checked number with the birth date and gender it carries, or IdNumberError."""
    number = id_number_normalise(text)
    if not _SHAPE.match(number):
        raise IdNumberError(
            _(
                "An ID number has 18 characters: 17 digits and a last digit or X. "
                "Check the number on the ID card."
            )
        )
    if id_number_check_char(number[:17]) != number[17]:
        raise IdNumberError(
            _(
                "This ID number is not valid (its last character does not match): a digit "
                "was probably mistyped. Check it against the ID card."
            )
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900 or born > date.today():
        raise IdNumberError(
            _("The birth date in this ID number is not a real date: check the number.")
        )
    gender = "male" if int(number[16]) % 2 else "female"
    return IdNumber(number=number, birth_date=born, gender=gender)


def id_number_disagreements(
    parsed: IdNumber, *, birth_date: date | None, gender: str | None
) -> list[tuple[str, str]]:
    """(field, message) for a given birth date or gender the number contradicts; a missing
    one is no disagreement (the number fills it in)."""
    found = []
    if birth_date and birth_date != parsed.birth_date:
        found.append(
            (
                "birth_date",
                _(
                    "The ID number gives the birth date %(id_date)s, not %(date)s: correct "
                    "one of the two."
                )
                % {"id_date": parsed.birth_date.isoformat(), "date": birth_date.isoformat()},
            )
        )
    if gender in ("male", "female") and gender != parsed.gender:
        if parsed.gender == "male":
            message = _("The ID number is a man's: correct the gender or the number.")
        else:
            message = _("The ID number is a woman's: correct the gender or the number.")
        found.append(("gender", message))
    return found
