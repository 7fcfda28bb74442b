"""The load bench's pieces (bench/load/), checked without timing anything: the bare view and
its URLconf, the bench settings, the seed, and the simulated agent's round against the real
pages (the same URLs and page parsing the locust users use)."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import Resolver404, resolve

from agentcrm.accounts.models import User
from bench.load import LoadBenchError, database_url, read_stats, server_errors
from bench.load.agent import (
    CLIENT_LIST_URL,
    DASHBOARD_URL,
    LOGIN_URL,
    PASSWORD,
    PING_URL,
    agent_username,
    csrf_token,
    done_row_ok,
    done_urls,
    signed_in,
    touch_id,
)
from bench.load.seed import seed
from clients.models import Interaction
from touches.models import Touch

ROOT = Path(__file__).resolve().parent.parent
MORNING = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@override_settings(ROOT_URLCONF="bench.load.urls")
def test_the_bare_view_answers_anyone_with_one_query(db, client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(PING_URL)

    assert response.status_code == 200
    assert response.content == b"ok 1"
    assert client.post(PING_URL).status_code == 405


@override_settings(ROOT_URLCONF="bench.load.urls")
def test_the_bench_urlconf_keeps_every_project_route():
    assert resolve(DASHBOARD_URL).url_name == "dashboard"
    assert resolve("/touches/1/done/").view_name == "touches:done"


def test_the_product_has_no_bench_route():
    with pytest.raises(Resolver404):
        resolve(PING_URL)


def test_bench_settings_are_production_over_plain_http():
    code = (
        "import json, django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.management import call_command\n"
        "from django.urls import resolve\n"
        "from agentcrm.settings import base\n"
        "call_command('check')\n"
        "print(json.dumps({'debug': settings.DEBUG, 'ssl_redirect': settings.SECURE_SSL_REDIRECT,"
        " 'secure_cookies': [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],"
        " 'same_middleware': settings.MIDDLEWARE == base.MIDDLEWARE,"
        " 'storage': settings.STORAGES['staticfiles']['BACKEND'],"
        " 'ping': resolve('/bench/ping-db').url_name}))\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "ALLOWED_HOSTS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bench.load.settings",
        SECRET_KEY="bench-" + "x" * 60,
        FIELD_ENCRYPTION_KEYS="YmVuY2gtb25seS1maWVsZC1rZXktMDEyMzQ1Njc4OWE=",
        ID_NUMBER_DIGEST_KEY="bench-only-id-digest-key",
        ALLOWED_HOSTS="127.0.0.1",
        DEBUG="1",  # production ignores it, and so does the bench
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        '{"debug": false, "ssl_redirect": false, "secure_cookies": [false, false],'
        ' "same_middleware": true,'
        ' "storage": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",'
        ' "ping": "bench_ping_db"}'
    )


def test_an_agent_round_on_the_real_pages(db):
    """What AgentUser does: log in with the form, open the dashboard, post one of its done
    forms the htmx way (CSRF enforced), open the client list."""
    with time_machine.travel(MORNING, tick=False):
        counts = seed(agents=2, clients=30, today=MORNING.date())
        agent = User.objects.get(username=agent_username(1))
        browser = HttpClient(enforce_csrf_checks=True)

        login_page = browser.get(LOGIN_URL)
        token = csrf_token(login_page.content.decode())
        assert login_page.status_code == 200 and token
        response = browser.post(
            LOGIN_URL,
            {"username": agent.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            follow=True,
        )
        assert response.status_code == 200
        assert signed_in(response.content.decode())

        response = browser.get(DASHBOARD_URL)
        page = response.content.decode()
        assert response.status_code == 200 and signed_in(page)
        urls = done_urls(page)
        assert urls, "the seeded dashboard shows open touches"
        shown = Touch.objects.filter(pk__in=[touch_id(url) for url in urls])
        assert {t.owner_id for t in shown} == {agent.pk}
        assert {t.status for t in shown} == {Touch.Status.OPEN}

        pk = touch_id(urls[0])
        response = browser.post(
            urls[0],
            {"csrfmiddlewaretoken": csrf_token(page), "next": DASHBOARD_URL, "channel": "message"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        assert done_row_ok(response.content.decode(), pk)
        assert Touch.objects.get(pk=pk).status == Touch.Status.DONE
        assert Interaction.objects.filter(client__touches=pk, date=MORNING.date()).count() == 1
        assert urls[0] not in done_urls(browser.get(DASHBOARD_URL).content.decode())

        response = browser.get(CLIENT_LIST_URL)
        assert response.status_code == 200 and signed_in(response.content.decode())

    assert counts["agents"] == 2 and counts["clients"] == 60
    assert counts["open_shown_min"] >= 10  # two thirds of the book were not contacted


def test_a_lost_session_is_not_a_signed_in_page(db):
    response = HttpClient().get(DASHBOARD_URL, follow=True)

    assert response.status_code == 200  # the login page: locust would not see an error
    assert not signed_in(response.content.decode())


def test_the_locustfile_defines_both_users():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "locust"), "-f", "bench/load/locustfile.py", "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "AgentUser" in result.stdout and "PingUser" in result.stdout


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/agentcrm_ci"},
            "postgres://postgres@127.0.0.1:5432/agentcrm_load",
        ),
        (
            {"DATABASE_URL": "sqlite:///var/x.sqlite3"},
            "postgres://postgres@127.0.0.1:5432/agentcrm_load",
        ),
        (
            {"BENCH_LOAD_DATABASE_URL": "postgres://bench@localhost/my_load"},
            "postgres://bench@localhost/my_load",
        ),
    ],
)
def test_the_bench_database(environ, expected):
    assert database_url(environ) == expected


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@127.0.0.1:5432/agentcrm",
        "postgres://postgres@127.0.0.1:5432/agentcrm_ci",
        "postgres://postgres@127.0.0.1:5432/test_agentcrm_ci",
        "postgres://postgres@db.example.com:5432/agentcrm_load",
        "sqlite:///var/load.sqlite3",
    ],
)
def test_the_bench_never_recreates_a_working_or_remote_database(url):
    with pytest.raises(LoadBenchError):
        database_url({"BENCH_LOAD_DATABASE_URL": url})


def _entry(name, method, times, failures=0, start=1000.0, last=1060.0):
    """A stats entry as locust's --json-file writes it (StatsEntryDict)."""
    return {
        "name": name,
        "method": method,
        "last_request_timestamp": last,
        "start_time": start,
        "num_requests": sum(times.values()),
        "num_none_requests": 0,
        "num_failures": failures,
        "total_response_time": sum(int(ms) * n for ms, n in times.items()),
        "max_response_time": max(int(ms) for ms in times) + 0.4,
        "min_response_time": min(int(ms) for ms in times),
        "total_content_length": 0,
        "response_times": times,
        "num_reqs_per_sec": {},
        "num_fail_per_sec": {},
    }


