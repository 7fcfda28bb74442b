"""Transaction-scoped advisory locks: one writer at a time for one subject (an agent's
book), held until the transaction ends, without locking any row others read or write."""

import zlib

from django.db import connection

# One namespace per kind of work; the second key is the subject's id.
IMPORT_BOOK = zlib.crc32(b"agentcrm.import_book") & 0x7FFFFFFF


def advisory_xact_lock(*, namespace: int, key: int) -> None:
    """Wait for, then hold until this transaction ends, the lock (namespace, key).

    PostgreSQL only; SQLite (local trials) lets one writer in at a time anyway. Must be
    called inside a transaction."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [namespace, key])
