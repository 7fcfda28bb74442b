"""Celery for real: a worker process and beat against the same PostgreSQL and Redis.

The `services` tests start real processes; they need DATABASE_URL (PostgreSQL) and
REDIS_URL, and .ci/run fails if they are skipped.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from agentcrm.celery import app as celery_app
from agentcrm.core.tasks import ping

from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


def worker_database_url() -> str:
    """A DATABASE_URL pointing at the database this test run uses (test_<name>)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s["HOST"] or "localhost"
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{quote(s['NAME'], safe='')}"


def start(args: list[str], log: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="agentcrm.settings.test",
        DATABASE_URL=worker_database_url(),
        PYTHONUNBUFFERED="1",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "agentcrm", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_worker_round_trip_through_redis_and_postgresql(tmp_path, monkeypatch):
    # The test settings run tasks eagerly; this test sends through the broker for real.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    UserFactory(username="worker-a")
    UserFactory(username="worker-b")
    queue = f"test-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"
    worker = start(
        [
            "worker",
            "--pool=solo",
            "-c",
            "1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--loglevel=info",
        ],
        log,
    )
    try:
        result = ping.apply_async(queue=queue)
        try:
            answer = result.get(timeout=60)
        except Exception as exc:
            pytest.fail(f"no answer from the worker ({exc!r}); its log:\n{log.read_text()}")
    finally:
        stop(worker)

    # Two users created here, counted by the worker process in the same database.
    assert answer == {"pong": True, "users": 2}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_beat_process_syncs_the_nightly_schedule(tmp_path):
    assert not PeriodicTask.objects.filter(name="nightly-run").exists()
    log = tmp_path / "beat.log"
    beat = start(
        [
            "beat",
            "--scheduler",
            "django_celery_beat.schedulers:DatabaseScheduler",
            "--schedule",
            str(tmp_path / "celerybeat-schedule"),
            "--pidfile=",
            "--loglevel=info",
        ],
        log,
    )
    try:
        deadline = time.monotonic() + 60
        # Beat saves the entries one at a time: wait for both that are checked below.
        synced = PeriodicTask.objects.filter(name__in=["nightly-run", "build-touches"])
        while synced.count() < 2:
            if beat.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"beat did not sync the schedule; its log:\n{log.read_text()}")
            time.sleep(0.2)
    finally:
        stop(beat)

    assert_nightly_entry(PeriodicTask.objects.get(name="nightly-run"))
    assert_touch_build_entry(PeriodicTask.objects.get(name="build-touches"))


# transaction=True: the scheduler closes and commits connections as it goes, which would
# break the per-test transaction of a plain django_db test.
@pytest.mark.django_db(transaction=True)
def test_database_scheduler_syncs_the_nightly_schedule():
    scheduler = DatabaseScheduler(app=celery_app, lazy=False)
    scheduler._finalize()  # its final sync now, not whenever it is garbage-collected

    assert_nightly_entry(PeriodicTask.objects.get(name="nightly-run"))
    assert_touch_build_entry(PeriodicTask.objects.get(name="build-touches"))


def assert_touch_build_entry(task: PeriodicTask) -> None:
    assert task.task == "agentcrm.touches.tasks.build_touches"
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour) == ("0", "1")
    assert str(task.crontab.timezone) == "Asia/Shanghai"


def assert_nightly_entry(task: PeriodicTask) -> None:
    assert task.task == "agentcrm.core.tasks.nightly_run"
    assert task.enabled
    cron = task.crontab
    assert cron is not None
    fields = (cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week)
    assert " ".join(fields) == "0 1 * * *"
    assert str(cron.timezone) == "Asia/Shanghai"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_touch_build_fan_out(tmp_path, monkeypatch):
    """Beat's task through Redis: the worker plans the days, queues one task per batch of
    agents (on the default queue), builds them in PostgreSQL and moves the marker."""
    import datetime

    from agentcrm.core.models import JobMarker
    from touches.models import Touch, TouchBuildBatch
    from touches.tasks import build_touches

    from .factories import ClientFactory

    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    agent = UserFactory(username="night-agent")
    ClientFactory(owner=agent, name="寿星", birth_date=datetime.date(1980, 11, 27))
    queue = f"test-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"
    worker = start(
        ["worker", "--pool=solo", "-c", "1", "--without-heartbeat", "--without-gossip",
         "--without-mingle", "-Q", f"{queue},celery", "-n", f"{queue}@%h", "--loglevel=info"],
        log,
    )  # fmt: skip
    try:
        build_touches.apply_async(args=["2026-11-24"], queue=queue).get(timeout=60)
        deadline = time.monotonic() + 60
        while TouchBuildBatch.objects.filter(done_at__isnull=True).exists():
            if time.monotonic() > deadline:
                pytest.fail(f"batches not done; worker log:\n{log.read_text()}")
            time.sleep(0.2)
    finally:
        stop(worker)
    touch = Touch.objects.get(kind="birthday")
    assert (touch.client.name, touch.due_date) == ("寿星", datetime.date(2026, 11, 24))
    assert JobMarker.objects.get(name="touch_build").last_completed_day == datetime.date(
        2026, 12, 1
    )
