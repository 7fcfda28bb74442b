"""The after-sales models, one module per subject: `delivery` (the delivery checklist),
`reviews` (the annual review), `requests` (servicing and claims)."""

from .delivery import *  # noqa: F403
from .requests import *  # noqa: F403
from .reviews import *  # noqa: F403
