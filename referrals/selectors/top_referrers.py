"""The top referrers of a period, each agent's best five (the team page's "top referrer" per
agent and the team's top five, which are among them).

A period's top five is not the sum of its months' top fives, but a referrer's count over the
period is the sum of their months': the nightly run keeps it per (agent, month, referrer)
(`ReferralMonthReferrer`) and, per (agent, referrer), the sum over every kept month
(`ReferralReferrerTotal`). Summing every referrer's months would read about as many rows as
there are referrals, so the page only sums the referrers who can rank:

- first, each agent's five best kept totals and five best over the days computed live
  (`live` ranges: the current month, a month changed since its build...), counted exactly
  (their kept months in the period plus their live days): the fifth best of those is a
  floor under the agent's fifth best;
- anyone else has at most their kept total in the kept months, and at most the fifth live
  count in the live days; so, second, the referrers whose kept total is at least (floor -
  that fifth live count) are counted too, and nobody left out can reach the floor;
- an agent with no such floor (fewer than five referrers with a count, or a floor so low
  that every referrer would be counted: a short period of a long history) is ranked from
  the referrals of the period, as without the summary.

Ties rank the older record (the smaller referrer id) first, in every path.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Window
from django.db.models.functions import RowNumber

from agentcrm.accounts.models import User

from ..models import Referral, ReferralMonthReferrer, ReferralReferrerTotal

# Referrers per agent taken by their kept total. More costs rows read on every long period;
# fewer sends more agents to the live count (measured with bench.referral_team).
CANDIDATES = 20

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


def _counts(
    *, pairs: set[tuple[int, int]], months: Sequence[datetime.date], live: Ranges
) -> dict[tuple[int, int], int]:
    """{(agent, referrer): referrals over the period} for these pairs: their kept months
    plus their live days (two queries)."""
    if not pairs:
        return {}
    agents, referrers = {a for a, _r in pairs}, {r for _a, r in pairs}
    kept = (
        ReferralMonthReferrer.objects.filter(
            agent_id__in=agents, month__in=months, referrer_id__in=referrers
        )
        .values("agent_id", "referrer_id")
        .annotate(n=Sum("given"))
        .order_by()
        .values_list("agent_id", "referrer_id", "n")
    )
    rows = list(kept)
    if live:
        # Apart, not a UNION: PostgreSQL runs a UNION's branches in parallel workers, whose
        # start costs more than these few thousand rows.
        rows += (
            Referral.objects.filter(
                in_ranges("given_on", live), owner_id__in=agents, referrer_id__in=referrers
            )
            .values("owner_id", "referrer_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("owner_id", "referrer_id", "n")
        )
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for a, r, n in rows:
        if (a, r) in pairs:
            counts[a, r] += n
    return counts


def _by_total(cuts: dict[int, int]) -> set[tuple[int, int]]:
    """The (agent, referrer) pairs whose kept total reaches the agent's cut (one query)."""
    if not cuts:
        return set()
    q = Q(pk__in=[])
    for agent_id, cut in cuts.items():
        q |= Q(agent_id=agent_id, given__gte=cut)
    return set(ReferralReferrerTotal.objects.filter(q).values_list("agent_id", "referrer_id"))


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
    Nine queries, plus one for the agents whose ranking the kept totals cannot settle."""
    if not months:
        return live_top(owner_ids=owner_ids, ranges=[period], limit=limit)
    ids = list(owner_ids)
    live_best = live_top(owner_ids=ids, ranges=live, limit=limit)
    live_counts: dict[int, list[int]] = defaultdict(list)
    for a, _r, n in live_best:
        live_counts[a].append(n)
    # The most live referrals a referrer outside an agent's live best can have.
    live_most = {a: min(ns) if len(ns) >= limit else 0 for a, ns in live_counts.items()}

    # First round: each agent's `limit` best kept totals (ties included) and live best.
    kept = ReferralReferrerTotal.objects.filter(agent_id=OuterRef("pk")).order_by("-given")
    cuts = dict(
        User.objects.filter(id__in=ids)
        .annotate(cut=Subquery(kept.values("given")[limit - 1 : limit]))
        .values_list("id", "cut")
    )
    pairs = _by_total({a: cut or 0 for a, cut in cuts.items()})
    pairs |= {(a, r) for a, r, _n in live_best}
    counts = _counts(pairs=pairs, months=months, live=live)

    # Second round: the `limit`-th best so far is a floor for the agent's `limit`-th; a
    # referrer whose kept total is below (floor - live_most) cannot reach it.
    by_agent: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (a, r), n in counts.items():
        by_agent[a].append((r, n))
    floors = {a: _best(by_agent[a], limit) for a in ids}
    needs = {
        a: best[-1][1] - live_most.get(a, 0)
        for a, best in floors.items()
        if len(best) == limit and best[-1][1] - live_most.get(a, 0) > 1
    }
    more = _by_total(needs) - pairs
    for (a, r), n in _counts(pairs=more, months=months, live=live).items():
        by_agent[a].append((r, n))

    ranked: list[Ranked] = []
    unsettled = [a for a in ids if a not in needs]
    for agent_id in needs:
        ranked += [(agent_id, r, n) for r, n in _best(by_agent[agent_id], limit)]
    return ranked + live_top(owner_ids=unsettled, ranges=[period], limit=limit)
