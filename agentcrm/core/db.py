"""Which database the project runs on, for the few statements written twice: in PostgreSQL's
SQL where it is faster (arrays, AT TIME ZONE, date_trunc), and portably for the embedded
SQLite stack of a trial."""

from django.db import connection


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"
