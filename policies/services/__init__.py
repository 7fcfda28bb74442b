"""Writes for policies, one module per subject; import from here."""

from .policy import (
    DATE_ORDER,
    EDITABLE_FIELDS,
    TRANSITIONS,
    beneficiary_shares_validate,
    insurer_grace_days_apply,
    payout_mark_claimed,
    payouts_generate,
    policies_lapse_overdue,
    policy_create,
    policy_premium_refresh,
    policy_set_status,
    policy_update,
    premium_record_payment,
)
from .servicing import (
    PayoutPattern,
    payout_add,
    payout_delete,
    payout_schedule_generate,
    payout_update,
)

__all__ = [
    "DATE_ORDER",
    "EDITABLE_FIELDS",
    "TRANSITIONS",
    "beneficiary_shares_validate",
    "insurer_grace_days_apply",
    "policies_lapse_overdue",
    "payout_mark_claimed",
    "payouts_generate",
    "policy_create",
    "policy_premium_refresh",
    "policy_set_status",
    "policy_update",
    "premium_record_payment",
    "PayoutPattern",
    "payout_add",
    "payout_delete",
    "payout_schedule_generate",
    "payout_update",
]
