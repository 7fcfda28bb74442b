"""The policies panel on the client page (registered in PoliciesConfig.ready())."""

from typing import Any

from clients.models import Client

from . import selectors


def client_policies_panel(client: Client) -> dict[str, Any]:
    """The client's policies as holder and as insured, and their cover: three queries."""
    return {
        "client": client,
        "held": list(selectors.policies_held_by(client=client)),
        "insured": list(selectors.policies_insuring(client=client).exclude(holder=client)),
        "coverage": selectors.coverage_summary(client=client),
    }
