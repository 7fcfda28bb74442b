"""Policy pages, one module per subject; urls.py imports the views from here."""

from .policy import policy_create, policy_detail, policy_edit, policy_list

__all__ = ["policy_create", "policy_detail", "policy_edit", "policy_list"]
