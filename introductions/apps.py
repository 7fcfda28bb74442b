from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntroductionsConfig(AppConfig):
    name = "introductions"
    label = "introductions"
    verbose_name = _("Introductions")

    def ready(self) -> None:
        from touches.registry import (
            register_client_panel,
            register_merge_mover,
            register_service_panel,
        )

        from .selectors import client_introductions_panel, service_panel_context
        from .services import introductions_merge_move, introductions_merge_undo

        register_client_panel(
            "introductions/_client_panel.html", client_introductions_panel, order=35
        )
        register_service_panel(
            "introductions",
            template_name="introductions/_service_panel.html",
            context_fn=service_panel_context,
            order=60,
        )
        register_merge_mover(
            "introductions",
            move=introductions_merge_move,
            undo=introductions_merge_undo,
            order=60,
        )
