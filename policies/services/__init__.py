"""Writes for policies, one module per subject: `policy` (the contract, its stored premium
dates and its status) and `schedule` (premium payments and payouts). Import from here or
from the subject module."""

from .policy import *  # noqa: F403
from .schedule import *  # noqa: F403
