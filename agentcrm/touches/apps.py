from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TouchesConfig(AppConfig):
    name = "agentcrm.touches"
    label = "touches"
    verbose_name = _("Service touches")

    def ready(self) -> None:
        from clients.panels import register_client_panel

        from .actions import touches_close_for_source
        from .registry import occasion_resolved
        from .selectors import touch_history_for_client

        occasion_resolved.connect(
            touches_close_for_source, weak=False, dispatch_uid="touches-occasion-resolved"
        )

        # The client page's touch history; clients does not import touches.
        register_client_panel(
            "touches/_client_panel.html",
            lambda client: touch_history_for_client(client=client),
        )
