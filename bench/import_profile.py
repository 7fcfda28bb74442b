"""cProfile of the agents' book import (validate + run), for finding the hot spots.
`.venv/bin/python bench/run.py bench.import_profile` (BENCH_BOOK_ROWS=2000 for a quick look)."""

import cProfile
import io
import os
import pstats
import tempfile
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
            profile = cProfile.Profile()
            profile.enable()
            figures = agents_book._run(agent, path, trace=False)
            profile.disable()
            report(f"profiled import {ROWS:,} rows", **figures)
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            stats.sort_stats("cumulative").print_stats(60)
            stats.sort_stats("tottime").print_stats(40)
            print(out.getvalue())
