"""Client appreciation events (举办客户联谊会): on start-up the app adds its panel to the
client page, its figures to the service page, its events to the calendar feed and its
invitations to the client merge. Its occasion kinds are in occasions.py."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Client events")

    def ready(self) -> None:
        from touches.registry import (
            register_client_panel,
            register_feed_source,
            register_merge_mover,
            register_service_panel,
        )

        from .panels import client_events_panel, event_feed_entries, service_events_panel
        from .services import events_merge_move, events_merge_undo

        register_client_panel("events/_client_panel.html", client_events_panel, order=36)
        register_service_panel(
            "events",
            template_name="events/_service_panel.html",
            context_fn=service_events_panel,
            order=70,
        )
        register_feed_source("events", event_feed_entries)
        register_merge_mover("events", move=events_merge_move, undo=events_merge_undo, order=50)
