"""Faults in the nightly touch build: a worker killed mid-batch, two builds of the same days
at once, and beat down for three nights.

The worker tests start real Celery workers (tests/faults_worker.py) against the test
PostgreSQL database and Redis; they are marked `services`.
"""

import datetime
import os
import signal
import threading
import uuid
from datetime import timedelta

import pytest
import redis
import time_machine
from django.db import connection
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

from agentcrm.celery import app as celery_app
from touches import build, tasks
from touches.models import Touch, TouchBuildBatch, TouchBuildRun
from touches.registry import occasion_kind

from .factories import ClientFactory
from .faults_book import (
    TODAY,
    assert_build_complete,
    build_marker,
    clean_build_rows,
    make_book,
    touch_rows,
)
from .faults_worker import children, kill_group, start_worker, stop, wait_for
from .test_celery_worker import worker_database_url

SHANGHAI = datetime.timezone(timedelta(hours=8))


@pytest.fixture
def broker_queue(monkeypatch):
    """A queue of this test's own on the real broker. The book is made first, with tasks
    still run in-process (each client saved queues a rebuild, which would otherwise be left
    on the shared default queue); then tasks go through the broker."""
    make_book()
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    queue = f"faults-{uuid.uuid4().hex}"
    yield queue
    keys = [queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"]
    prefix = celery_app.conf.broker_transport_options.get("global_keyprefix", "")  # xdist
    redis.Redis.from_url(os.environ["REDIS_URL"]).delete(*(prefix + key for key in keys))


def partly_built_batch() -> bool:
    """A batch has written some of its touches (each kind commits on its own) but is not
    done: the worker is in the middle of it."""
    pending_days = TouchBuildBatch.objects.filter(done_at__isnull=True).values("run__day")
    return Touch.objects.filter(due_date__in=pending_days).exists()


def build_finished() -> bool:
    return (
        build_marker() == TODAY + timedelta(days=build.HORIZON_DAYS)
        and not TouchBuildBatch.objects.filter(done_at__isnull=True).exists()
    )


# -- a worker killed with SIGKILL in the middle of a batch ---------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_killed_worker_task_is_redelivered_and_equals_a_clean_run(tmp_path, broker_queue):
    """The whole worker (its process group) dies mid-batch. Nothing acknowledged the
    message (acks_late), so once the visibility timeout passes Redis hands it to the next
    worker, which finishes the build: the same touches as a clean run, none twice."""
    slow = tmp_path / "slow"
    slow.touch()
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    database = worker_database_url()
    first = start_worker(
        queue=broker_queue,
        log=logs[0],
        database_url=database,
        pool="prefork",
        env={"FAULTS_SLOW_FLAG": str(slow), "FAULTS_SLOW_SECONDS": "0.4"},
        name="doomed",
    )
    second = None
    try:
        tasks.build_touches.apply_async(args=[TODAY.isoformat()], queue=broker_queue)
        wait_for(partly_built_batch, timeout=90, what="a batch half written", logs=logs[:1])
        kill_group(first)
        assert partly_built_batch(), "the batch finished before the kill"
        assert not build_finished()
        written_before = Touch.objects.count()

        slow.unlink()
        second = start_worker(
            queue=broker_queue,
            log=logs[1],
            database_url=database,
            env={"FAULTS_VISIBILITY_TIMEOUT": "2"},
            name="rescuer",
        )
        wait_for(build_finished, timeout=120, what="the build to finish", logs=logs)
    finally:
        kill_group(first)
        if second is not None:
            stop(second)

    assert "build_touch_batch" in logs[1].read_text()  # the rescuer did the rest
    assert_build_complete()
    rows = touch_rows()
    assert len(rows) == len(set(rows)) > written_before > 0
    assert rows == clean_build_rows()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_killed_pool_process_is_requeued_by_the_worker(tmp_path, broker_queue):
    """Only the pool process running the batch dies (the OOM killer's choice): the worker
    sees it lost and, with reject_on_worker_lost, puts the message back at once; its next
    pool process finishes the build."""
    slow = tmp_path / "slow"
    slow.touch()
    log = tmp_path / "worker.log"
    worker = start_worker(
        queue=broker_queue,
        log=log,
        database_url=worker_database_url(),
        pool="prefork",
        env={"FAULTS_SLOW_FLAG": str(slow), "FAULTS_SLOW_SECONDS": "0.4"},
    )
    try:
        tasks.build_touches.apply_async(args=[TODAY.isoformat()], queue=broker_queue)
        wait_for(partly_built_batch, timeout=90, what="a batch half written", logs=[log])
        pool = children(worker.pid)
        assert len(pool) == 1, pool
        os.kill(pool[0], signal.SIGKILL)
        slow.unlink()
        wait_for(build_finished, timeout=120, what="the build to finish", logs=[log])
    finally:
        stop(worker)

    assert "WorkerLostError" in log.read_text()
    assert_build_complete()
    rows = touch_rows()
    assert len(rows) == len(set(rows))
    assert rows == clean_build_rows()


# -- the same days built twice at once -----------------------------------------------------


def queue_drained(queue: str, logs: list) -> bool:
    """Nothing waits in the queue and every task a worker received has finished."""
    if redis.Redis.from_url(os.environ["REDIS_URL"]).llen(queue):
        return False
    texts = [log.read_text(errors="replace") for log in logs]
    return sum(t.count("] received") for t in texts) == sum(
        t.count("] succeeded") + t.count("] raised") for t in texts
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_beats_fire_the_same_build_on_two_workers(tmp_path, broker_queue):
    """Two beats (or beat and an operator) send the night's build twice; two workers plan
    and build the same days at the same time. Every run, batch and touch is made once."""
    slow = tmp_path / "slow"
    slow.touch()  # a little slower, so that the two workers' batches overlap
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    workers = [
        start_worker(
            queue=broker_queue,
            log=log,
            database_url=worker_database_url(),
            env={"FAULTS_SLOW_FLAG": str(slow), "FAULTS_SLOW_SECONDS": "0.02"},
            name=f"beat{i}",
        )
        for i, log in enumerate(logs)
    ]
    try:
        wait_for(
            lambda: all(" ready." in log.read_text(errors="replace") for log in logs),
            timeout=60,
            what="both workers",
            logs=logs,
        )
        for _ in workers:
            tasks.build_touches.apply_async(args=[TODAY.isoformat()], queue=broker_queue)
        wait_for(build_finished, timeout=120, what="the build to finish", logs=logs)
        wait_for(lambda: queue_drained(broker_queue, logs), timeout=60, what="idle", logs=logs)
    finally:
        for worker in workers:
            stop(worker)

    texts = [log.read_text(errors="replace") for log in logs]
    planned = [t.count("tasks.build_touches[") for t in texts]
    assert planned == [2, 2], planned  # each worker planned one of the two (received, done)
    assert "] raised" not in "".join(texts)
    assert_build_complete()
    rows = touch_rows()
    assert len(rows) == len(set(rows))
    assert rows == clean_build_rows()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_same_night_built_twice_in_parallel_writes_everything_once():
    """Two processes' worth of build — plan, every batch, the marker — started at the same
    instant against PostgreSQL: the unique day of a run, the claim on each batch and the
    ON CONFLICT insert keep every row single."""
    make_book()
    start = threading.Barrier(2)
    errors = []

    def build_once():
        try:
            start.wait(timeout=10)
            build.touch_build_now(today=TODAY)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=build_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert_build_complete()
    rows = touch_rows()
    assert len(rows) == len(set(rows))
    # Each batch was claimed once: the counts recorded add up to at most what exists.
    recorded = sum(TouchBuildRun.objects.values_list("touches_written", flat=True))
    assert 0 < recorded <= len(rows)
    assert rows == clean_build_rows()


# -- beat down for three nights ------------------------------------------------------------


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


# transaction=True: the beat scheduler commits and closes connections as it goes.
@pytest.mark.django_db(transaction=True)
def test_beat_down_three_nights_builds_exactly_the_three_missing_days():
    """Built on the night of the 24th (through 1 Dec, a week ahead). Beat is down the nights
    of the 25th, 26th and 27th and comes back on the 27th in the morning: its missed 01:00
    entry is due at once, and that one build makes exactly the days those three nights would
    have made, 2, 3 and 4 December, with their touches."""
    (agent,) = make_book(agents=1)
    missing = [TODAY + timedelta(days=d) for d in (8, 9, 10)]
    lead = occasion_kind("birthday").default_lead_days
    for day in missing:  # a birthday due on each missing day
        ClientFactory(
            owner=agent,
            name=f"寿星{day.day}",
            birth_date=(day + timedelta(days=lead)).replace(year=1980),
        )
    with time_machine.travel(_at(TODAY, 1)):
        tasks.build_touches.delay()  # the night of the 24th, as beat sends it
    built_before = set(TouchBuildRun.objects.values_list("day", flat=True))
    touches_before = touch_rows()
    assert build_marker() == TODAY + timedelta(days=7)
    assert not Touch.objects.filter(due_date__in=missing).exists()

    scheduler = DatabaseScheduler(app=celery_app, lazy=False)
    scheduler._finalize()  # beat's schedule in the database, as a running beat keeps it
    PeriodicTask.objects.filter(name="build-touches").update(last_run_at=_at(TODAY, 1))

    restart = TODAY + timedelta(days=3)
    with time_machine.travel(_at(restart, 9)):
        entry = ModelEntry(PeriodicTask.objects.get(name="build-touches"), app=celery_app)
        assert entry.is_due()[0]  # on restart the missed entry runs at once
        assert not next(entry).is_due()[0]  # and once only
        tasks.build_touches.delay()

    new_days = set(TouchBuildRun.objects.values_list("day", flat=True)) - built_before
    assert sorted(new_days) == missing
    assert all(run.completed_at for run in TouchBuildRun.objects.filter(day__in=missing))
    assert build_marker() == missing[-1]
    assert sorted(
        Touch.objects.filter(kind="birthday", due_date__in=missing).values_list(
            "client__name", "due_date"
        )
    ) == [(f"寿星{day.day}", day) for day in missing]
    # The three days are complete (building them again adds nothing), and the days built
    # before were left as they were.
    assert build.touch_build_now(today=restart, days=missing) == 0
    assert set(touches_before) <= set(touch_rows())
    assert not Touch.objects.filter(due_date__gt=missing[-1]).exists()
