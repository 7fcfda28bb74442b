"""Which database the project runs on, for the few figures written in PostgreSQL's SQL (arrays,
AT TIME ZONE, date_trunc): on the embedded SQLite stack of a trial they say they need
PostgreSQL instead of failing."""

from django.db import connection


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"
