"""Influence centres (影响力中心): each root referrer's people below, referrals, wins and
premium won, in one pass over the chains (`influence_centres`), with the bounded pair walk
kept as the fallback for corrupt (too deep or looping) chains."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from agentcrm.accounts.models import User
from clients.models import Client

from ...models import Referral
from ..chains import MAX_LEVELS, ROOT_PAIRS_SQL
from .premium import _CLIENT, _money, _won_by_holder_sql

# Candidates for the client appreciation event (客户答谢会): the top few referrers with at
# least this many people in their chain, and every client marked as an influence centre.
INFLUENCE_TOP_N = 5
INFLUENCE_MIN_PEOPLE = 2


@dataclass
class InfluenceRow:
    client_id: int
    name: str
    stage: str
    is_influence_centre: bool
    archived: bool
    people: int
    direct: int
    policies: int
    premium: Decimal
    deepest: int
    rank: int = 0
    candidate: bool = False

    @property
    def stage_label(self) -> str:
        return Client.Stage(self.stage).label if self.stage in Client.Stage else self.stage


INFLUENCE_SORTS = {
    # People first (the ranking), then what their chains bought.
    "people": lambda r: (-r.people, -r.premium, -r.policies, r.name, r.client_id),
    "policies": lambda r: (-r.policies, -r.premium, -r.people, r.name, r.client_id),
    "premium": lambda r: (-r.premium, -r.policies, -r.people, r.name, r.client_id),
}


def influence_centres(
    *,
    user: User,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    sort: str = "people",
) -> list[InfluenceRow]:
    """Every client of `user` who referred someone (at any level below them), or who is
    marked as an influence centre, with their whole chain's figures: people referred (all
    levels, and directly), policies won and annualised premium won by the people in it.

    With a period, people count when they were given in it and policies when they took
    effect in it (whenever the person was referred); rows with nothing in the period are
    left out unless marked. Candidates for the appreciation event: the top INFLUENCE_TOP_N
    by people (then premium) with at least INFLUENCE_MIN_PEOPLE, and every marked client;
    archived clients are never candidates. One query, then one pass in Python linear in
    the book (`_influence_figures`)."""
    figures = _influence_figures(owner_id=user.pk, start=start, end=end)
    if figures is None:  # a chain deeper than MAX_LEVELS (corrupt data): the bounded walk
        figures = _influence_figures_by_pairs(owner_id=user.pk, start=start, end=end)
    rows = [
        InfluenceRow(
            client_id=row[0],
            name=row[1],
            stage=row[2],
            is_influence_centre=bool(row[3]),
            archived=row[4] is not None,
            people=int(row[5]),
            direct=int(row[6]),
            policies=int(row[7]),
            premium=_money(row[8]),
            deepest=int(row[9]),
        )
        for row in figures
    ]
    if start or end:
        rows = [r for r in rows if r.people or r.policies or r.is_influence_centre]
    top = sorted(
        (r for r in rows if not r.archived and r.people >= INFLUENCE_MIN_PEOPLE),
        key=INFLUENCE_SORTS["people"],
    )[:INFLUENCE_TOP_N]
    chosen = {r.client_id for r in top}
    for row in rows:
        row.candidate = not row.archived and (row.client_id in chosen or row.is_influence_centre)
    rows.sort(key=INFLUENCE_SORTS.get(sort, INFLUENCE_SORTS["people"]))
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
    return rows


# The influence ranking's one query: the edges below an agent's referrers (their own
# referrals, and every referral below the people those reached, whoever's they are, as the
# chain page walks them), each with the won policies of the person referred; then, tagged
# "c", the agent's clients the ranking lists (referrers of theirs, and the marked). UNION in
# the walk: an edge met both as one of the agent's and below another is one row (its `own`
# kept by the MAX), and a corrupt cycle ends.
INFLUENCE_SQL = f"""
WITH RECURSIVE edges(referrer_id, referred_id, given_on, own) AS (
    SELECT referrer_id, referred_id, given_on, 1 FROM {Referral._meta.db_table}
    WHERE owner_id = %s
    UNION
    SELECT r.referrer_id, r.referred_id, r.given_on, 0
    FROM {Referral._meta.db_table} r JOIN edges ON r.referrer_id = edges.referred_id
),
won AS ({{won}}),
e AS (
    SELECT referrer_id, referred_id, given_on, MAX(own) AS own FROM edges
    GROUP BY referrer_id, referred_id, given_on
)
SELECT 'e', e.referrer_id, e.referred_id, e.given_on, e.own, won.policies, won.premium,
    NULL, NULL, NULL, NULL
FROM e LEFT JOIN won ON won.holder_id = e.referred_id
UNION ALL
SELECT 'c', c.id, NULL, NULL, NULL, NULL, NULL, c.name, c.stage, c.is_influence_centre,
    c.archived_at
FROM {_CLIENT} c
WHERE c.owner_id = %s
    AND (c.is_influence_centre OR c.id IN (SELECT referrer_id FROM e WHERE own = 1))
