"""Redis stopped: pages still load, the dashboard shows the last list with a notice,
/healthz says the broker is down, what a request queues does not fail it, and when Redis
comes back the missed work runs.

The first tests point Celery at a port where nothing listens (they run anywhere); the last
one (`services`) stops and restarts a Redis server of its own under a real worker.
"""

import datetime
import os
import shutil
import socket
import subprocess
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from kombu.exceptions import OperationalError

from agentcrm.celery import app as celery_app
from agentcrm.core.models import JobMarker
from clients.models import Client
from policies.models import Policy
from spreadsheets.models import ImportJob
from touches import build, tasks
from touches.models import Touch, TouchBuildBatch, TouchBuildRun

from .factories import ClientFactory
from .faults_book import TODAY, build_marker
from .faults_worker import start_worker, stop, wait_for
from .import_factories import policy_row, table, xlsx_bytes
from .test_celery_worker import worker_database_url
from .test_client_forms import client_data
from .touch_factories import TouchFactory

SHANGHAI = datetime.timezone(timedelta(hours=8))
MORNING = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
NOTICE = "The touch list was last built on"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _reset_celery_connections() -> None:
    """Forget the app's cached broker pool and result backend, so the next use connects to
    whatever the configuration now says."""
    celery_app._pool = None  # kombu keeps the pools of each URL; they are not closed
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    celery_app._backend_cache = None
    celery_app._local.__dict__.pop("backend", None)


@contextmanager
def celery_broker(url: str):
    """Send tasks for real (not eagerly) to the broker and result store at `url`."""
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    _reset_celery_connections()
    try:
        yield
    finally:
        conf.update(saved)
        _reset_celery_connections()


@pytest.fixture
def redis_down():
    """Redis is not there: nothing listens on the broker's port."""
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        yield


@pytest.fixture
def http(as_user, owner):
    return as_user(owner)


def stale_marker(days_ago: int) -> None:
    JobMarker.objects.update_or_create(
        name=build.BUILD_JOB,
        defaults={
            "last_completed_day": timezone.localdate() + timedelta(days=7 - days_ago),
            "last_success_at": timezone.now() - timedelta(days=days_ago),
        },
    )


# -- pages, health and the notice ----------------------------------------------------------


@pytest.mark.django_db
def test_pages_load_and_health_says_the_broker_is_down(client, http, client_obj, redis_down):
    touch = TouchFactory(client=client_obj, due_date=timezone.localdate())
    for url in ("/", reverse("clients:list"), reverse("clients:detail", args=[client_obj.pk])):
        response = http.get(url)
        assert response.status_code == 200, url
    assert touch.client.name in http.get("/").content.decode()

    started = time.monotonic()
    response = client.get(reverse("healthz"))
    assert time.monotonic() - started < 5  # the probe gives up quickly
    assert response.status_code == 200  # the site is up; only the background work waits
    assert response.json()["database"] == "ok"
    assert response.json()["broker"] == "down"


@pytest.mark.django_db
def test_dashboard_shows_the_last_list_with_a_notice_when_a_night_was_missed(
    http, client_obj, redis_down
):
    touch = TouchFactory(client=client_obj, due_date=timezone.localdate(), label="最后一次的清单")
    stale_marker(days_ago=3)
    last = timezone.localdate(JobMarker.objects.get(name=build.BUILD_JOB).last_success_at)
    with translation.override("en"):
        shown = date_format(last, "DATE_FORMAT")

    body = http.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert touch.client.name in body  # the list last built is still there
    assert f"{NOTICE} {shown}; reminders may be delayed." in body
    assert 'id="build-missed"' in http.get("/").content.decode()  # in Chinese too


@pytest.mark.django_db
@pytest.mark.parametrize("days_ago", [None, 0])
def test_no_notice_when_the_build_is_current_or_has_never_run(http, days_ago):
    if days_ago is not None:
        stale_marker(days_ago=days_ago)
    body = http.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert NOTICE not in body and 'id="build-missed"' not in body


@pytest.mark.django_db
def test_notice_waits_for_the_nights_build_to_be_late():
    """The build runs at 01:00: just before it, yesterday's success is not late yet."""
    from agentcrm.core.services import job_marker_record_success
    from touches.selectors import touch_build_missed_since

    night = datetime.datetime(2026, 11, 24, 1, 5, tzinfo=SHANGHAI)
    with time_machine.travel(night):
        job_marker_record_success(name=build.BUILD_JOB, day=TODAY)
    with time_machine.travel(night + timedelta(hours=23, minutes=50)):
        assert touch_build_missed_since() is None
    with time_machine.travel(night + timedelta(hours=26, minutes=5)):
        assert touch_build_missed_since() == TODAY


# -- requests that queue a task ------------------------------------------------------------


# transaction=True: the task is queued when the request's transaction commits.
@pytest.mark.django_db(transaction=True)
def test_saving_a_client_with_the_broker_down_saves_and_builds_the_touch(
    http, owner, caplog, redis_down
):
    """The rebuild of a saved client's already-built days cannot be queued: the request
    still succeeds, and the rebuild runs in-process, since the nightly build only adds new
    days and would never make this touch."""
    with time_machine.travel(MORNING):
        build.touch_build_now(today=TODAY)  # built through 1 Dec
        response = http.post(
            reverse("clients:create"),
            client_data(name="周末寿星", birth_date="1980-11-27", mobile="13900139000"),
        )
    assert response.status_code == 302
    client = Client.objects.get(name="周末寿星")
    touch = Touch.objects.get(client=client, kind="birthday")
    assert (touch.due_date, touch.occasion_date) == (TODAY, datetime.date(2026, 11, 27))
    assert "rebuild_client_touches was not queued" in caplog.text


