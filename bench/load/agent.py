"""What a simulated agent asks for and how it reads the pages: shared by the locustfile and
tests/test_bench_load.py. Plain Python (no locust import: locust patches the standard
library with gevent when imported, which the test process must not have)."""

import re

LOGIN_URL = "/accounts/login/"
DASHBOARD_URL = "/"
CLIENT_LIST_URL = "/clients/"
PING_URL = "/bench/ping-db"
LOGOUT_URL = "/accounts/logout/"
PASSWORD = "load-bench-password"
# One in this many rounds also opens the client list.
CLIENT_LIST_EVERY = 5


def agent_username(n: int) -> str:
    """The n-th seeded agent (1-based)."""
    return f"load-agent-{n:03d}"


# The row's one-click "Done" form: `action="/touches/<pk>/done/"`. The forms inside the
# page's <template> elements have an empty action, so they never match.
_DONE_ACTION = re.compile(r'<form method="post" action="(/touches/(\d+)/done/)"')
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def done_urls(html: str) -> list[str]:
    """The done URLs of the open touches a dashboard shows, in page order, each once."""
    return list(dict.fromkeys(match.group(1) for match in _DONE_ACTION.finditer(html)))


def touch_id(done_url: str) -> int:
    return int(done_url.strip("/").split("/")[1])


def csrf_token(html: str) -> str | None:
    """The form token of a page (any of its forms: Django masks the same secret)."""
    match = _CSRF_INPUT.search(html)
    return match.group(1) if match else None


def signed_in(html: str) -> bool:
    """A signed-in page shows the logout form; the login page (where a lost session lands
    after the redirect) does not."""
    return f'action="{LOGOUT_URL}"' in html


def done_row_ok(html: str, pk: int) -> bool:
    """The htmx answer to a done: the touch's row, re-rendered as done (no done form left)."""
    return (
        f'id="touch-{pk}"' in html
        and "touch-row touch-done" in html
        and f'action="/touches/{pk}/done/"' not in html
    )
