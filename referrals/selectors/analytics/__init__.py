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

Modules: `premium` (premium won, shared), `chain` (the chain under one client), `influence`
(influence centres), `sources` (conversion by source). The names below stay importable from
`referrals.selectors.analytics`, where the callers import them.
"""

from .chain import (
    CHAIN_RENDER_LIMIT,
    STAGE_BADGES,
    ChainAncestor,
    ChainNode,
    ClientChain,
    StageCount,
    _ancestors,
    _chain_nodes,
    _chain_rows,
    _tree_order,
    client_chain,
)
from .influence import (
    INFLUENCE_MIN_PEOPLE,
    INFLUENCE_SORTS,
    INFLUENCE_SQL,
    INFLUENCE_TOP_N,
    InfluenceRow,
    _influence_figures,
    _influence_figures_by_pairs,
    influence_centres,
)
from .premium import PAYMENTS_PER_YEAR, WON_STATUSES, _money, _won_by_holder_sql
from .sources import DECK_CONVERSION, SourceAnalytics, SourceRow, source_analytics

__all__ = [
    "CHAIN_RENDER_LIMIT",
    "DECK_CONVERSION",
    "INFLUENCE_MIN_PEOPLE",
    "INFLUENCE_SORTS",
    "INFLUENCE_SQL",
    "INFLUENCE_TOP_N",
    "PAYMENTS_PER_YEAR",
    "STAGE_BADGES",
    "WON_STATUSES",
    "ChainAncestor",
    "ChainNode",
    "ClientChain",
    "InfluenceRow",
    "SourceAnalytics",
    "SourceRow",
    "StageCount",
    "_ancestors",
    "_chain_nodes",
    "_chain_rows",
    "_influence_figures",
    "_influence_figures_by_pairs",
    "_money",
    "_tree_order",
    "_won_by_holder_sql",
    "client_chain",
    "influence_centres",
    "source_analytics",
]
