"""The chain under one client: the recursive walk joined to the referral rows and the premium
won per person (`client_chain`), with the rows the page draws (`ChainNode`, `ChainAncestor`,
`StageCount`)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from agentcrm.accounts.models import User
from clients.models import Client

from ...models import Referral, Relationship, Stage
from ..chains import ANCESTOR_EDGES_SQL, DESCENDANT_EDGES_SQL, MAX_LEVELS
from .premium import _CLIENT, _money, _won_by_holder_sql

# The chain page draws this many people (in tree order); the totals always cover everyone.
CHAIN_RENDER_LIMIT = 500

# Bootstrap badge classes for the referral stages on the analytics pages.
STAGE_BADGES = {
    Stage.NEW: "text-bg-secondary",
    Stage.CONTACTED: "text-bg-info",
    Stage.MET: "text-bg-primary",
    Stage.PROPOSAL: "text-bg-warning",
    Stage.WON: "text-bg-success",
    Stage.LOST: "text-bg-dark",
}


@dataclass
class ChainNode:
    client_id: int
    parent_id: int
    level: int
    referral_id: int
    name: str
    archived: bool
    relationship: str
    stage: str
    given_on: datetime.date
    policies: int
    premium: Decimal
    # Everyone below this person in the chain.
    below: int = 0

    @property
    def relationship_label(self) -> str:
        return Relationship(self.relationship).label if self.relationship in Relationship else ""

    @property
    def stage_label(self) -> str:
        return Stage(self.stage).label if self.stage in Stage else self.stage

    @property
    def badge(self) -> str:
        return STAGE_BADGES.get(self.stage, "text-bg-secondary")

    @property
    def indent(self) -> int:
        """Indentation steps on the page: capped so a deep chain still fits a phone."""
        return min(self.level - 1, 8)


@dataclass
class ChainAncestor:
    client_id: int
    name: str
    level: int
    # The referral by which this person referred the next one down towards the client.
    referral_id: int


@dataclass(frozen=True)
class StageCount:
    """How many referrals are at one stage (the chain page's totals, the client panel)."""

    stage: str
    label: str
    count: int

    @property
    def badge(self) -> str:
        return STAGE_BADGES.get(self.stage, "text-bg-secondary")


@dataclass
class ClientChain:
    ancestors: list[ChainAncestor]
    # The first CHAIN_RENDER_LIMIT people in tree order (depth first, each one's people
    # in the order they were given).
    nodes: list[ChainNode]
    people: int
    by_stage: list[StageCount]
    won: int
    policies: int
    premium: Decimal
    deepest: int
    direct: int
    limit: int = CHAIN_RENDER_LIMIT

    @property
    def truncated(self) -> bool:
        return self.people > len(self.nodes)

    @property
    def own_referral(self) -> ChainAncestor | None:
        """The referral that brought the client in (their nearest ancestor's edge)."""
        return self.ancestors[-1] if self.ancestors else None


def _chain_rows(*, owner_id: int, client_id: int) -> list[tuple]:
    """(client id, parent id, level, referral id, stage, policies won, premium won or None)
    for everyone below `client_id`, level by level and, within a level, in the order they
    were given — so each person's people are already in order for the tree. One query; the
    rows stay tuples (the chain may hold 10,000 people and only the drawn ones need more)."""
    won_sql, won_params = _won_by_holder_sql(
        owner_id=owner_id, holders_sql="SELECT client_id FROM chain"
    )
    sql = (
        DESCENDANT_EDGES_SQL
        + f", won AS ({won_sql})"
        + """ SELECT chain.client_id, chain.parent_id, chain.level, chain.referral_id,
                 chain.stage, COALESCE(won.policies, 0), won.premium
          FROM chain LEFT JOIN won ON won.holder_id = chain.client_id
          ORDER BY chain.level, chain.given_on, chain.referral_id"""
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [client_id, owner_id, MAX_LEVELS, *won_params])
        return cursor.fetchall()


def _tree_order(rows: list[tuple], root_id: int, limit: int) -> tuple[list[tuple], dict]:
    """The first `limit` rows depth first (each person followed by the people they referred)
    and {client id: people below them} for everyone. Iterative: a 1,000-level line is fine."""
    children: dict[int, list[tuple]] = {}
    for row in rows:
        children.setdefault(row[1], []).append(row)
    below: dict[int, int] = {}
    for row in reversed(rows):  # deepest level first: every child is counted before its parent
        below[row[1]] = below.get(row[1], 0) + below.get(row[0], 0) + 1
    ordered: list[tuple] = []
    stack = list(reversed(children.get(root_id, [])))
    while stack and len(ordered) < limit:
        row = stack.pop()
        ordered.append(row)
        stack.extend(reversed(children.get(row[0], [])))
    return ordered, below


def _chain_nodes(*, owner_id: int, ordered: list[tuple], below: dict) -> list[ChainNode]:
    """The drawn people with their names and referral details: one query."""
    details = {
        row[0]: row
        for row in Referral.objects.filter(
            owner_id=owner_id, id__in=[r[3] for r in ordered]
        ).values_list("id", "relationship", "given_on", "referred__name", "referred__archived_at")
    }
    nodes = []
    for client_id, parent_id, level, referral_id, stage, policies, premium in ordered:
        detail = details.get(referral_id)
        if detail is None:  # changed since the walk: leave it out rather than guess
            continue
        nodes.append(
            ChainNode(
                client_id=client_id,
                parent_id=parent_id,
                level=level,
                referral_id=referral_id,
                name=detail[3],
                archived=detail[4] is not None,
                relationship=detail[1],
                stage=stage,
                given_on=detail[2],
                policies=policies,
                premium=_money(premium),
                below=below.get(client_id, 0),
            )
        )
    return nodes


def _ancestors(*, owner_id: int, client_id: int) -> list[ChainAncestor]:
    sql = ANCESTOR_EDGES_SQL + (
        f"SELECT up.client_id, c.name, up.level, up.referral_id FROM up"
        f" JOIN {_CLIENT} c ON c.id = up.client_id AND c.owner_id = %s"
        f" ORDER BY up.level DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [client_id, MAX_LEVELS, owner_id])
        return [ChainAncestor(*row) for row in cursor.fetchall()]


def client_chain(*, user: User, client: Client, limit: int = CHAIN_RENDER_LIMIT) -> ClientChain:
    """The chain under `client` (loaded through `get_client_for_user`): the people they
    referred at every level, the ancestors above them and the totals over everyone. Three
    queries whatever the size: the walk with the premium sums, the drawn people's details
    and the ancestors."""
    rows = _chain_rows(owner_id=user.pk, client_id=client.pk)
    ordered, below = _tree_order(rows, client.pk, limit)
    counts: dict[str, int] = {}
    policies = deepest = direct = 0
    premium = Decimal("0.00")
    for _client_id, _parent, level, _referral, stage, won, amount in rows:
        counts[stage] = counts.get(stage, 0) + 1
        policies += won
        if amount is not None:
            premium += _money(amount)
        deepest = max(deepest, level)
        direct += level == 1
    return ClientChain(
        ancestors=_ancestors(owner_id=user.pk, client_id=client.pk),
        nodes=_chain_nodes(owner_id=user.pk, ordered=ordered, below=below),
        people=len(rows),
        by_stage=[StageCount(s.value, s.label, counts.get(s.value, 0)) for s in Stage],
        won=counts.get(Stage.WON, 0),
        policies=policies,
        premium=premium,
        deepest=deepest,
        direct=direct,
        limit=limit,
    )
