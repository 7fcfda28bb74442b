"""Reads for the after-sales work, one module per subject (`delivery`, `reviews`,
`requests`); import from here. Every query starts from a `*_for_user` scoping function or
from a policy got through one."""

from .delivery import *  # noqa: F403
from .requests import *  # noqa: F403
from .reviews import *  # noqa: F403
