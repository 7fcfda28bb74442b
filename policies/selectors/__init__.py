"""Reads for policies, one module per subject: `policy` (the policies, scoped to their agent,
their cover and lapse risk) and `schedule` (premiums and payouts). Import from here or from the
subject module. Every query starts from a `*_for_user` scoping function."""

from .policy import *  # noqa: F403
from .schedule import *  # noqa: F403
