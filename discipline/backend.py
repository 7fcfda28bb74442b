"""The service figures are PostgreSQL SQL (date_trunc, AT TIME ZONE, window functions over
the whole history). On the embedded SQLite stack of `make run` the pages say so instead of
failing, and the nightly summary is skipped with a warning: set DATABASE_URL to a
PostgreSQL database (README) to get them."""

import functools
import logging

from django.shortcuts import render

from agentcrm.core.db import is_postgresql

logger = logging.getLogger(__name__)


def supported() -> bool:
    return is_postgresql()


def needs_postgresql(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not supported():
            return render(request, "discipline/needs_postgresql.html")
        return view(request, *args, **kwargs)

    return wrapper
