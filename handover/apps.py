from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandoverConfig(AppConfig):
    name = "handover"
    label = "handover"
    verbose_name = _("Book handover")

    def ready(self) -> None:
        from touches.registry import register_client_panel

        from .selectors import client_agent_history

        register_client_panel(
            "handover/_client_panel.html",
            lambda client: {"agent_changes": client_agent_history(client=client)},
            order=40,
        )
