"""After the database drops a kept-open connection (a restart, a proxy's idle timeout), the
next request on that worker reconnects instead of answering 500: CONN_HEALTH_CHECKS makes
Django test a persistent connection before a request first uses it."""

import pytest
from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, connections
from django.test import RequestFactory

from agentcrm.core.views import healthz

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (a server that drops connections)"
)


def _kill(pid: int) -> None:
    """Terminate one backend from another connection, as a database restart would."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def test_every_environment_checks_connections_before_use():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


@pytest.mark.django_db(transaction=True)
def test_the_first_request_after_a_dropped_connection_still_answers(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)
    close_old_connections()  # what request_started does on a gunicorn worker
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    _kill(pid)
    close_old_connections()  # the next request starts
    response = healthz(RequestFactory().get("/healthz"))

    assert response.status_code == 200, response.content
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid  # a fresh connection


@pytest.mark.django_db(transaction=True)
def test_without_the_check_the_dead_connection_would_fail(monkeypatch):
    """The scenario is real: the same steps with the check off hit the dropped connection."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", False)
    close_old_connections()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    _kill(pid)
    close_old_connections()

    with pytest.raises(OperationalError), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close()
