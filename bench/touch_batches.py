"""The ordinary night's cost by batch size: 250 agents × 1,000 clients (BENCH_TOUCH_AGENTS,
BENCH_TOUCH_CLIENTS_PER_AGENT as bench.touch_build), the night before built, then the
ordinary day built in one process in batches of 50, 125 and 250 agents (rolled back after
each), wall and Python CPU. The figures behind touches.build.AGENTS_PER_BATCH.
Run: `.venv/bin/python bench/run.py bench.touch_batches` (PostgreSQL)."""

import time
from datetime import timedelta

from django.db import transaction

from bench import touch_build as tb
from touches.build import AgentRange, build_day


def run(*, report, timed):
    tb._sql("SELECT setseed(0.4)")
    tb._seed_shared()
    first, last = tb._generate(
        report,
        count=tb.AGENTS if tb.AGENTS != 1000 else 250,
        prefix="bench-agent-",
        per_agent=tb.CLIENTS_PER_AGENT,
    )
    day = tb.ORDINARY_DAY
    tb._build(day - timedelta(days=1), workers=1)
    tb._vacuum("touches_touch")
    for size in (50, 125, 250):
        with transaction.atomic():
            sid = transaction.savepoint()
            t = time.perf_counter()
            cpu = time.process_time()
            n = 0
            for lo in range(first, last + 1, size):
                n += build_day(due=day, agents=AgentRange(lo, min(last, lo + size - 1)))
            report(
                f"ordinary night, batches of {size} agents",
                seconds=round(time.perf_counter() - t, 2),
                python_cpu_s=round(time.process_time() - cpu, 2),
                written=n,
            )
            transaction.savepoint_rollback(sid)
