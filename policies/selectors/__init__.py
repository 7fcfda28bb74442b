"""Reads for policies, one module per subject; import from here. Every query starts from a
`*_for_user` scoping function."""

from .policy import (
    AT_RISK,
    GAP_MESSAGES,
    PREMIUM_PAYING_STATUSES,
    SUMMARY_TYPES,
    CoverageSummary,
    CoverLine,
    PremiumState,
    coverage_summary,
    get_policy_for_user,
    lapse_risk_filter,
    policies_for_family_of,
    policies_for_user,
    policies_held_by,
    policies_insuring,
    policy_list,
    policy_premium_state,
)

__all__ = [
    "AT_RISK",
    "GAP_MESSAGES",
    "PREMIUM_PAYING_STATUSES",
    "SUMMARY_TYPES",
    "CoverLine",
    "CoverageSummary",
    "PremiumState",
    "coverage_summary",
    "get_policy_for_user",
    "lapse_risk_filter",
    "policies_for_family_of",
    "policies_for_user",
    "policies_held_by",
    "policies_insuring",
    "policy_list",
    "policy_premium_state",
]
