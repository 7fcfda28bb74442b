"""What events adds to other pages (registered in EventsConfig.ready()): the client page's
"events" panel, the service page's events figures and the calendar feed's entries."""

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from clients.models import Client
from touches.registry import FeedEntry

from .models import Event
from .selectors import agent_event_figures, client_events_attended


def client_events_panel(client: Client) -> dict[str, Any]:
    """The events the client was invited to and what became of it: one query."""
    return {"event_invitations": client_events_attended(client=client)}


def service_events_panel(agent: User, start: date, end: date) -> dict[str, Any]:
    """Counts and money only: the same context serves the manager's drill-down."""
    return {"event_figures": agent_event_figures(agent=agent, start=start, end=end)}


def _moment(day: date, at) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def event_feed_entries(owner: User, start: date, end: date) -> list[FeedEntry]:
    """The agent's events in [start, end]: one query."""
    entries = []
    for event in Event.objects.filter(owner=owner, date__gte=start, date__lte=end).order_by(
        "date", "id"
    ):
        if event.start_time:
            begin = _moment(event.date, event.start_time)
            finish = (
                _moment(event.date, event.end_time)
                if event.end_time
                else begin + timedelta(hours=2)
            )
        else:
            begin, finish = event.date, event.date + timedelta(days=1)
        entries.append(
            FeedEntry(
                uid=f"event-{event.pk}",
                summary=_("Client event · %(title)s") % {"title": event.title},
                start=begin,
                end=finish,
                description=event.notes,
                location=event.venue,
            )
        )
    return entries
