"""Masking of phone and ID numbers wherever they are shown beside an audit record or written
to a log: enough is left to recognise the number (138****5678), never enough to use it.

`mask_phone` and `mask_id` take one value (a string, a PhoneNumber or None) and keep its
length, so a masked value still lines up with the original in a table. `mask_text` finds
mainland mobile and ID-card numbers inside free text (log messages) and masks each one.
"""

import re

import phonenumbers

MASK = "*"

# A mainland mobile: 1[3-9] and nine more digits, optionally after +86 / 0086 / 86 and with
# the usual 3-4-4 spaces or hyphens. Digits on either side mean it is part of a longer
# number (an order id, a timestamp), which is left alone.
_MOBILE_RE = re.compile(
    r"(?<![\dA-Za-z])(?:(?:\+|00)?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![\dA-Za-z])"
)
# A second-generation ID card number: 6-digit region, a plausible birth date (1800–2099),
# a 3-digit sequence and a check character (a digit or X).
_ID_RE = re.compile(
    r"(?<![\dA-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{3}[\dXx](?![\dA-Za-z])"
)


def _keep_ends(text: str, *, head: int, tail: int) -> str:
    """Keep `head` leading and `tail` trailing characters, mask the rest (length kept).

    A value too short to keep both ends and still hide something keeps only its last two
    characters (or nothing, when it has two or fewer).
    """
    if len(text) <= head + tail:
        keep = 2 if len(text) > 2 else 0
        return MASK * (len(text) - keep) + (text[-keep:] if keep else "")
    return text[:head] + MASK * (len(text) - head - tail) + text[-tail:]


def mask_phone(value) -> str:
    """A phone number with its middle digits hidden: +8613812345678 → 138****5678.

    Mainland numbers are shown without +86; another country keeps its prefix
    (+85291234567 → +852 912*4567). Empty values stay empty.
    """
    if value is None:
        return ""
    if isinstance(value, phonenumbers.PhoneNumber):
        value = phonenumbers.format_number(value, phonenumbers.PhoneNumberFormat.E164)
    text = str(value).strip()
    if not text:
        return ""
    prefix = ""
    digits = re.sub(r"[\s\-()]", "", text)
    if digits.startswith("+"):
        try:
            parsed = phonenumbers.parse(digits, None)
        except phonenumbers.NumberParseException:
            digits = digits[1:]
        else:
            digits = str(parsed.national_number)
            if parsed.italian_leading_zero:
                digits = "0" * (parsed.number_of_leading_zeros or 1) + digits
            if parsed.country_code != 86:
                prefix = f"+{parsed.country_code} "
    return prefix + _keep_ends(digits, head=3, tail=4)


def mask_id(value) -> str:
    """An ID (card, passport) number with its middle hidden, length kept:
    110101199003074512 → 110***********4512."""
    if value is None:
        return ""
    text = str(value).strip()
    if not text:
        return ""
    return _keep_ends(text, head=3, tail=4)


def mask_text(text: str) -> str:
    """Every mainland mobile and ID-card number inside `text`, masked."""
    text = _ID_RE.sub(lambda m: mask_id(m.group(0)), text)
    return _MOBILE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
