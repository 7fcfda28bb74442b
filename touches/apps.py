from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class TouchesConfig(AppConfig):
    # Listed after every app whose occasions it builds (settings.INSTALLED_APPS), so this
    # ready() runs once their models are loaded.
    name = "touches"
    label = "touches"
    verbose_name = _("Service touches")

    def ready(self) -> None:
        from .build import touch_build_on_bulk_write
        from .registry import (
            clients_bulk_written,
            occasion_reopened,
            occasion_resolved,
            register_client_panel,
            register_merge_mover,
        )
        from .selectors import touch_history_for_client
        from .services import (
            touches_close_for_source,
            touches_merge_move,
            touches_merge_undo,
            touches_reopen_for_source,
        )
        from .triggers import connect_client_triggers

        # Every app's occasions.py registers its kinds and triggers on import.
        autodiscover_modules("occasions")
        connect_client_triggers()

        occasion_resolved.connect(
            touches_close_for_source, weak=False, dispatch_uid="touches-occasion-resolved"
        )
        occasion_reopened.connect(
            touches_reopen_for_source, weak=False, dispatch_uid="touches-occasion-reopened"
        )
        clients_bulk_written.connect(
            touch_build_on_bulk_write, weak=False, dispatch_uid="touches-bulk-written"
        )
        register_client_panel(
            "touches/_client_panel.html",
            lambda client: touch_history_for_client(client=client),
            order=10,
        )
        register_merge_mover("touches", move=touches_merge_move, undo=touches_merge_undo, order=90)
