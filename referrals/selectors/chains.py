"""Walking referral chains in SQL.

A chain is walked with a recursive CTE over `referrals_referral` (referrer_id → referred_id,
both indexed). The issue left the choice between a recursive CTE and a materialised path to a
measurement; bench/referral_chain.py measures the CTE on PostgreSQL 15 with a client who has
10,000 people below them, ten levels deep (about 2,200 of them holding won policies). The
whole chain selector (`selectors.analytics.client_chain`: the walk joined to the premium sums,
the tree order and totals, the drawn people's details and the ancestors; 3 queries) costs
about 53 ms of CPU per call, server and Django together: 28 ms in the server, of which the
walk itself is 12 ms (one index probe per person), and 16 ms in Python. With no disk reads
that is about the wall time on an idle machine; on the shared 2-core host at load average
7–10 the wall time measured median 140 ms, p95 154 ms. A single line 1,000 levels deep (the
MAX_LEVELS bound): 8 ms CPU, median 19 ms wall. That is within the 100 ms target, so no
materialised path is kept: no second copy of the tree to keep right when edges are added, and
a path would not remove the fetching and ordering of 10,000 rows that make up most of the
time.

Both databases the project runs on (PostgreSQL, SQLite) speak WITH RECURSIVE. A cycle cannot
be stored (`referral_create` refuses one); should the data ever be corrupted, the MAX_LEVELS
bound stops every walk (the level column makes each row of a cycle new, so UNION alone would
not).
"""

from django.db import connection

from ..models import Referral

_TABLE = Referral._meta.db_table

DESCENDANTS_SQL = f"""
WITH RECURSIVE chain(client_id, level) AS (
    SELECT referred_id, 1 FROM {_TABLE} WHERE referrer_id = %s
    UNION
    SELECT r.referred_id, chain.level + 1
    FROM {_TABLE} r JOIN chain ON r.referrer_id = chain.client_id
    WHERE chain.level < %s
)
"""

ANCESTORS_SQL = f"""
WITH RECURSIVE up(client_id, level) AS (
    SELECT referrer_id, 1 FROM {_TABLE} WHERE referred_id = %s
    UNION
    SELECT r.referrer_id, up.level + 1
    FROM {_TABLE} r JOIN up ON r.referred_id = up.client_id
    WHERE up.level < %s
)
"""

# Deeper than any real chain; bounds the walk if the data were ever corrupted.
MAX_LEVELS = 1000


def descendant_levels(client_id: int) -> dict[int, int]:
    """{client id: distance below `client_id`} for everyone referred through them."""
    with connection.cursor() as cursor:
        cursor.execute(
            DESCENDANTS_SQL + "SELECT client_id, MIN(level) FROM chain GROUP BY client_id",
            [client_id, MAX_LEVELS],
        )
        return dict(cursor.fetchall())


def ancestor_ids(client_id: int) -> list[int]:
    """The referrers above `client_id`, nearest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            ANCESTORS_SQL + "SELECT client_id FROM up ORDER BY level", [client_id, MAX_LEVELS]
        )
        return [row[0] for row in cursor.fetchall()]


# --- Edges, for the analytics pages ---------------------------------------------------------
# The walks above give ids; the chain page and the influence ranking need the edges too
# (which referral, which parent, which level) so that one query can join the premium sums to
# the whole walk. UNION ALL: in a tree every row is new, and the level bound stops the walk
# on corrupt data.

DESCENDANT_EDGES_SQL = f"""
WITH RECURSIVE chain(client_id, parent_id, referral_id, level, given_on, stage) AS (
    SELECT referred_id, referrer_id, id, 1, given_on, stage FROM {_TABLE}
    WHERE referrer_id = %s AND owner_id = %s
    UNION ALL
    SELECT r.referred_id, r.referrer_id, r.id, chain.level + 1, r.given_on, r.stage
    FROM {_TABLE} r JOIN chain ON r.referrer_id = chain.client_id
    WHERE chain.level < %s
)
"""
"""Parameters: (client id, owner id, MAX_LEVELS). Carries the edge's date and stage: the
index scan of each step reads the row anyway, and the chain page then needs no join back
to the referrals for its order and its stage counts."""

ANCESTOR_EDGES_SQL = f"""
WITH RECURSIVE up(client_id, referral_id, level) AS (
    SELECT referrer_id, id, 1 FROM {_TABLE} WHERE referred_id = %s
    UNION ALL
    SELECT r.referrer_id, r.id, up.level + 1
    FROM {_TABLE} r JOIN up ON r.referred_id = up.client_id
    WHERE up.level < %s
)
"""

# Every (referrer, someone below them at any level) pair of one agent's referrals: the
# influence ranking groups it by root. Its size is the sum of everyone's depth (about 85,000
# rows for a 10,000-person book ten levels deep), fine for one agent's book.
ROOT_PAIRS_SQL = f"""
WITH RECURSIVE pairs(root_id, client_id, given_on, level) AS (
    SELECT referrer_id, referred_id, given_on, 1 FROM {_TABLE} WHERE owner_id = %s
    UNION ALL
    SELECT pairs.root_id, r.referred_id, r.given_on, pairs.level + 1
    FROM {_TABLE} r JOIN pairs ON r.referrer_id = pairs.client_id
    WHERE pairs.level < %s
)
"""
