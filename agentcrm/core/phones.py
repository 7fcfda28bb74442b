"""Phone numbers as a page shows them, formatted once per process per number.

A model's PhoneNumberField parses its stored E.164 string on every load, and a template's
`{{ client.mobile }}` validates it again against the metadata (str() checks is_valid)
before `.as_national` formats it: on a list of 25 clients that was a sixth of the page.
A list can load the stored string alone (`Cast("mobile", CharField())`) and ask here for
the two texts it shows; the answer is exactly what the PhoneNumber would have given.
"""

from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from phonenumber_field.phonenumber import to_python


class PhoneTexts(NamedTuple):
    national: str  # "139 1234 5678", as PhoneNumber.as_national
    tel: str  # the E.164 string for a tel:/sms: link, as str(PhoneNumber)
    e164: str  # as PhoneNumber.as_e164


@lru_cache(maxsize=65_536)
def phone_texts(stored: str) -> PhoneTexts:
    """The texts of a stored phone number (the column's string; "" for none)."""
    if not stored:
        return PhoneTexts("", "", "")
    number = to_python(stored, region=getattr(settings, "PHONENUMBER_DEFAULT_REGION", None))
    return PhoneTexts(number.as_national, str(number), number.as_e164)
