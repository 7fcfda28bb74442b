"""Beat writes the whole schedule at once, and keeps trying while the database is busy."""

import pytest
from django.conf import settings
from django.db import OperationalError
from django_celery_beat.models import PeriodicTask

from agentcrm.celery import app as celery_app
from agentcrm.core import beat

pytestmark = pytest.mark.django_db(transaction=True)


def names() -> set[str]:
    return set(PeriodicTask.objects.values_list("name", flat=True))


def test_every_entry_is_written(monkeypatch):
    scheduler = beat.Scheduler(app=celery_app, lazy=False)
    scheduler._finalize()
    assert set(settings.CELERY_BEAT_SCHEDULE) <= names()


def test_a_busy_database_leaves_no_half_schedule_and_is_retried(monkeypatch):
    real = beat.Scheduler.Entry.from_entry.__func__
    calls = {"n": 0}
    seen_between: list[set[str]] = []

    def flaky(cls, name, **kwargs):
        calls["n"] += 1
        if name == "build-touches" and calls["n"] < 6:
            raise OperationalError("database is locked")
        return real(cls, name, **kwargs)

    monkeypatch.setattr(beat.Scheduler.Entry, "from_entry", classmethod(flaky))
    monkeypatch.setattr(beat, "FIRST_WAIT", 0.01)
    real_sleep = beat.time.sleep

    def sleep(seconds):
        seen_between.append(names())
        real_sleep(seconds)

    monkeypatch.setattr(beat.time, "sleep", sleep)
    scheduler = beat.Scheduler(app=celery_app, lazy=False)
    scheduler._finalize()

    assert seen_between, "the first attempt should have failed"
    # Between attempts nothing of the schedule was there: all entries or none.
    assert all(not (set(settings.CELERY_BEAT_SCHEDULE) & seen) for seen in seen_between)
    assert set(settings.CELERY_BEAT_SCHEDULE) <= names()


def test_a_database_that_never_answers_fails_loudly(monkeypatch):
    def always(cls, name, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(beat.Scheduler.Entry, "from_entry", classmethod(always))
    monkeypatch.setattr(beat, "FIRST_WAIT", 0.001)
    with pytest.raises(OperationalError):
        beat.Scheduler(app=celery_app, lazy=False)
    assert not (set(settings.CELERY_BEAT_SCHEDULE) & names())