"""


def _influence_figures(*, owner_id: int, start, end) -> list[tuple] | None:
    """The influence ranking's rows (client id, name, stage, marked, archived at, people,
    direct, policies, premium, deepest), in time linear in the book: one query reads each
    edge once with the won policies of the person it reached (INFLUENCE_SQL), then each
    person's subtree figures come from their children's, in one pass from the leaves up
    (a person has one referrer: the chains are a forest). Where every root's whole chain was
    a row per (root, person below) pair, a line of 1,000 people was 500,500 rows. None when
    a chain is deeper than MAX_LEVELS or loops (only corrupt data), where the bounded walk
    of `_influence_figures_by_pairs` applies."""
    won_sql, won_params = _won_by_holder_sql(
        owner_id=owner_id, period=(start, end) if (start or end) else None
    )
    with connection.cursor() as cursor:
        cursor.execute(INFLUENCE_SQL.replace("{won}", won_sql), [owner_id, *won_params, owner_id])
        rows = cursor.fetchall()
    children: dict[int, list[int]] = {}
    given: dict[int, datetime.date] = {}
    own_children: dict[int, list[int]] = {}
    won: dict[int, tuple[int, Decimal]] = {}
    clients = []
    for tag, referrer, referred, given_on, own, policies, premium, *client in rows:
        if tag == "c":
            name, stage, marked, archived_at = client
            clients.append((referrer, name, stage, marked, archived_at))
            continue
        children.setdefault(referrer, []).append(referred)
        given[referred] = given_on
        if own:
            own_children.setdefault(referrer, []).append(referred)
        if policies:
            won[referred] = (int(policies), _money(premium))

    def counted(person: int) -> int:
        day = given[person]
        return int((start is None or day >= start) and (end is None or day <= end))

    # Post-order without recursion (a line 1,000 deep): each person's figures over everyone
    # below them: (people counted, policies, premium, height).
    below: dict[int, tuple[int, int, Decimal, int]] = {}
    zero = Decimal("0.00")
    open_: set[int] = set()  # on the current path: met again, it is a cycle (corrupt data)
    for top in own_children:
        stack = [(top, False)]
        while stack:
            person, expanded = stack.pop()
            if person in below:
                continue
            kids = children.get(person, ())
            if not expanded and kids:
                if person in open_:
                    return None
                open_.add(person)
                stack.append((person, True))
                stack.extend((kid, False) for kid in kids if kid not in below)
                continue
            open_.discard(person)
            people = policies = height = 0
            premium = zero
            for kid in kids:
                if kid not in below:  # a cycle (corrupt data): leave it to the bounded walk
                    return None
                k_people, k_policies, k_premium, k_height = below[kid]
                k_won = won.get(kid, (0, zero))
                people += counted(kid) + k_people
                policies += k_won[0] + k_policies
                premium += k_won[1] + k_premium
                height = max(height, 1 + k_height)
            below[person] = (people, policies, premium, height)
    roots: dict[int, tuple] = {}
    for root, kids in own_children.items():
        people = direct = policies = deepest = 0
        premium = zero
        for kid in kids:
            k_people, k_policies, k_premium, k_height = below[kid]
            k_won = won.get(kid, (0, zero))
            people += counted(kid) + k_people
            direct += counted(kid)
            policies += k_won[0] + k_policies
            premium += k_won[1] + k_premium
            deepest = max(deepest, 1 + k_height)
        if deepest > MAX_LEVELS:
            return None
        roots[root] = (people, direct, policies, premium, deepest)
    none = (0, 0, 0, zero, 0)
    return [(*client, *roots.get(client[0], none)) for client in clients]


def _influence_figures_by_pairs(*, owner_id: int, start, end) -> list[tuple]:
    """The same rows from every (root, person below) pair, the walk bounded by MAX_LEVELS:
    quadratic along a chain. Kept for corrupt data and as the tests' oracle."""
    in_period = []
    period_params: list = []
    if start:
        in_period.append("pairs.given_on >= %s")
        period_params.append(start)
    if end:
        in_period.append("pairs.given_on <= %s")
        period_params.append(end)
    counted = " AND ".join(in_period) or "1 = 1"
    won_sql, won_params = _won_by_holder_sql(
        owner_id=owner_id, period=(start, end) if (start or end) else None
    )
    sql = (
        ROOT_PAIRS_SQL
        + f", won AS ({won_sql}),"
        + f""" ranked AS (
              SELECT pairs.root_id,
                     SUM(CASE WHEN {counted} THEN 1 ELSE 0 END) AS people,
                     SUM(CASE WHEN pairs.level = 1 AND {counted} THEN 1 ELSE 0 END) AS direct,
                     SUM(COALESCE(won.policies, 0)) AS policies,
                     SUM(won.premium) AS premium,
                     MAX(pairs.level) AS deepest
              FROM pairs LEFT JOIN won ON won.holder_id = pairs.client_id
              GROUP BY pairs.root_id
          )
          SELECT c.id, c.name, c.stage, c.is_influence_centre, c.archived_at,
                 COALESCE(ranked.people, 0), COALESCE(ranked.direct, 0),
                 COALESCE(ranked.policies, 0), ranked.premium, COALESCE(ranked.deepest, 0)
          FROM {_CLIENT} c LEFT JOIN ranked ON ranked.root_id = c.id
          WHERE c.owner_id = %s AND (ranked.root_id IS NOT NULL OR c.is_influence_centre)"""
    )
    params = [owner_id, MAX_LEVELS, *won_params, *period_params, *period_params, owner_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
