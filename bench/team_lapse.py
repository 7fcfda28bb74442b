"""The lapse guard: /lapse/ for one agent (3,000 policies) and /team/lapse/ for their manager
(50 agents, 150,000 policies, about 15,000 of them at risk), seeded as bench.team_service
seeds its team (touches and contacts included, which the guard's last-contact column reads).

Per page: the median wall time, the CPU time of this process per request (the machine is
shared; the database's own time is not in it) and the query count, which must not grow with
the rows. `BENCH_PROFILE=1` also prints a cProfile of ten manager requests (the top 25 by
cumulative time), which is how the per-row costs of the page were found.
Run: `DATABASE_URL=postgres://… .venv/bin/python bench/run.py bench.team_lapse`."""

import cProfile
import io
import os
import pstats
import time

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agentcrm.accounts.models import User
from bench.team_service import _cpu, _get, _seed
from policies.models import Policy


def _profile(http, url: str) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        _get(http, url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    print(out.getvalue(), flush=True)


def run(*, report, timed) -> None:
    today = timezone.localdate()
    began = time.perf_counter()
    manager = _seed(today)
    report(
        "team lapse: seed",
        policies=Policy.objects.count(),
        seconds=round(time.perf_counter() - began, 1),
    )
    agent = User.objects.get(username="bench-svc-agent-20")
    team = HttpClient()
    team.force_login(manager)
    own = HttpClient()
    own.force_login(agent)
    pages = {
        "agent lapse guard /lapse/": (own, "/lapse/"),
        "team lapse guard /team/lapse/": (team, "/team/lapse/"),
        "team lapse guard, in grace": (team, "/team/lapse/?stage=grace"),
        "team lapse guard, page 100": (team, "/team/lapse/?page=100"),
    }
    for name, (http, url) in pages.items():
        _get(http, url)
        with CaptureQueriesContext(connection) as queries:
            response = _get(http, url)
        # Counted here: every later request clears Django's query log.
        count = len(queries)
        assert response.status_code == 200, (url, response.status_code)
        report(
            name,
            queries=count,
            **timed(lambda http=http, url=url: _get(http, url), repeat=10),
            **_cpu(lambda http=http, url=url: _get(http, url)),
        )
    if os.environ.get("BENCH_PROFILE"):
        _profile(team, "/team/lapse/")
