"""What gifts adds to other pages (registered in GiftsConfig.ready()): the client page's
gifts card, the service page's figures, and the "log the gift" link on birthday and
festival touches (offered while open and once done)."""

from datetime import date
from typing import Any

from django.urls import reverse
from django.utils import timezone

from agentcrm.accounts.models import User
from clients.models import Client

from .selectors import agent_gift_figures, client_gifts_panel

GIFT_TOUCH_KINDS = ("birthday", "family_birthday", "festival", "wedding_anniversary")
_OCCASION_OF_KIND = {
    "birthday": "birthday",
    "family_birthday": "birthday",
    "wedding_anniversary": "anniversary",
}


def client_panel(client: Client) -> dict[str, Any]:
    return client_gifts_panel(client=client, today=timezone.localdate())


def service_panel(agent: User, start: date, end: date) -> dict[str, Any]:
    """Counts and money; the gifts above the cap with the client's name masked."""
    figures = agent_gift_figures(agent=agent, start=start, end=end)
    for gift in figures.above:
        gift.client_masked = f"{gift.client.name[:1]}**"
    return {"gift_figures": figures}


def log_gift_url(touch) -> str:
    """The touch's client's gift log, with the occasion chosen (a festival touch's source
    is "festival:<key>")."""
    occasion = _OCCASION_OF_KIND.get(touch.kind) or touch.source.partition(":")[2] or touch.label
    return reverse("client_gifts:log", args=[touch.client_id]) + f"?occasion={occasion}"
