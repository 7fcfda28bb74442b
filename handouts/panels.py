"""The client-page panel (registered in HandoutsConfig.ready): the way to the household page,
the PDF and the long image. No query."""

from typing import Any

from clients.models import Client


def client_household_panel(client: Client) -> dict[str, Any]:
    return {"client": client}
