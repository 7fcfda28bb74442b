"""Locust users of the load bench (bench/load/__init__.py runs them; by hand:
`.venv/bin/locust -f bench/load/locustfile.py --headless -u 50 -r 50 -t 60s
--host http://127.0.0.1:PORT AgentUser` against a server the bench seeded).

AgentUser: one seeded agent each (load-agent-001, -002, …), logged in once, then rounds of:
open the dashboard, mark one of the open touches it shows done the way the page does it
(the row's form, posted by htmx), and every CLIENT_LIST_EVERY-th round open the client list.
Each user works only its own agent's touches, and one user's requests are sequential, so a
touch is never marked done twice. A page that is not the signed-in page it should be (a lost
session lands on the login page with a 200) counts as a failure, like any 4xx/5xx.

PingUser: the bare one-query view, anonymous (the framework's ceiling).

BENCH_LOAD_AGENTS: agents seeded (users beyond it reuse agents); BENCH_LOAD_WAIT: think time
between rounds in seconds (default 0: every user asks again as soon as it has its answer).
"""

import itertools
import os
import random
import sys
from pathlib import Path

from locust import FastHttpUser, constant, task

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.load.agent import (  # noqa: E402
    CLIENT_LIST_EVERY,
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

AGENTS = int(os.environ.get("BENCH_LOAD_AGENTS", "50"))
WAIT = float(os.environ.get("BENCH_LOAD_WAIT", "0"))
_numbers = itertools.count()


class AgentUser(FastHttpUser):
    wait_time = constant(WAIT)

    def on_start(self) -> None:
        self.username = agent_username(next(_numbers) % AGENTS + 1)
        self.rounds = 0
        with self.client.get(LOGIN_URL, name="login page", catch_response=True) as response:
            token = csrf_token(response.text or "")
            if response.status_code != 200 or not token:
                response.failure(f"login page: {response.status_code}, token {bool(token)}")
                return
        with self.client.post(
            LOGIN_URL,
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="login",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or not signed_in(response.text or ""):
                response.failure(f"login of {self.username}: {response.status_code}")

    @task
    def work(self) -> None:
        with self.client.get(DASHBOARD_URL, name="dashboard", catch_response=True) as response:
            page = response.text or ""
            if response.status_code != 200 or not signed_in(page):
                response.failure(f"dashboard: {response.status_code}, signed in {signed_in(page)}")
                return
        urls = done_urls(page)
        if urls:
            url = random.choice(urls)
            pk = touch_id(url)
            token = csrf_token(page)
            with self.client.post(
                url,
                data={"csrfmiddlewaretoken": token, "next": DASHBOARD_URL, "channel": "message"},
                headers={"HX-Request": "true", "X-CSRFToken": token},
                name="touch done",
                catch_response=True,
            ) as response:
                if response.status_code != 200 or not done_row_ok(response.text or "", pk):
                    response.failure(f"done {pk}: {response.status_code}")
        self.rounds += 1
        if self.rounds % CLIENT_LIST_EVERY == 0:
            with self.client.get(CLIENT_LIST_URL, name="client list", catch_response=True) as resp:
                if resp.status_code != 200 or not signed_in(resp.text or ""):
                    resp.failure(f"client list: {resp.status_code}")


class PingUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def ping(self) -> None:
        with self.client.get(PING_URL, name="ping-db", catch_response=True) as response:
            if response.status_code != 200 or response.text != "ok 1":
                response.failure(f"ping-db: {response.status_code}")
