"""Hostile input for the fuzz tests (tests/test_fuzz_*.py) and the checks every answer must
pass: no server error, and no markup from the input coming back unescaped."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import transaction
from hypothesis import strategies as st

# Markup that would run if it reached a page as is.
HTML_PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "<svg/onload=alert(3)>",
)
PAYLOADS = (
    *HTML_PAYLOADS,
    "'; DROP TABLE clients_client; --",
    "' OR '1'='1' --",
    '1" OR "1"="1',
    "{{ request.user.password }}{% debug %}",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "javascript:alert(4)",
    "\u202e\u200b\ufeff",
    "\x00",
    "NULL",
)
BAD_DATES = (
    "2024-02-30",
    "2023-13-01",
    "2023-00-10",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-1-01-01",
    "31/12/2020",
    "2020/1/1",
    "2020年1月1日",
    "１９８０-０１-０１",
    "2020-01-01T25:00",
    "yesterday",
    "1e9",
    " ",
)
BAD_NUMBERS = (
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "-0",
    "٣٤",
    "１２",
    "1,000",
    "1_000",
    "99999999999999999999999999",
    "0x10",
    " 12 ",
    "-1",
    "0",
    "0.000000001",
    "1e-400",
    "—",
    "12元",
)


def text() -> st.SearchStrategy[str]:
    """Random unicode (control characters included), very long strings and payloads,
    alone or wrapped in random text."""
    return st.one_of(
        st.text(max_size=40),
        st.text(min_size=200, max_size=600),
        st.sampled_from(["x" * 5000, "名" * 2000, "😀" * 300, "\r\n" * 50]),
        st.sampled_from(PAYLOADS),
        st.builds(
            lambda before, payload, after: before + payload + after,
            st.text(max_size=8),
            st.sampled_from(PAYLOADS),
            st.text(max_size=8),
        ),
    )


def value() -> st.SearchStrategy[str]:
    """Anything a form field might be sent: text, a malformed date or number, an integer."""
    return st.one_of(
        text(),
        st.sampled_from(BAD_DATES),
        st.sampled_from(BAD_NUMBERS),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.dates().map(str),
    )


def overrides(fields: Iterable[str], *, max_size: int = 6) -> st.SearchStrategy[dict]:
    """Some of `fields` replaced by hostile values."""
    return st.dictionaries(st.sampled_from(sorted(fields)), value(), max_size=max_size)


def assert_escaped(body: str, sent: Iterable[str]) -> None:
    """Markup that was sent never comes back as markup."""
    for item in sent:
        for payload in HTML_PAYLOADS:
            if payload in str(item):
                assert payload not in body, f"{payload!r} is in the page unescaped"


def assert_not_server_error(response) -> None:
    assert response.status_code < 500, response.status_code


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example in a savepoint and undo it, so each starts from the same data."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
