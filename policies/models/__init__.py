"""The policy and what is dated against it, one module per subject: `policy` (insurers, the
contract and its status history) and `schedule` (beneficiaries, riders, payouts and premium
payments)."""

from .policy import *  # noqa: F403
from .schedule import *  # noqa: F403
