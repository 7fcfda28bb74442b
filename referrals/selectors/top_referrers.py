"""The top referrers of a period, each agent's best five (the team page's "top referrer" per
agent and the team's top five, which are among them).

A period's top five is not the sum of its months' top fives, but a referrer's count over the
period is the sum of their months': the nightly run keeps it per (agent, month, referrer)
(`ReferralMonthReferrer`) and, per (agent, referrer), the sum over every kept month
(`ReferralReferrerTotal`). Summing every referrer's months would read about as many rows as
there are referrals, so the page only sums the referrers who can rank:

- first, each agent's five best kept totals (ties included) are counted exactly (their
  kept months in the period plus their live days: `live` ranges, the current month, a
  month changed since its build...): the fifth best of those is a floor under the agent's
  fifth best;
- anyone else has at most their kept total in the kept months, and at most the agent's
  most live referrals by one referrer in the live days; so, second, the referrers whose
  kept total is at least (floor - that most) are counted too, and nobody left out can
  reach the floor;
- an agent with no such floor (fewer than five referrers with a count, a floor that live
  days alone could reach, or a floor so low that most referrers would be counted: a short
  period of a long history) is ranked from the referrals of the period, as without the
  summary.

Ties rank the older record (the smaller referrer id) first, in every path.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Window
from django.db.models.functions import RowNumber

from agentcrm.accounts.models import User

from ..models import Referral, ReferralMonthReferrer, ReferralReferrerTotal

Ranges = Sequence[tuple[datetime.date, datetime.date]]
# (agent id, referrer id, referrals in the period)
Ranked = tuple[int, int, int]


def in_ranges(field_name: str, ranges: Ranges) -> Q:
    """Q: the date field within any of the ranges (both ends included)."""
    q = Q(pk__in=[])
    for first, last in ranges:
        q |= Q(**{f"{field_name}__range": (first, last)})
    return q


def live_top(*, owner_ids: Sequence[int], ranges: Ranges, limit: int) -> list[Ranked]:
    """Each agent's `limit` best referrers over the date ranges, counted from the referrals
    (one windowed query)."""
    if not ranges or not owner_ids:
        return []
    rows = (
        Referral.objects.filter(in_ranges("given_on", ranges), owner_id__in=owner_ids)
        .values("owner_id", "referrer_id")
        .annotate(n=Count("id"))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("owner_id")],
                order_by=[Count("id").desc(), F("referrer_id").asc()],
            )
        )
        .filter(rank__lte=limit)
        .order_by()
    )
    return [(r["owner_id"], r["referrer_id"], r["n"]) for r in rows]


def _best(counts: Iterable[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """(referrer, count) pairs: the `limit` best with a count, ties by referrer id."""
    return sorted(((r, n) for r, n in counts if n), key=lambda rn: (-rn[1], rn[0]))[:limit]


def _kept_totals(bounds: dict[int, tuple[int, int | None]]) -> Q:
    """Q on `ReferralReferrerTotal`: each agent's kept totals within [low, high) (high None:
    no top). Agents sharing bounds share a clause, so a team is a handful of clauses, not
    one per agent (building and compiling fifty cost more than the query)."""
    agents: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    for agent_id, bound in bounds.items():
        agents[bound].append(agent_id)
    q = Q(pk__in=[])
    for (low, high), ids in agents.items():
        clause = Q(agent_id__in=ids, given__gte=low)
        if high is not None:
            clause &= Q(given__lt=high)
        q |= clause
    return q


def _counts(
    *,
    owner_ids: Sequence[int],
    totals: Q,
    months: Sequence[datetime.date],
    live: Ranges,
    subquery: bool,
) -> dict[tuple[int, int], int]:
    """{(agent, referrer): referrals over the period} for the referrers of the kept totals
    matching `totals`: their kept months plus their live days. The referrers as a subquery
    (two queries) when PostgreSQL estimates their number well (each agent's best few: it
    probes their index entries); else read first (three queries), as a misestimate makes it
    scan every kept month."""
    referrers = ReferralReferrerTotal.objects.filter(totals).values("referrer_id")
    if not subquery:
        referrers = list(referrers.values_list("referrer_id", flat=True))
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for a, r, n in (
        ReferralMonthReferrer.objects.filter(
            agent_id__in=owner_ids, month__in=months, referrer_id__in=referrers
        )
        .values("agent_id", "referrer_id")
        .annotate(n=Sum("given"))
        .order_by()
        .values_list("agent_id", "referrer_id", "n")
    ):
        counts[a, r] += n
    if live:
        for a, r, n in (
            Referral.objects.filter(
                in_ranges("given_on", live), owner_id__in=owner_ids, referrer_id__in=referrers
            )
            .values("owner_id", "referrer_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("owner_id", "referrer_id", "n")
        ):
            counts[a, r] += n
    return counts


def best_referrers(
    *,
    owner_ids: Sequence[int],
    period: tuple[datetime.date, datetime.date],
    months: Sequence[datetime.date],
    live: Ranges,
    limit: int,
) -> list[Ranked]:
    """Each agent's `limit` best referrers over the period: `months` are the whole months
    read from the summary, `live` the other days of the period (see the module's docstring).
    Eight queries, plus one for the agents whose ranking the kept totals cannot settle."""
    if not months:
        return live_top(owner_ids=owner_ids, ranges=[period], limit=limit)
    ids = list(owner_ids)
    # The most live referrals any one referrer has, per agent.
    live_most = {a: n for a, _r, n in live_top(owner_ids=ids, ranges=live, limit=1)}

    # First round: each agent's `limit` best kept totals, ties included.
    kept = ReferralReferrerTotal.objects.filter(agent_id=OuterRef("pk")).order_by("-given")
    cuts = dict(
        User.objects.filter(id__in=ids)
        .annotate(cut=Subquery(kept.values("given")[limit - 1 : limit]))
        .values_list("id", "cut")
    )
    first = _kept_totals({a: (cut or 1, None) for a, cut in cuts.items()})
    counts = _counts(owner_ids=ids, totals=first, months=months, live=live, subquery=True)

    # Second round: the `limit`-th best so far is a floor under the agent's `limit`-th. A
    # referrer left out has at most their kept total in the kept months, and in the live
    # days none (most referrers) or at most the agent's most live referrals by one
    # referrer: only kept totals of at least the floor, or (floor - that most) for the
    # referrers with live referrals, can reach it.
    by_agent: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (a, r), n in counts.items():
        by_agent[a].append((r, n))
    floors = {}
    for agent_id in ids:
        best = _best(by_agent[agent_id], limit)
        floor = best[-1][1] if len(best) == limit else 0
        # A referrer with no kept total (only live referrals) is never read as a candidate:
        # the floor must be above what live days alone give. A floor far under the best
        # kept totals (a short period of a long history) would count most referrers. Such
        # agents are ranked from the referrals of the period.
        if floor > live_most.get(agent_id, 0) and floor * 2 >= (cuts[agent_id] or 0):
            floors[agent_id] = floor
    live_referrers = Referral.objects.filter(in_ranges("given_on", live), owner_id__in=ids).values(
        "referrer_id"
    )
    settled, reachable = {}, {}
    for agent_id, floor in floors.items():
        if cuts[agent_id]:  # else the first round took every referrer of the agent
            settled[agent_id] = (floor, cuts[agent_id])
            reachable[agent_id] = (floor - live_most.get(agent_id, 0), cuts[agent_id])
    nothing = Q(pk__in=[])
    second = _kept_totals(settled) if settled else nothing
    if live and reachable:
        # One subquery for all agents (PostgreSQL hashes it once).
        second |= _kept_totals(reachable) & Q(referrer_id__in=live_referrers)
    if second != nothing:
        # Disjoint from the first round's referrers for these agents: counts are replaced.
        counts.update(
            _counts(owner_ids=ids, totals=second, months=months, live=live, subquery=False)
        )
        by_agent.clear()
        for (a, r), n in counts.items():
            by_agent[a].append((r, n))

    ranked: list[Ranked] = []
    for agent_id in floors:
        ranked += [(agent_id, r, n) for r, n in _best(by_agent[agent_id], limit)]
    unsettled = [a for a in ids if a not in floors]
    return ranked + live_top(owner_ids=unsettled, ranges=[period], limit=limit)
