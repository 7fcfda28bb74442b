"""Fixed personas used across the suite, and the rule for service-backed tests.

Personas: `owner` (an agent with a client), `teammate` (another agent in the same team),
`outsider` (an agent in another team), `manager` (the team's manager), `admin`.
"""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from agentcrm.accounts.models import User

from .factories import ClientFactory, TeamFactory, UserFactory, force_login_verified

SERVICES_AVAILABLE = bool(os.environ.get("DATABASE_URL", "").startswith("postgres")) and bool(
    os.environ.get("REDIS_URL")
)
SERVICES_REQUIRED = os.environ.get("AGENTCRM_REQUIRE_SERVICES") == "1"

# Hypothesis (tests/test_fuzz_*.py). "ci", the default, is bounded so each fuzz test stays
# within seconds; HYPOTHESIS_PROFILE=fuzz runs many more examples. No example database is
# written (failures print their reproduction). The fuzz tests reuse the function's fixtures
# (a logged-in client, a client record) across examples and roll each example back.
_FUZZ = {
    "deadline": None,
    "database": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
hypothesis_settings.register_profile("ci", max_examples=25, **_FUZZ)
hypothesis_settings.register_profile("fuzz", max_examples=500, **_FUZZ)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    if SERVICES_REQUIRED and not SERVICES_AVAILABLE:
        raise pytest.UsageError(
            "AGENTCRM_REQUIRE_SERVICES=1 but DATABASE_URL (PostgreSQL) or REDIS_URL is missing"
        )
    if getattr(config.option, "dist", "no") == "loadgroup":
        # Keep the order of the collection (below) instead of starting with the biggest group.
        config.option.loadscopereorder = False


# Under pytest-xdist (`make test`: -n auto --dist loadgroup) the tests of one group run on
# one worker, one after another, while the other workers share the rest of the suite.
# "celery": tests that start Celery workers and beat, kill them, or stop and start a Redis
# server, and wait on them with timeouts. "browser": tests/e2e, Chromium and a live server.
XDIST_GROUPS = {
    "test_celery_worker": "celery",
    "test_faults_build": "celery",
    "test_faults_redis": "celery",
}
E2E_DIR = Path(__file__).resolve().parent / "e2e"


def xdist_group(path: Path) -> str | None:
    path = path.resolve()
    return "browser" if E2E_DIR in path.parents else XDIST_GROUPS.get(path.stem)


def uses_plain_db(item) -> bool:
    """A django_db test that is not transactional: pytest-django runs these first, while the
    data that migrations load (segments, …) is still there; a transactional test's flush
    deletes it."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", [])
    if {"transactional_db", "live_server"} & set(fixtures):
        return False
    if marker is not None:
        return not (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    return "db" in fixtures


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Service-backed tests (marked `services`) run only with PostgreSQL and Redis.

    Outside CI they are skipped with a reason; .ci/run sets AGENTCRM_REQUIRE_SERVICES=1 and
    also fails the run if any test was skipped.

    Under pytest-xdist the grouped tests get their xdist_group marks (before xdist's hook
    reads them) and, once pytest-django has put the plain database tests first, move to
    just after the last of them: a worker that takes a group, whose transactional tests
    flush its database, has no plain database test left to run after it.
    """
    if config.pluginmanager.hasplugin("xdist"):
        for item in items:
            if group := xdist_group(Path(str(item.path))):
                item.add_marker(pytest.mark.xdist_group(group))
    if not SERVICES_AVAILABLE:
        skip = pytest.mark.skip(reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL")
        for item in items:
            if "services" in item.keywords:
                item.add_marker(skip)
    result = yield
    if getattr(config.option, "loadgroup", False):  # an xdist worker, --dist loadgroup
        grouped = [item for item in items if xdist_group(Path(str(item.path)))]
        rest = [item for item in items if not xdist_group(Path(str(item.path)))]
        plain = sum(1 for item in rest if uses_plain_db(item))
        items[:] = rest[:plain] + grouped + rest[plain:]
    return result


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """With --dist loadgroup, stop unless pytest-xdist grouped the tests.

    pytest-xdist groups by a suffix it appends to the node ids, which a pytest version it
    does not support drops without a word (pytest-xdist#1386, pytest 9.2): the grouped
    tests would then run on every worker at once.
    """
    if node.config.getoption("dist") != "loadgroup":
        return
    root = node.config.rootpath
    lost = []
    for nodeid in ids:
        group = xdist_group(root / nodeid.split("::")[0])
        if group and not nodeid.endswith(f"@{group}"):
            lost.append(nodeid)
    if lost:
        pytest.exit(
            f"pytest-xdist did not put {lost[0]} (and {len(lost) - 1} more) in its "
            "xdist_group: do the pytest and pytest-xdist versions in "
            "requirements/constraints.txt work together?",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


@pytest.fixture
def team(db):
    return TeamFactory(name="上海一部")


@pytest.fixture
def manager(team):
    user = UserFactory(username="manager", role=User.Role.MANAGER, team=team)
    team.manager = user
    team.save()
    return user


@pytest.fixture
def owner(team, manager):
    return UserFactory(username="owner", team=team)


@pytest.fixture
def teammate(team, manager):
    return UserFactory(username="teammate", team=team)


@pytest.fixture
def outsider(db):
    other = TeamFactory(name="北京二部")
    return UserFactory(username="outsider", team=other)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role=User.Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def client_obj(owner):
    return ClientFactory(owner=owner, name="王芳")


@pytest.fixture
def as_user(client):
    """Log the test client in as a persona: `as_user(owner)` returns the Django test client.
    A superuser or staff member is signed in with the second factor they must give."""

    def login(user):
        force_login_verified(client, user)
        return client

    return login
