"""The referrals panels on the client page and the service page (registered in
ReferralsConfig.ready())."""

from datetime import date
from typing import Any

from clients.models import Client

from .selectors.pages import REASK_WARN_DAYS, client_referral_summary, reasks_in_period


def client_referrals_panel(client: Client) -> dict[str, Any]:
    """Who referred the client, whom they referred, how often they were asked: two queries."""
    return client_referral_summary(client=client)


def service_panel(agent, start: date, end: date) -> dict[str, Any]:
    """The deck's pitfall 过分利用介绍人 on the service page: asks that came within 30 days of
    an earlier ask of the same client (names as the other pitfalls show them, no phone)."""
    reasks = reasks_in_period(agent=agent, start=start, end=end)
    return {"reasks": reasks, "reask_days": REASK_WARN_DAYS}
