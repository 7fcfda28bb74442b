"""`make bench`: timed figures for the record, never asserted in tests.

Runs against a throw-away test database (PostgreSQL when DATABASE_URL points at one,
else SQLite) and prints one line per figure. Each benchmark module exposes `run(report)`.
`bench/run.py bench.policy_import` runs only the modules named.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentcrm.settings.test")

import warnings  # noqa: E402

import django  # noqa: E402

warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

BENCHMARKS = [
    "bench.client_list",
    "bench.dashboard",
    "bench.page_cost",
    "bench.policy_import",
    "bench.agents_book",
    "bench.touch_build",
    "bench.referral_team",
    "bench.referral_chain",
    "bench.campaign",
    "bench.introduction_matching",
    "bench.events_gifts",
    "bench.team_service",
    "bench.service_page",
    "bench.team_lapse",
    "bench.household_review",
    "bench.load",  # gunicorn + PostgreSQL under 50 agents, in a database of its own
]


def timed(fn, *, repeat: int = 15) -> dict:
    """Median and p95 wall time of `fn` in milliseconds, after one warm-up call."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
    }


def report(name: str, **figures) -> None:
    shown = "  ".join(f"{k}={v}" for k, v in figures.items())
    print(f"{name:<40} {shown}", flush=True)


def main() -> None:
    import importlib

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"database: {connection.vendor}", flush=True)
        selected = sys.argv[1:] or BENCHMARKS
        for module in selected:
            importlib.import_module(module).run(report=report, timed=timed)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
