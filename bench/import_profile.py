"""cProfile of the agents' book import (validate + run), for finding the hot spots.
`.venv/bin/python bench/run.py bench.import_profile` (BENCH_BOOK_ROWS=2000 for a quick look)."""

import cProfile
import io
import os
import pstats
import tempfile
import time
from pathlib import Path

from django.test import override_settings
from django.utils import timezone

from agentcrm.accounts.models import User
from bench import agents_book
from touches.build import touch_build_now

ROWS = int(os.environ.get("BENCH_BOOK_ROWS", "2000"))


def run(*, report, timed) -> None:
    with tempfile.TemporaryDirectory() as media:
        storage = {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(MEDIA_ROOT=media, STORAGES=storage):
            path = Path(media) / "book.xlsx"
            agents_book.generate(path, ROWS, tag="P")
            agent = User.objects.create_user("bench-import-profile", password="x")
            touch_build_now(today=timezone.localdate())
            from touches import build

            timings = []
            original = build.insert_select

            def timed(qs):
                start = time.perf_counter()
                made = original(qs)
                timings.append((time.perf_counter() - start, made, str(qs.query)[:300]))
                return made

            build.insert_select = timed
            profile = cProfile.Profile()
            profile.enable()
            try:
                figures = agents_book._run(agent, path, trace=False)
            finally:
                profile.disable()
                build.insert_select = original
            print("the import's touch statements, slowest first:")
            for seconds, made, sql in sorted(timings, key=lambda t: t[0], reverse=True)[:6]:
                print(f"  {seconds:.3f} s  {made} rows  {sql}")
            report(f"profiled import {ROWS:,} rows", **figures)
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            stats.sort_stats("cumulative").print_stats(60)
            stats.sort_stats("tottime").print_stats(40)
            print(out.getvalue())
            if os.environ.get("BENCH_EXPLAIN", "1") == "1":
                _explain(agent)


def _explain(agent) -> None:
    """The import's touch build again for the same clients (their touches deleted first, in
    a transaction rolled back), each per-kind statement timed and the slowest EXPLAIN
    ANALYZEd (PostgreSQL)."""
    import time

    from django.db import connection, transaction

    from clients.models import Client
    from touches import build
    from touches.models import Touch

    if connection.vendor != "postgresql":
        return
    timings = []
    original = build.insert_select

    def timed(qs):
        sql, params = qs.query.sql_with_params()
        start = time.perf_counter()
        made = original(qs)
        timings.append((time.perf_counter() - start, made, sql, params))
        return made

    ids = list(Client.objects.filter(owner=agent).values_list("pk", flat=True))
    build.insert_select = timed
    try:
        with transaction.atomic():
            Touch.objects.filter(client_id__in=ids).delete()
            start = time.perf_counter()
            build.touch_build_for_clients(client_ids=ids, today=timezone.localdate())
            print(f"rebuild of {len(ids)} clients: {time.perf_counter() - start:.2f} s")
            for seconds, made, sql, _params in sorted(timings, key=lambda t: t[0], reverse=True):
                print(f"  {seconds:.3f} s  {made} rows  {sql[:160]}")
            slowest = sorted(timings, key=lambda t: t[0], reverse=True)[:3]
            with connection.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS touch_rebuild_clients "
                    "(id bigint PRIMARY KEY)"
                )
                cursor.execute(
                    "INSERT INTO touch_rebuild_clients SELECT unnest(%s::bigint[]) "
                    "ON CONFLICT DO NOTHING",
                    [ids],
                )
                cursor.execute("ANALYZE touch_rebuild_clients")
                for _seconds, _made, sql, params in slowest:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    print("\n".join(line for (line,) in cursor.fetchall()))
                    print("-" * 60)
            # The same rebuild after ANALYZE: of the tables the import filled, then of the
            # touch table too (rolled back with the rest: statistics are transactional).
            build.insert_select = original
            for tables in ("clients_client, policies_policy", "touches_touch"):
                start = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(f"ANALYZE {tables}")
                analyzed = time.perf_counter() - start
                Touch.objects.filter(client_id__in=ids).delete()
                start = time.perf_counter()
                build.touch_build_for_clients(client_ids=ids, today=timezone.localdate())
                print(
                    f"rebuild after ANALYZE {tables} ({analyzed:.2f} s): "
                    f"{time.perf_counter() - start:.2f} s"
                )
            transaction.set_rollback(True)
    finally:
        build.insert_select = original
