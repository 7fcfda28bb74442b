"""The referrals panel on the client page (registered in ReferralsConfig.ready())."""

from typing import Any

from clients.models import Client

from .selectors.pages import client_referral_summary


def client_referrals_panel(client: Client) -> dict[str, Any]:
    """Who referred the client, whom they referred, how often they were asked: two queries."""
    return client_referral_summary(client=client)
