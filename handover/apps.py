from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandoverConfig(AppConfig):
    name = "handover"
    label = "handover"
    verbose_name = _("Book handover")

    def ready(self) -> None:
        from touches.registry import register_client_panel, register_merge_mover

        from .selectors import client_agent_history
        from .services import agent_changes_merge_move, agent_changes_merge_undo

        register_client_panel(
            "handover/_client_panel.html",
            lambda client: {"agent_changes": client_agent_history(client=client)},
            order=40,
        )
        register_merge_mover(
            "handover", move=agent_changes_merge_move, undo=agent_changes_merge_undo, order=40
        )
