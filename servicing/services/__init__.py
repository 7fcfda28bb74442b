"""Writes for the after-sales work, one module per subject (`delivery`, `reviews`,
`requests`); import from here. Each service is one transaction."""

from .delivery import *  # noqa: F403
from .requests import *  # noqa: F403
from .reviews import *  # noqa: F403
