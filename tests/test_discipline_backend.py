"""The service figures' SQL fragments give the same answers on SQLite (the embedded stack of
`make run`) as on PostgreSQL: each fragment is run on an in-memory SQLite database and on the
test database (PostgreSQL), against the expected date."""

import datetime
import sqlite3
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from discipline import backend

pytestmark = pytest.mark.django_db

CASES = [
    # (fragment builder, input, expected)
    (lambda c, d: backend.month_of(c, dialect=d), "2024-02-29", datetime.date(2024, 2, 1)),
    (lambda c, d: backend.week_of(c, dialect=d), "2026-06-14", datetime.date(2026, 6, 8)),
    (lambda c, d: backend.week_of(c, dialect=d), "2026-06-15", datetime.date(2026, 6, 15)),
    (lambda c, d: backend.plus_days(c, 7, dialect=d), "2026-12-28", datetime.date(2027, 1, 4)),
    (lambda c, d: backend.plus_months(c, 13, dialect=d), "2024-02-29", datetime.date(2025, 3, 29)),
    (lambda c, d: backend.plus_months(c, 25, dialect=d), "2024-02-29", datetime.date(2026, 3, 29)),
    (lambda c, d: backend.plus_months(c, 13, dialect=d), "2024-01-31", datetime.date(2025, 2, 28)),
    (lambda c, d: backend.plus_months(c, 1, dialect=d), "2024-01-31", datetime.date(2024, 2, 29)),
]


def _sqlite(sql: str):
    with sqlite3.connect(":memory:") as db:
        return db.execute(sql.replace("%%", "%")).fetchone()[0]


def _postgresql(sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


@pytest.mark.parametrize(("fragment", "value", "expected"), CASES)
def test_date_fragments_agree(fragment, value, expected):
    lite = _sqlite("SELECT " + fragment(f"'{value}'", backend.SQLITE))
    assert backend.as_date(lite) == expected
    if connection.vendor == "postgresql":
        pg = _postgresql("SELECT " + fragment(f"DATE '{value}'", backend.POSTGRESQL))
        assert pg == expected


@time_machine.travel(datetime.datetime(2026, 6, 15, 12, tzinfo=datetime.UTC), tick=False)
def test_local_date_of_a_timestamp_agrees():
    # 16:30 UTC on 14 June is 00:30 on 15 June in Shanghai.
    lite = _sqlite(f"SELECT {backend.local_date(repr('2026-06-14 16:30:00'), dialect='sqlite')}")
    assert backend.as_date(lite) == datetime.date(2026, 6, 15)
    if connection.vendor == "postgresql":
        sql = backend.local_date("TIMESTAMPTZ '2026-06-14 16:30:00+00'", dialect="postgresql")
        assert _postgresql(f"SELECT {sql}") == datetime.date(2026, 6, 15)


def test_least_skips_nulls_and_lists_render():
    assert (
        _sqlite("SELECT " + backend.least("NULL", "'2026-02-01'", "'2025-01-01'", dialect="sqlite"))
        == "2025-01-01"
    )
    days = [datetime.date(2026, 2, 1), datetime.date(2026, 1, 1)]
    assert backend.in_ids("x", [3, 1, 3]) == "x IN (1, 3)"
    assert backend.in_ids("x", []) == "FALSE"
    assert _sqlite(f"SELECT {backend.in_dates(repr('2026-02-01'), days, dialect='sqlite')}") == 1
    assert _sqlite(f"SELECT {backend.in_dates(repr('2026-03-01'), days, dialect='sqlite')}") == 0
    if connection.vendor == "postgresql":
        assert _postgresql(
            "SELECT " + backend.least("NULL::date", "DATE '2025-01-01'", dialect="postgresql")
        ) == datetime.date(2025, 1, 1)
        feb = "DATE '2026-02-01'"
        assert _postgresql("SELECT " + backend.in_dates(feb, days, dialect="postgresql")) is True


def test_moment_literal_compares_with_stored_timestamps():
    # 00:30 on 15 June in Shanghai is 16:30 UTC on 14 June; SQLite keeps UTC text.
    moment = datetime.datetime(2026, 6, 15, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    lite = backend.moment_literal(moment, dialect=backend.SQLITE)
    assert _sqlite(f"SELECT '2026-06-14 16:30:00.000001' >= {lite}") == 1
    assert _sqlite(f"SELECT '2026-06-14 16:29:59.999999' >= {lite}") == 0
    if connection.vendor == "postgresql":
        pg = backend.moment_literal(moment, dialect=backend.POSTGRESQL)
        assert _postgresql(f"SELECT TIMESTAMPTZ '2026-06-14 16:30:00+00' >= {pg}") is True
        assert _postgresql(f"SELECT TIMESTAMPTZ '2026-06-14 16:29:59+00' >= {pg}") is False
