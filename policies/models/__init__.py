"""Policies and what hangs off them, split so each file can be read in one sitting:
`policy` holds the contract itself, `schedule` the rows dated against it, `servicing` the
after-sales work (delivery, annual review, servicing and claims)."""

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
