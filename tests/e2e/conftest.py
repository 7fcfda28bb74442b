"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's
live server on 127.0.0.1.

Every test under tests/e2e/ is marked `browser`. Without /usr/bin/chromium (apt packages
`chromium` and `fonts-wqy-microhei`; .ci/run installs them) the tests are skipped with a
reason, except when AGENTCRM_REQUIRE_SERVICES=1 (CI), where they fail.

When a test fails, a full-page screenshot and the page's HTML of every page it opened are
written to var/test-artifacts/e2e/ (or $AGENTCRM_TEST_ARTIFACTS/e2e/), and the paths are
printed with the failure.

Playwright's sync API keeps an asyncio loop running on the main thread while it is started,
so Django would refuse ORM calls there (SynchronousOnlyOperation); DJANGO_ALLOW_ASYNC_UNSAFE
is set while the browser is up, and only then.
"""

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client as DjangoClient

CHROMIUM = os.environ.get("AGENTCRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]
E2E_DIR = Path(__file__).resolve().parent
ARTIFACTS = (
    Path(os.environ.get("AGENTCRM_TEST_ARTIFACTS") or settings.BASE_DIR / "var" / "test-artifacts")
    / "e2e"
)
REQUIRED = os.environ.get("AGENTCRM_REQUIRE_SERVICES") == "1"
# pytest-django's live server listens on localhost unless told otherwise; the browser talks
# to 127.0.0.1 only (no IPv6 or name lookup in the way).
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")
# A failing step reports within this many milliseconds instead of Playwright's 30 s.
TIMEOUT_MS = 10_000

_pages_key = pytest.StashKey[list]()


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install chromium fonts-wqy-microhei)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make install)"
    if shutil.which("fc-list"):
        fonts = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
        ).stdout
        if not fonts.strip():
            return "no Chinese font installed (apt-get install fonts-wqy-microhei)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = None
    for item in items:
        if E2E_DIR not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason is None:
            reason = browser_missing() or ""
        if reason and not REQUIRED:
            item.add_marker(pytest.mark.skip(reason=f"browser tests: {reason}"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item._e2e_call_failed = True
        saved = []
        for n, page in enumerate(item.stash.get(_pages_key, [])):
            if page.is_closed():
                continue
            saved.extend(_save_page(page, f"{_safe_name(item.nodeid)}-{n}"))
        if saved:
            report.sections.append(("browser artefacts", "\n".join(str(p) for p in saved)))
    elif report.when == "call" and report.passed and ARTIFACTS.is_dir():
        # Passing now: the screenshots of an earlier failure are stale.
        for stale in ARTIFACTS.glob(f"{_safe_name(item.nodeid)}-*"):
            stale.unlink(missing_ok=True)
    return report


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("/")[-1])[:150]


def _save_page(page, stem: str) -> list[Path]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot, html = ARTIFACTS / f"{stem}.png", ARTIFACTS / f"{stem}.html"
    saved = []
    try:
        page.screenshot(path=str(shot), full_page=True, timeout=5_000)
        saved.append(shot)
    except Exception as exc:  # a crashed page: keep what can be kept
        shot.with_suffix(".txt").write_text(f"screenshot failed: {exc}\n", encoding="utf-8")
    try:
        html.write_text(f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8")
        saved.append(html)
    except Exception:
        pass
    return saved


@pytest.fixture(scope="package")
def chromium() -> Iterator:
    """One headless Chromium for the browser tests of this package."""
    reason = browser_missing()
    if reason:
        pytest.fail(f"browser tests cannot run: {reason}", pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PageProblems:
    """What went wrong in the browser besides the test's own assertions."""

    def __init__(self) -> None:
        self.js_errors: list[str] = []
        self.outside_requests: list[str] = []
        self.failed_responses: list[str] = []
        self.csp_violations: list[str] = []

    def all(self) -> list[str]:
        return (
            [f"JavaScript error: {e}" for e in self.js_errors]
            + [f"refused by the Content-Security-Policy: {v}" for v in self.csp_violations]
            + [f"request outside the live server (blocked): {u}" for u in self.outside_requests]
            + [f"HTTP {r}" for r in self.failed_responses]
        )


@pytest.fixture
def new_page(request, chromium, live_server) -> Iterator[Callable]:
    """`new_page(user=None, **context_options)`: a page in a fresh browser context whose
    relative URLs go to the live server; with `user`, already logged in as that user.

    Requests to any other host are blocked and, like JavaScript errors, anything the
    Content-Security-Policy refused and 5xx responses, fail the test at teardown.
    """
    contexts = []
    problems = PageProblems()
    pages = request.node.stash.setdefault(_pages_key, [])
    host = urlsplit(live_server.url).netloc

    def make(user=None, **options):
        options = {
            "base_url": live_server.url,
            "locale": "zh-CN",
            "timezone_id": settings.TIME_ZONE,
            "viewport": {"width": 1280, "height": 900},
            **options,
        }
        context = chromium.new_context(**options)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)

        def only_live_server(route):
            url = route.request.url
            if urlsplit(url).netloc == host or url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                problems.outside_requests.append(url)
                route.abort()

        context.route("**/*", only_live_server)
        if user is not None:
            login_cookie(context, user, live_server.url)
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.js_errors.append(str(exc)))
        # Chromium reports each thing the Content-Security-Policy refused (an inline script,
        # a style attribute, an injected <style>) as a console error.
        page.on(
            "console",
            lambda msg: (
                problems.csp_violations.append(msg.text[:300])
                if msg.type == "error" and "Content Security Policy" in msg.text
                else None
            ),
        )
        page.on(
            "response",
            lambda r: (
                problems.failed_responses.append(f"{r.status} {r.url}") if r.status >= 500 else None
            ),
        )
        pages.append(page)
        return page

    # A test that makes the server fail on purpose clears what it caused.
    make.problems = problems
    yield make
    failed = getattr(request.node, "_e2e_call_failed", False)
    for context in contexts:
        context.close()
    if problems.all() and not failed:
        pytest.fail("\n".join(problems.all()), pytrace=False)


@pytest.fixture
def page(new_page):
    """A desktop-sized page, not logged in."""
    return new_page()


def login_cookie(context, user, base_url: str) -> None:
    """Log `user` in without the form: a server-side session copied into the browser."""
    client = DjangoClient()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])