def test_read_stats_takes_locusts_final_json(tmp_path):
    # 100 dashboards: 90 at 100 ms, 10 at 2,000 ms; 20 dones at 50 ms, 2 of them failed.
    entries = [
        _entry("dashboard", "GET", {"100": 90, "2000": 10}),
        _entry("touch done", "POST", {"50": 20}, failures=2, start=1001.0, last=1040.0),
    ]
    (tmp_path / "AgentUser.json").write_text(json.dumps(entries))
    (tmp_path / "AgentUser_failures.csv").write_text(
        "Method,Name,Error,Occurrences\nPOST,touch done,CatchResponseError('done 7: 500'),2\n"
    )

    stats = read_stats(tmp_path / "AgentUser")

    assert stats["total"] == {
        "requests": 120,
        "failures": 2,
        "rps": 2.0,
        "p50_ms": 100,
        "p95_ms": 2000,
        "max_ms": 2000,
    }
    assert stats["by_name"]["dashboard"]["p95_ms"] == 2000
    assert stats["by_name"]["dashboard"]["p50_ms"] == 100
    assert stats["by_name"]["touch done"] == {
        "requests": 20,
        "failures": 2,
        "rps": 0.3,  # over the whole phase
        "p50_ms": 50,
        "p95_ms": 50,
        "max_ms": 50,
    }
    assert stats["failures"] == ["POST touch done: CatchResponseError('done 7: 500') ×2"]


def test_read_stats_without_locust_output_fails(tmp_path):
    with pytest.raises(LoadBenchError):
        read_stats(tmp_path / "AgentUser")


def test_server_errors_are_found_in_the_log(tmp_path):
    log = tmp_path / "gunicorn.log"
    log.write_text(
        "[2026-03-10 09:00:00 +0800] [12] [INFO] Booting worker with pid: 12\n"
        "Internal Server Error: /touches/5/done/\n"
        "Traceback (most recent call last):\n"
        "Forbidden (CSRF token missing.): /touches/6/done/\n"
        "Not Found: /touches/7/done/\n"
        "[2026-03-10 09:00:30 +0800] [10] [CRITICAL] WORKER TIMEOUT (pid:12)\n"
        "[2026-03-10 09:00:31 +0800] [10] [ERROR] Worker (pid:12) was sent SIGKILL!\n"
    )

    assert len(server_errors(log)) == 6
    assert server_errors(tmp_path / "missing.log") == []


class _Server:
    """A stand-in for gunicorn's process: still running, or exited with `returncode`."""

    def __init__(self, returncode=None):
        self.returncode = returncode

    def poll(self):
        return self.returncode


def _answering(statuses: list[int]):
    """A local HTTP server answering the given statuses in turn (then 200); its URL."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(statuses.pop(0) if statuses else 200)
            self.end_headers()
            self.wfile.write(b"ok 1")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/bench/ping-db"


def test_the_bench_waits_until_every_worker_answers(tmp_path):
    from bench.load import _wait_ready

    server, url = _answering([503, 503, 200, 503])
    try:
        # Two answers in a row for two workers: the 503 after the first 200 starts again.
        assert _wait_ready(_Server(), url, tmp_path / "log", workers=2, timeout=20) >= 0
    finally:
        server.shutdown()


def test_the_bench_fails_when_gunicorn_exits_or_never_answers(tmp_path):
    from bench.load import _wait_ready

    log = tmp_path / "log"
    log.write_text("boot failed")
    with pytest.raises(LoadBenchError, match="exited"):
        _wait_ready(_Server(returncode=3), "http://127.0.0.1:9/", log, timeout=5)
    with pytest.raises(LoadBenchError, match="did not answer"):
        _wait_ready(_Server(), "http://127.0.0.1:9/", log, timeout=1)


def test_the_bench_measures_the_ceiling_first_and_agents_with_and_without_think_time():
    from bench.load import settings_from_env

    config = settings_from_env({})
    assert config["think"] == "3" and config["think_seconds"] > 0 and config["wait"] == "0"
    source = (ROOT / "bench" / "load" / "__init__.py").read_text()
    run = source[source.index("def _run(") :]
    assert run.index('"PingUser"') < run.index('"AgentUser"')
    assert 'print(f"load ratio agents/ceiling: ' in source