@pytest.fixture
def validated_job(owner, django_capture_on_commit_callbacks):
    """An upload checked (eagerly, with the broker up) and waiting for confirmation."""
    from spreadsheets.services import import_job_create

    from .import_factories import upload

    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(owner=owner, upload=upload(xlsx_bytes(table([policy_row()]))))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED
    return job


@pytest.mark.django_db(transaction=True)
def test_import_upload_with_the_broker_down_fails_with_a_clear_message(http, owner, redis_down):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("book.xlsx", xlsx_bytes(table([policy_row()])))
    response = http.post(reverse("imports:index"), {"file": file}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302  # to the job's page, not a server error
    job = ImportJob.objects.get(owner=owner)
    assert job.status == ImportJob.Status.FAILED
    assert "background service is unavailable" in job.message
    assert not job.file  # the uploaded file (clients' personal data) is deleted
    page = http.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nothing was imported." in page and "background service is unavailable" in page
    assert not Client.objects.filter(owner=owner).exists()


@pytest.mark.django_db(transaction=True)
def test_import_confirm_with_the_broker_down_keeps_the_job_waiting(http, owner, validated_job):
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        response = http.post(
            reverse("imports:confirm", args=[validated_job.pk]),
            {"mode": "all"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    assert "The import could not be started" in response.content.decode()
    validated_job.refresh_from_db()
    assert validated_job.status == ImportJob.Status.VALIDATED  # confirm again later
    assert not Policy.objects.exists()

    # The broker is back (eager here): confirming again imports.
    response = http.post(reverse("imports:confirm", args=[validated_job.pk]), {"mode": "all"})
    assert response.status_code == 302
    validated_job.refresh_from_db()
    assert validated_job.status == ImportJob.Status.DONE and Policy.objects.count() == 1


# -- Redis really stopped, and started again -----------------------------------------------


@contextmanager
def redis_server(port: int, log):
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed"
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        wait_for(answers, timeout=20, what="redis-server", logs=[log])
        yield
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_redis_stopped_then_back_the_missed_night_is_built(tmp_path, http, owner):
    """A worker runs the night of the 24th through Redis. Redis stops: pages load, /healthz
    says so, a client saved still gets its touch, and the night of the 25th cannot be
    queued. Redis comes back: the worker reconnects by itself, and the night of the 26th
    builds the day the 25th missed as well as its own."""
    lead = 3  # the birthday's default lead
    missed_day = TODAY + timedelta(days=8)  # what the night of the 25th would have built
    ClientFactory(
        owner=owner,
        name="错过的寿星",
        birth_date=(missed_day + timedelta(days=lead)).replace(year=1980),
    )
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    queue = f"faults-{uuid.uuid4().hex}"
    logs = [tmp_path / "worker.log"]
    redis_log = tmp_path / "redis.log"

    def built_through(day) -> bool:
        return (
            build_marker() == day
            and not TouchBuildBatch.objects.filter(done_at__isnull=True).exists()
        )

    def night(day) -> None:
        """What beat sends at 01:00 (its result is not needed)."""
        tasks.build_touches.apply_async(args=[day.isoformat()], queue=queue, ignore_result=True)

    with celery_broker(url):
        with redis_server(port, redis_log):
            worker = start_worker(
                queue=queue,
                log=logs[0],
                database_url=worker_database_url(),
                env={"REDIS_URL": url},
            )
            try:
                night(TODAY)
                wait_for(lambda: built_through(TODAY + timedelta(days=7)), timeout=60,
                         what="the first night", logs=logs)  # fmt: skip
            except BaseException:
                stop(worker)
                raise
        try:
            # Redis is stopped.
            for page in ("/", reverse("clients:list")):
                assert http.get(page).status_code == 200
            assert http.get(reverse("healthz")).json()["broker"] == "down"
            with time_machine.travel(MORNING):
                response = http.post(
                    reverse("clients:create"),
                    client_data(name="新客户", birth_date="1981-11-28", mobile="13700137000"),
                )
            assert response.status_code == 302
            assert Touch.objects.filter(client__name="新客户", kind="birthday").exists()
            with pytest.raises(OperationalError):
                night(TODAY + timedelta(days=1))  # beat cannot queue the night of the 25th
            assert build_marker() == TODAY + timedelta(days=7)

            with redis_server(port, redis_log):  # Redis is back
                wait_for(
                    lambda: http.get(reverse("healthz")).json()["broker"] == "ok",
                    timeout=20,
                    what="the broker to answer",
                )
                night(TODAY + timedelta(days=2))
                wait_for(
                    lambda: built_through(TODAY + timedelta(days=9)),
                    timeout=90,
                    what="the catch-up",
                    logs=logs,
                )
        finally:
            stop(worker)

    log = logs[0].read_text(errors="replace")
    assert "Connection to broker lost" in log or "Cannot connect to" in log
    built = sorted(TouchBuildRun.objects.values_list("day", flat=True))
    assert built[-2:] == [missed_day, missed_day + timedelta(days=1)]
    touch = Touch.objects.get(client__name="错过的寿星", kind="birthday")
    assert touch.due_date == missed_day
    assert os.path.exists(redis_log)
