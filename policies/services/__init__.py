"""Writes for policies, one module per subject; import from here."""

from .policy import (
    DATE_ORDER,
    EDITABLE_FIELDS,
    TRANSITIONS,
    beneficiary_shares_validate,
    payout_mark_claimed,
    payouts_generate,
    policy_create,
    policy_set_status,
    policy_update,
    premium_record_payment,
)

__all__ = [
    "DATE_ORDER",
    "EDITABLE_FIELDS",
    "TRANSITIONS",
    "beneficiary_shares_validate",
    "payout_mark_claimed",
    "payouts_generate",
    "policy_create",
    "policy_set_status",
    "policy_update",
    "premium_record_payment",
]
