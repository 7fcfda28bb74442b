"""Fixed personas used across the suite, and the rule for service-backed tests.

Personas: `owner` (an agent with a client), `teammate` (another agent in the same team),
`outsider` (an agent in another team), `manager` (the team's manager), `admin`.
"""

import os

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from agentcrm.accounts.models import User

from .factories import ClientFactory, TeamFactory, UserFactory

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


def pytest_collection_modifyitems(config, items):
    """Service-backed tests (marked `services`) run only with PostgreSQL and Redis.

    Outside CI they are skipped with a reason; .ci/run sets AGENTCRM_REQUIRE_SERVICES=1 and
    also fails the run if any test was skipped.
    """
    if SERVICES_AVAILABLE:
        return
    skip = pytest.mark.skip(reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


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
    """Log the test client in as a persona: `as_user(owner)` returns the Django test client."""

    def login(user):
        client.force_login(user)
        return client

    return login
