"""Panels other apps add to the client page.

Clients must not import the apps built on it (accounts ← clients ← policies), so those apps
register a panel here from their AppConfig.ready(): a template and a function that returns
its context for one client. The function should run a fixed number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .models import Client

PanelContext = Callable[[Client], dict[str, Any]]


@dataclass(frozen=True)
class Panel:
    template_name: str
    context_fn: PanelContext


@dataclass(frozen=True)
class RenderedPanel:
    template_name: str
    context: dict[str, Any]


_panels: list[Panel] = []


def register_client_panel(template_name: str, context_fn: PanelContext) -> None:
    """Add a panel; registering the same template again replaces it (ready() may rerun)."""
    _panels[:] = [p for p in _panels if p.template_name != template_name]
    _panels.append(Panel(template_name=template_name, context_fn=context_fn))


def client_panels(*, client: Client) -> list[RenderedPanel]:
    """Each registered panel with its context for `client`, in registration order."""
    return [RenderedPanel(p.template_name, p.context_fn(client)) for p in _panels]
