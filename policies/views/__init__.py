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
from .requests import (
    service_request_create,
    service_request_detail,
    service_request_document_add,
    service_request_document_remove,
    service_request_document_toggle,
    service_request_edit,
    service_request_list,
    service_request_set_status,
)
from .servicing import (
    delivery,
    delivery_tick,
    review_create,
    review_detail,
    review_edit,
)

__all__ = [
    "policy_create",
    "policy_detail",
    "policy_edit",
    "policy_list",
    "service_request_create",
    "service_request_detail",
    "service_request_document_add",
    "service_request_document_remove",
    "service_request_document_toggle",
    "service_request_edit",
    "service_request_list",
    "service_request_set_status",
    "payout_add",
    "payout_claim",
    "payout_delete",
    "payout_edit",
    "payout_generate",
    "policy_status_change",
    "premium_pay",
    "delivery",
    "delivery_tick",
    "review_create",
    "review_detail",
    "review_edit",
]
