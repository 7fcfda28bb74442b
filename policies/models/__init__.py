"""Policies and what hangs off them. Split in two files so each can be read in one sitting:
`policy` holds the contract itself, `schedule` the rows dated against it."""

from .policy import Insurer, Policy, PolicyStatusChange
from .schedule import Beneficiary, Payout, PremiumPayment, Rider

__all__ = [
    "Beneficiary",
    "Insurer",
    "Payout",
    "Policy",
    "PolicyStatusChange",
    "PremiumPayment",
    "Rider",
]
