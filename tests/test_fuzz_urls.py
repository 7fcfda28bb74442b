"""Fuzzing every URL of the project (from the resolver, as the access matrix walks it): every
GET parameter a view reads and every field of the forms its page shows, sent with hostile
values by GET and by POST, as the persona who may open the page. Whatever is sent: never a
server error.

The parameters: those the views read by name (`request.GET.get("…")`, found in the source),
the fields of every form on the page (its `name="…"` attributes) and the filters and periods
the list and statistics pages read. The values: tests/fuzz_inputs.value() plus id and date
edge cases (digits that are not ASCII, NUL, ids past the database's bigint, years 1 and 9999).

How many examples: AGENTCRM_FUZZ_EXAMPLES in total, spread evenly over the URLs. The default
is a small CI run (2 per URL); the nightly-style run is

    AGENTCRM_FUZZ_EXAMPLES=10000 pytest -n 0 tests/test_fuzz_urls.py

Each example runs in a savepoint that is rolled back (sign-in included), so each starts from
the same data and a POST that succeeds changes nothing for the next one."""

import math
import os
import re
from pathlib import Path

import pytest
from django.test import Client as HttpClient
from hypothesis import event, given, settings
from hypothesis import strategies as st

from .fuzz_inputs import BAD_DATES, assert_not_server_error, rolled_back, value
from .test_access_matrix import MANAGER, MATRIX, PUBLIC, TEAM_AGENT, url_of, world  # noqa: F401

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
# Every app of ours (the domain apps of pyproject.toml's layers and the base ones).
APPS = [
    "agentcrm", "clients", "policies", "servicing", "spreadsheets", "referrals", "touches",
    "handouts", "events", "gifts", "introductions", "campaigns", "discipline", "handover",
    "privacy", "demo",
]  # fmt: skip


def _read_by_name() -> set[str]:
    """Query parameters the views read by name."""
    pattern = re.compile(r"request\.(?:GET|POST)(?:\.get\(|\[)\s*\"([\w-]+)\"")
    names: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            names |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return names


# The filters of the list pages and the periods of the statistics pages (forms bound to
# request.GET), on top of what the source and the pages name.
KNOWN = {
    "q", "segment", "source", "tier", "stage", "birthday_month", "tag", "archived", "sort",
    "status", "policy_type", "insurer", "anniversary_month", "lapse_risk", "state", "kind",
    "group", "referrer", "period", "given_from", "given_to", "owed", "client", "page",
    "start", "end", "preset", "team", "holder", "policy", "context", "category", "next",
    "item", "done", "action", "from_agent", "to_agents", "reason", "code", "language",
    "username", "password",
}  # fmt: skip
PARAMETERS = sorted(_read_by_name() | KNOWN)

EDGE_VALUES = (
    "²", "٣", "１", "١٢٣", "\x00", "a\x00b", "9" * 19, "9" * 40, str(2**63), "-" + "9" * 19,
    "0001-01-01", "9999-12-31", "0001-01-01T00:00", "9999-12-31T23:59", "0000-01-01",
    "12019-01-01", "2024-02-29", "1900-01-01", "2100-12-31",
)  # fmt: skip


def hostile() -> st.SearchStrategy[str]:
    return st.one_of(value(), st.sampled_from(EDGE_VALUES), st.sampled_from(BAD_DATES))


def _form_fields(html: str) -> set[str]:
    return set(re.findall(r'name="([\w-]+)"', html)) - {"csrfmiddlewaretoken"}


def _names() -> list[str]:
    return sorted(MATRIX)


def _examples_per_url() -> int:
    total = int(os.environ.get("AGENTCRM_FUZZ_EXAMPLES", "0") or 0)
    if total <= 0:
        return 2
    return max(1, math.ceil(total / len(MATRIX)))


def _persona(request, name: str):
    kind = MATRIX[name].kind
    if kind == PUBLIC:
        return None
    if kind in (MANAGER, TEAM_AGENT):
        return request.getfixturevalue("manager")
    return request.getfixturevalue("owner")


@pytest.mark.parametrize("name", _names())
def test_fuzz_every_url(request, world, name):  # noqa: F811 - the access matrix's fixture
    user = _persona(request, name)
    url = url_of(name, world)
    http = HttpClient()
    if user is not None:
        http.force_login(user)
    page = http.get(url)
    html = page.status_code == 200 and page.get("Content-Type", "").startswith("text/html")
    fields = _form_fields(page.content.decode()) if html and not page.streaming else set()
    names = sorted(set(PARAMETERS) | fields)

    @settings(max_examples=_examples_per_url())
    @given(
        query=st.dictionaries(st.sampled_from(names), hostile(), max_size=6),
        form=st.dictionaries(st.sampled_from(names), hostile(), max_size=8),
        htmx=st.booleans(),
    )
    def run(query, form, htmx):
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        with rolled_back():
            client = HttpClient()
            if user is not None:
                client.force_login(user)
            got = client.get(url, query, **headers)
            assert_not_server_error(got)
            posted = client.post(url, form, **headers)
            assert_not_server_error(posted)
            event(f"GET {got.status_code} POST {posted.status_code}")

    run()
