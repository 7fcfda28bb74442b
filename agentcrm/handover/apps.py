from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandoverConfig(AppConfig):
    name = "agentcrm.handover"
    label = "handover"
    verbose_name = _("Book handover")

    def ready(self) -> None:
        from clients.panels import register_client_panel

        from . import occasions
        from .selectors import client_agent_history

        occasions.register()
        register_client_panel(
            "handover/_client_panel.html",
            lambda client: {"agent_changes": client_agent_history(client=client)},
        )
