"""Amounts of money as an agent writes them: ¥2,000,000 in a table or a form, 200万 in a
summary; never "2000000.00 CNY".

`money_text` is the one place that formats money; templates reach it through the `money`
filter (`{% load display %}`).
"""

from decimal import Decimal, InvalidOperation

from django.utils.translation import get_language

SYMBOLS = {"CNY": "¥", "HKD": "HK$", "USD": "US$"}
# What follows the number in the 万 form: a renminbi sum is just 200万.
WAN_UNITS = {"CNY": "", "HKD": "港元", "USD": "美元"}
WAN = Decimal(10_000)
YI = Decimal(100_000_000)


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _plain(number: Decimal, places: int) -> str:
    """At most `places` decimals, trailing zeros dropped: 15, 123.45, 1.5."""
    text = f"{number.quantize(Decimal(1).scaleb(-places)):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def money_text(value, currency: str = "CNY", *, short: bool = False) -> str:
    """`value` in `currency` for people: "¥2,000,000", "¥1,234.50", "HK$500"; with `short`
    (summaries) a round large sum in Chinese is 200万, 15万, 123.45万, 1.5亿 (万港元 and
    万美元 for the other currencies). None or a blank is "" (so `|default:"—"` works);
    something that is not a number is shown as it is."""
    number = _decimal(value)
    if number is None:
        return "" if value is None or value == "" else str(value)
    currency = (currency or "CNY").upper()
    sign = "-" if number < 0 else ""
    number = abs(number)
    if short and _chinese() and number >= WAN:
        unit = WAN_UNITS.get(currency, currency)
        if number >= YI and number % (YI / 100) == 0:
            return f"{sign}{_plain(number / YI, 2)}亿{unit}"
        if number % 100 == 0:
            return f"{sign}{_plain(number / WAN, 2)}万{unit}"
    symbol = SYMBOLS.get(currency)
    places = 0 if number == number.to_integral_value() else 2
    digits = f"{number.quantize(Decimal(1).scaleb(-places)):,f}"
    if symbol is None:
        return f"{sign}{digits} {currency}"
    return f"{sign}{symbol}{digits}"
