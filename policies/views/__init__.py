"""Policy pages, one module per subject; urls.py imports the views from here."""

from .policy import policy_create, policy_detail, policy_edit, policy_list
from .records import (
    payout_add,
    payout_claim,
    payout_delete,
    payout_edit,
    payout_generate,
    policy_status_change,
    premium_pay,
)

__all__ = [
    "policy_create",
    "policy_detail",
    "policy_edit",
    "policy_list",
    "payout_add",
    "payout_claim",
    "payout_delete",
    "payout_edit",
    "payout_generate",
    "policy_status_change",
    "premium_pay",
]
