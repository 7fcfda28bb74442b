"""The agent's own referral analytics: the chain under a client, the influence centres
(影响力中心) and conversion by source, with the rows the pages draw (`ChainNode`,
`InfluenceRow`, `SourceRow`, `StageCount`).

Every figure is computed in a fixed number of queries whatever the size of the chains: the
chains are walked by the recursive CTEs of `selectors/chains.py`, joined in the same query to
the referral rows, the names and the premium sums grouped by holder.

Premium won. A person's premium won is the annualised premium of the policies they hold
(premium per payment × payments a year: annual 1, semi-annual 2, quarterly 4, monthly 12,
single premium counted once) whose status counts as business won (`WON_STATUSES`): issued and
not undone — in force, grace period, reinstated, paid-up, and the ones that ran their course
(matured, terminated by a claim). Pending applications are not won yet; lapsed and surrendered
policies were lost again, so they are left out. Policies sold by others (保单托管) never count:
every figure here is the agent's own (`Policy.objects.own()`).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from agentcrm.accounts.models import User
from clients.models import Client
from clients.selectors import clients_for_user
from policies.models import Policy

from ..models import Referral, Relationship, Stage
from .chains import ANCESTOR_EDGES_SQL, DESCENDANT_EDGES_SQL, MAX_LEVELS, ROOT_PAIRS_SQL

PAYMENTS_PER_YEAR = {
    Policy.Frequency.ANNUAL: 1,
    Policy.Frequency.SEMI_ANNUAL: 2,
    Policy.Frequency.QUARTERLY: 4,
    Policy.Frequency.MONTHLY: 12,
    Policy.Frequency.SINGLE: 1,
}
WON_STATUSES = (
    *Policy.ACTIVE_STATUSES,
    Policy.Status.MATURED,
    Policy.Status.TERMINATED_CLAIM,
)

# The chain page draws this many people (in tree order); the totals always cover everyone.
CHAIN_RENDER_LIMIT = 500
# Candidates for the client appreciation event (客户答谢会): the top few referrers with at
# least this many people in their chain, and every client marked as an influence centre.
INFLUENCE_TOP_N = 5
INFLUENCE_MIN_PEOPLE = 2

# The deck's study (Northwestern Mutual): referrals closed at 40%, cold calls at 11%.
DECK_CONVERSION = {Client.Source.REFERRAL: 40, Client.Source.COLD_CALL: 11}

# Bootstrap badge classes for the referral stages on the analytics pages.
STAGE_BADGES = {
    Stage.NEW: "text-bg-secondary",
    Stage.CONTACTED: "text-bg-info",
    Stage.MET: "text-bg-primary",
    Stage.PROPOSAL: "text-bg-warning",
    Stage.WON: "text-bg-success",
    Stage.LOST: "text-bg-dark",
}

_POLICY = Policy._meta.db_table
_CLIENT = Client._meta.db_table


def _won_by_holder_sql(*, owner_id: int, holders_sql: str = "", period=None) -> tuple[str, list]:
    """SQL for (holder_id, policies, premium) of the won policies of `owner_id`, grouped by
    holder; `holders_sql` narrows the holders (a `SELECT client_id FROM …` of the CTE),
    `period` (start, end) the effective dates."""
    cases = " ".join(f"WHEN %s THEN {int(n)}" for n in PAYMENTS_PER_YEAR.values())
    params: list = [str(frequency) for frequency in PAYMENTS_PER_YEAR]
    statuses = ", ".join("%s" for _ in WON_STATUSES)
    sql = (
        f"SELECT p.holder_id, COUNT(*) AS policies,"
        f" SUM(p.premium * CASE p.payment_frequency {cases} ELSE 1 END) AS premium"
        f" FROM {_POLICY} p WHERE p.owner_id = %s AND p.status IN ({statuses})"
        # Policies sold by others (保单托管) are the family's, not the agent's business won.
        " AND NOT p.sold_by_others"
    )
    params += [owner_id, *(str(s) for s in WON_STATUSES)]
    if holders_sql:
        sql += f" AND p.holder_id IN ({holders_sql})"
    if period:
        start, end = period
        if start:
            sql += " AND p.effective_date >= %s"
            params.append(start)
        if end:
            sql += " AND p.effective_date <= %s"
            params.append(end)
    return sql + " GROUP BY p.holder_id", params


def _money(value) -> Decimal:
    """SQLite sums decimals as floats: bring every sum back to cents."""
    if value is None:
        return Decimal("0.00")
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(Decimal("0.01"))


# --- The chain under one client ---------------------------------------------------------------


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


# --- Influence centres ----------------------------------------------------------------------


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


# --- Conversion by source -------------------------------------------------------------------


@dataclass
class SourceRow:
    source: str
    label: str
    prospects: int
    converted: int
    avg_days: float | None
    deck_rate: int | None = None

    @property
    def rate(self) -> float | None:
        """Conversion in per cent, one decimal; None with no prospects."""
        if not self.prospects:
            return None
        return round(self.converted * 100 / self.prospects, 1)


@dataclass
class SourceAnalytics:
    start: datetime.date | None
    end: datetime.date
    rows: list[SourceRow] = field(default_factory=list)

    @property
    def total(self) -> SourceRow:
        converted = [r for r in self.rows if r.converted and r.avg_days is not None]
        days = sum(r.avg_days * r.converted for r in converted)
        closed = sum(r.converted for r in converted)
        return SourceRow(
            source="",
            label="",
            prospects=sum(r.prospects for r in self.rows),
            converted=sum(r.converted for r in self.rows),
            avg_days=days / closed if closed else None,
        )

    def row(self, source: str) -> SourceRow:
        return next(r for r in self.rows if r.source == source)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def source_analytics(
    *, user: User, start: datetime.date | None, end: datetime.date
) -> SourceAnalytics:
    """Conversion and days to close by source for the clients `user` created in the period
    (local dates, both ends included; no start = since the beginning).

    Converted: holds at least one of the agent's own policies (any status: the sale was
    closed; a policy sold by others, `sold_by_others`, is no sale of theirs), at any time up
    to now. Days to close: the first own policy's application date (its effective date when
    none was recorded) minus the day the client was created. A client recorded after that
    first policy (an imported book's existing client) was never a prospect here: left out
    of both counts, not a sale in 0 days. One grouped query."""
    first_policy = (
        Policy.objects.own()
        .filter(holder=OuterRef("pk"), owner=user)
        .order_by()
        .values("holder")
        .annotate(first=Min(Coalesce("application_date", "effective_date")))
        .values("first")
    )
    clients = clients_for_user(user=user).filter(created_at__lt=_day_start(end) + _ONE_DAY)
    if start:
        clients = clients.filter(created_at__gte=_day_start(start))
    closed = Q(first_policy__isnull=False)
    figures = (
        clients.annotate(first_policy=Subquery(first_policy), created_on=TruncDate("created_at"))
        .filter(Q(first_policy__isnull=True) | Q(first_policy__gte=F("created_on")))
        .order_by()
        .values("source")
        .annotate(
            prospects=Count("id"),
            converted=Count("id", filter=closed),
            days=Avg(
                ExpressionWrapper(
                    F("first_policy") - F("created_on"),
                    output_field=DurationField(),
                ),
                filter=closed,
            ),
        )
    )
    found = {row["source"]: row for row in figures}
    rows = []
    for source in Client.Source:
        row = found.get(source.value, {})
        days = row.get("days")
        rows.append(
            SourceRow(
                source=source.value,
                label=source.label,
                prospects=row.get("prospects", 0),
                converted=row.get("converted", 0),
                avg_days=days.total_seconds() / 86400 if days is not None else None,
                deck_rate=DECK_CONVERSION.get(source),
            )
        )
    return SourceAnalytics(start=start, end=end, rows=rows)


_ONE_DAY = datetime.timedelta(days=1)
