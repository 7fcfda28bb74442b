"""The embedded stack of `make run` (SQLite and the filesystem broker, no servers) survives a
web server, a worker and beat writing at once: no "database is locked", nothing lost.

A real runserver and a real `celery worker -B` run against one SQLite file in a temporary
folder. Agents' requests add promises (each queues its client's touch rebuild, which the
worker writes) while beat writes its schedule and the worker builds the night.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AGENTS = 3
CLIENTS_PER_AGENT = 4
PROMISES_PER_AGENT = 12

SETUP = f"""
from datetime import date
from django.utils import timezone
from agentcrm.accounts.models import User
from clients.models import Client
from touches.build import touch_build_now
for a in range({AGENTS}):
    agent = User.objects.create_user(f"agent{{a}}", password="pw-embedded-1")
    for c in range({CLIENTS_PER_AGENT}):
        Client.objects.create(owner=agent, name=f"客户{{a}}-{{c}}", stage="client")
touch_build_now(today=timezone.localdate())
"""

# The pattern behind "database is locked": transactions that read, then write, at once. A
# deferred transaction that must upgrade its read lock gets SQLITE_BUSY at once (no busy
# wait), which IMMEDIATE transactions avoid by taking the write lock when they begin.
READ_THEN_WRITE = """
import threading
from django.db import connection, transaction
from agentcrm.accounts.models import User
from clients.models import Client, Interaction
errors = []
owner = User.objects.get(username="agent0")
clients = list(Client.objects.filter(owner=owner))
def work(n):
    try:
        for i in range(15):
            with transaction.atomic():
                seen = Interaction.objects.filter(client=clients[n % len(clients)]).count()
                Interaction.objects.create(
                    client=clients[n % len(clients)], kind="call", date="2026-01-01",
                    summary=f"{n}-{i}-{seen}",
                )
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()
threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
print("errors", len(errors), errors[:1])
print("written", Interaction.objects.count())
"""

COUNTED = {"promises", "touches", "beat"}
COUNT = """
from clients.models import Commitment
from touches.models import Touch
from django_celery_beat.models import PeriodicTask
from django.conf import settings
print("promises", Commitment.objects.count())
print("touches", Touch.objects.filter(kind="commitment").count())
names = set(PeriodicTask.objects.values_list("name", flat=True))
print("beat", int(set(settings.CELERY_BEAT_SCHEDULE) <= names))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def stack_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="agentcrm.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'agentcrm.sqlite3'}",
        CELERY_DATA_DIR=str(tmp_path / "celery"),
        MEDIA_ROOT=str(tmp_path / "media"),
        DEBUG="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env, *args, script: str | None = None) -> str:
    command = [sys.executable, "manage.py", *args]
    result = subprocess.run(
        command, cwd=ROOT, env=env, input=script, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def start(env, args, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Agent:
    """A browser: a cookie jar, the CSRF token, and the form posts an agent makes."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        login = self.get("/accounts/login/")
        self.post(
            "/accounts/login/",
            {"username": username, "password": "pw-embedded-1", **self.token(login)},
        )

    def get(self, path: str) -> str:
        with self.http.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def post(self, path: str, data: dict) -> int:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body)
        request.add_header("Referer", self.base + path)
        with self.http.open(request, timeout=60) as response:
            return response.status

    @staticmethod
    def token(page: str) -> dict:
        return {
            "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        }


def wait_until(check, *, timeout: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            text = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in logs)
            pytest.fail(f"{what} did not happen within {timeout} s\n{text}")
        time.sleep(0.5)


def test_web_worker_and_beat_write_one_sqlite_file_at_once(stack_env, tmp_path):
    manage(stack_env, "migrate", "--noinput")
    manage(stack_env, "shell", script=SETUP)
    out = manage(stack_env, "shell", script=READ_THEN_WRITE)
    assert "errors 0 []" in out and "written 120" in out, out

    port = free_port()
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    web = start(
        stack_env,
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        web_log,
    )
    worker = start(
        stack_env,
        [
            sys.executable, "-m", "celery", "-A", "agentcrm", "worker", "-B",
            "--pool=solo", "--concurrency=1",
            "--scheduler", "agentcrm.core.beat:Scheduler",
            "--schedule", str(tmp_path / "celerybeat-schedule"),
            "--loglevel=info",
        ],
        worker_log,
    )  # fmt: skip
    logs = [web_log, worker_log]
    try:
        base = f"http://127.0.0.1:{port}"

        def answering() -> bool:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                return True
            except OSError:
                return False

        wait_until(answering, timeout=60, what="the web server answering", logs=logs)

        from datetime import date

        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        failures: list[str] = []

        def agent_day(a: int) -> None:
            try:
                agent = Agent(base, f"agent{a}")
                ids = [
                    int(m) for m in re.findall(r'href="/clients/(\d+)/"', agent.get("/clients/"))
                ]
                for n in range(PROMISES_PER_AGENT):
                    pk = ids[n % len(ids)]
                    page = agent.get(f"/clients/{pk}/")
                    status = agent.post(
                        f"/clients/{pk}/commitments/",
                        {"description": f"回访 {n}", "due_date": tomorrow, **agent.token(page)},
                    )
                    if status >= 400:
                        failures.append(f"agent{a} promise {n}: HTTP {status}")
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(f"agent{a}: {exc!r}")

        threads = [threading.Thread(target=agent_day, args=(a,)) for a in range(AGENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not failures, failures

        expected = AGENTS * PROMISES_PER_AGENT

        def counts() -> dict[str, int]:
            out = manage(stack_env, "shell", script=COUNT)
            pairs = (line.split() for line in out.splitlines())
            return {p[0]: int(p[1]) for p in pairs if len(p) == 2 and p[0] in COUNTED}

        # Each promise's touch is written by the worker (one rebuild per promise saved).
        wait_until(
            lambda: counts() == {"promises": expected, "touches": expected, "beat": 1},
            timeout=180,
            what=f"{expected} promises with their touches and beat's schedule",
            logs=logs,
        )
    finally:
        stop(web)
        stop(worker)
    for log in logs:
        text = log.read_text(errors="replace")
        assert "database is locked" not in text, f"{log.name}:\n{text[-4000:]}"
        assert "Traceback" not in text, f"{log.name}:\n{text[-4000:]}"
