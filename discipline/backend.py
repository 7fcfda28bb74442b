"""The few pieces of the service figures' SQL that PostgreSQL and SQLite say differently.

The figures are raw grouped statements (one per figure, whatever the size of the book). Their
shape is the same on both databases; only these fragments differ: the month or week of a
date, the local date of a timestamp, a date plus days or months, a list of ids or dates, and
the values read back (SQLite answers dates as text and sums as floats). PostgreSQL gets its
own functions (date_trunc, AT TIME ZONE, intervals); SQLite, on the embedded stack of
`make run`, gets its date() modifiers. `tests/test_discipline_backend.py` runs every SQLite
fragment on an in-memory SQLite database against the PostgreSQL answer.

Local dates on SQLite use the offset of settings.TIME_ZONE today (Asia/Shanghai has had no
daylight saving since 1991), since SQLite has no time zone database.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from agentcrm.core.db import is_postgresql

POSTGRESQL, SQLITE = "postgresql", "sqlite"


def vendor() -> str:
    return POSTGRESQL if is_postgresql() else SQLITE


def _tz_literal() -> str:
    return "'" + settings.TIME_ZONE.replace("'", "''") + "'"


def _offset_minutes() -> int:
    offset = timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def month_of(column: str, *, dialect: str | None = None) -> str:
    """The first day of the month of a date column."""
    if (dialect or vendor()) == POSTGRESQL:
        return f"date_trunc('month', ({column})::timestamp)::date"
    return f"date({column}, 'start of month')"


def week_of(column: str, *, dialect: str | None = None) -> str:
    """The Monday of the week of a date column."""
    if (dialect or vendor()) == POSTGRESQL:
        return f"date_trunc('week', ({column})::timestamp)::date"
    return f"date({column}, 'weekday 0', '-6 days')"


def local_date(column: str, *, dialect: str | None = None) -> str:
    """The local date (settings.TIME_ZONE) of a timestamp column."""
    if (dialect or vendor()) == POSTGRESQL:
        return f"({column} AT TIME ZONE {_tz_literal()})::date"
    minutes = _offset_minutes()
    return f"date({column}, '{minutes:+d} minutes')"


def plus_days(column: str, days: int, *, dialect: str | None = None) -> str:
    days = int(days)
    if (dialect or vendor()) == POSTGRESQL:
        return f"({column} + {days})"
    return f"date({column}, '{days:+d} days')"


def plus_months(column: str, months: int, *, dialect: str | None = None) -> str:
    """A date column plus whole months, the day clamped to the month's last (PostgreSQL's
    rule: 31 January + 1 month is 28 February; 29 February + 13 months is 29 March)."""
    months = int(months)
    if (dialect or vendor()) == POSTGRESQL:
        return f"({column} + INTERVAL '{months} months')::date"
    moved = f"date({column}, '{months:+d} months')"
    return (
        f"(CASE WHEN strftime('%%d', {moved}) = strftime('%%d', {column}) THEN {moved}"
        f" ELSE date({moved}, 'start of month', '-1 day') END)"
    )


def least(*expressions: str, dialect: str | None = None) -> str:
    """The smallest non-null value (SQLite's min() of several values is null if one is)."""
    if (dialect or vendor()) == POSTGRESQL:
        return f"LEAST({', '.join(expressions)})"
    return f"(SELECT MIN(v) FROM ({' UNION ALL '.join(f'SELECT {e} AS v' for e in expressions)}))"


def date_literal(day: datetime.date, *, dialect: str | None = None) -> str:
    if (dialect or vendor()) == POSTGRESQL:
        return f"DATE '{day.isoformat()}'"
    return f"'{day.isoformat()}'"


def moment_literal(moment: datetime.datetime, *, dialect: str | None = None) -> str:
    """An aware datetime as a literal to compare with a timestamp column (SQLite keeps them
    as UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]', which compares in order)."""
    utc = moment.astimezone(datetime.UTC)
    if (dialect or vendor()) == POSTGRESQL:
        return f"TIMESTAMPTZ '{utc:%Y-%m-%d %H:%M:%S}+00'"
    return f"'{utc:%Y-%m-%d %H:%M:%S}'"


def in_ids(column: str, ids: Iterable[int]) -> str:
    """`column IN (…)` for a list of ids (inlined as integers: always false when empty)."""
    ids = sorted({int(i) for i in ids})
    return f"{column} IN ({', '.join(map(str, ids))})" if ids else "FALSE"


def in_dates(column: str, days: Iterable[datetime.date], *, dialect: str | None = None) -> str:
    days = sorted(set(days))
    if not days:
        return "FALSE"
    return f"{column} IN ({', '.join(date_literal(d, dialect=dialect) for d in days)})"


def local_midnight(day: datetime.date):
    """The parameter for the start of a local day, to compare with a timestamp column."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return connection.ops.adapt_datetimefield_value(moment)


def as_date(value) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def as_decimal(value) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))
