"""/healthz and the nightly run it reports on."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from agentcrm.accounts.models import UserSession as Session  # the SESSION_ENGINE's table
from agentcrm.celery import app as celery_app
from agentcrm.core import health, services
from agentcrm.core.models import JobMarker
from agentcrm.core.selectors import NIGHTLY_JOB

pytestmark = pytest.mark.django_db


def get_health(client):
    response = client.get(reverse("healthz"))
    assert response["Content-Type"] == "application/json"
    return response, response.json()


def test_healthz_answers_anonymous_callers(client):
    response, body = get_health(client)

    assert response.status_code == 200
    assert body == {"database": "ok", "broker": "ok", "last_nightly_run": None}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_last_nightly_run_as_iso_time(client):
    services.nightly_run()

    response, body = get_health(client)

    assert response.status_code == 200
    marker = JobMarker.objects.get(name=NIGHTLY_JOB)
    reported = datetime.datetime.fromisoformat(body["last_nightly_run"])
    assert reported.tzinfo is not None
    assert reported == marker.last_success_at


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    monkeypatch.setattr(health, "database_ok", lambda: False)

    response, body = get_health(client)

    assert response.status_code == 503
    assert body["database"] == "down"
    assert body["last_nightly_run"] is None


def test_healthz_stays_200_when_the_broker_is_down(client, monkeypatch):
    # Nothing listens on port 1: the probe must answer "down" quickly, not raise.
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response, body = get_health(client)

    assert response.status_code == 200
    assert body["database"] == "ok"
    assert body["broker"] == "down"


def test_healthz_only_answers_get(client):
    assert client.post(reverse("healthz")).status_code == 405


def test_nightly_run_records_the_marker():
    day = datetime.date(2026, 3, 1)
    before = timezone.now()

    services.nightly_run(day=day)

    marker = JobMarker.objects.get(name=NIGHTLY_JOB)
    assert marker.last_completed_day == day
    assert marker.last_success_at >= before


def test_nightly_run_defaults_to_today_in_shanghai():
    services.nightly_run()

    marker = JobMarker.objects.get(name=NIGHTLY_JOB)
    assert marker.last_completed_day == timezone.localdate()


def test_nightly_run_never_moves_the_day_marker_backwards():
    later, earlier = datetime.date(2026, 3, 2), datetime.date(2026, 3, 1)
    services.nightly_run(day=later)
    first_success = JobMarker.objects.get(name=NIGHTLY_JOB).last_success_at

    services.nightly_run(day=earlier)  # e.g. a late retry of yesterday's run

    marker = JobMarker.objects.get(name=NIGHTLY_JOB)
    assert marker.last_completed_day == later
    assert marker.last_success_at >= first_success
    assert JobMarker.objects.filter(name=NIGHTLY_JOB).count() == 1

    services.nightly_run(day=datetime.date(2026, 3, 3))
    assert JobMarker.objects.get(name=NIGHTLY_JOB).last_completed_day == datetime.date(2026, 3, 3)


def test_nightly_run_clears_expired_sessions():
    now = timezone.now()
    Session.objects.create(
        session_key="expired" + "0" * 25, session_data="", expire_date=now - datetime.timedelta(1)
    )
    Session.objects.create(
        session_key="current" + "0" * 25, session_data="", expire_date=now + datetime.timedelta(1)
    )

    services.nightly_run()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current" + "0" * 25]


def test_nightly_task_runs_the_service():
    from agentcrm.core.tasks import nightly_run

    nightly_run.delay()  # eager in the test settings

    assert JobMarker.objects.get(name=NIGHTLY_JOB).last_success_at is not None
