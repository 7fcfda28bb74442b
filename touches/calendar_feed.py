"""The agent's secret iCalendar feed (reminders outside the app): the same touches the
dashboard shows, read through the touch selectors, and the entries other apps register
(registry section 11, `register_feed_source`: client events).

Every text put in the feed goes through `ical_text`: control characters (a NUL or a form
feed pasted into a client's name, C1 codes from a bad import) are not allowed in iCalendar
text, and one of the common parsers then refuses the whole calendar, not just the event.
Line breaks and tabs become spaces; the other control characters are dropped.
"""

import re
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from icalendar import Calendar, Event

from agentcrm.accounts.models import User

from . import selectors
from .greetings import kind_label, touch_label
from .models import CalendarFeed
from .registry import feed_entries

FEED_DAYS_BACK = 7  # overdue touches stay in the calendar for a week
# The other apps' entries (registry section 11: client events) from a week back to this far on.
FEED_DAYS_AHEAD = 180
# The tokens new_feed_token makes (URL-safe base64); anything else is no feed.
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_BREAKS = re.compile(r"[\t\n\r\v\f\x85\u2028\u2029]+")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def ical_text(text: str) -> str:
    """`text` fit for an iCalendar TEXT value: breaks as one space, no control characters."""
    return re.sub(r" {2,}", " ", _CONTROLS.sub("", _BREAKS.sub(" ", text))).strip()


def calendar_feed_for(*, owner: User) -> CalendarFeed:
    feed, _ = CalendarFeed.objects.get_or_create(owner=owner)
    return feed


def calendar_feed_regenerate(*, owner: User) -> CalendarFeed:
    """A new secret: the old URL stops working at once."""
    feed = calendar_feed_for(owner=owner)
    feed.token = CalendarFeed._meta.get_field("token").default()
    feed.created_at = timezone.now()
    feed.save(update_fields=["token", "created_at"])
    return feed


def calendar_feed_owner(*, token: str) -> User | None:
    if not TOKEN_RE.fullmatch(token):
        return None  # never sent to the database (a NUL would be refused there)
    feed = CalendarFeed.objects.select_related("owner").filter(token=token).first()
    if feed is None or not feed.owner.is_active:
        return None
    return feed.owner


def calendar_feed_ics(*, owner: User, today: date) -> bytes:
    """Open touches from a week back to the end of the build horizon, as all-day events."""
    touches = (
        selectors.open_touches_for_user(user=owner)
        .filter(due_date__gte=today - timedelta(days=FEED_DAYS_BACK))
        .select_related("client")
        .order_by("due_date", "priority", "id")
    )
    cal = Calendar()
    cal.add("prodid", "-//AgentCRM//service touches//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", ical_text(translation.gettext("AgentCRM service touches")))
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now()
    for touch in touches:
        event = Event()
        event.add("uid", f"touch-{touch.pk}@agentcrm")
        event.add("dtstamp", stamp)
        event.add("dtstart", touch.due_date)
        event.add("dtend", touch.due_date + timedelta(days=1))
        about = touch_label(touch)
        title = f"{kind_label(touch.kind)} · {touch.client.name}"
        event.add("summary", ical_text(f"{title} · {about}" if about else title))
        event.add(
            "description",
            ical_text(
                translation.gettext("Occasion on %(date)s")
                % {"date": date_format(touch.occasion_date, "DATE_FORMAT")}
            ),
        )
        event.add("priority", {1: 1, 2: 5}.get(touch.priority, 9))
        cal.add_component(event)
    for entry in feed_entries(
        owner=owner,
        start=today - timedelta(days=FEED_DAYS_BACK),
        end=today + timedelta(days=FEED_DAYS_AHEAD),
    ):
        event = Event()
        event.add("uid", f"{entry.uid}@agentcrm")
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.start)
        if entry.end is not None:
            event.add("dtend", entry.end)
        elif isinstance(entry.start, date) and not hasattr(entry.start, "hour"):
            event.add("dtend", entry.start + timedelta(days=1))
        else:
            event.add("dtend", entry.start + timedelta(hours=1))
        event.add("summary", ical_text(entry.summary))
        if entry.description:
            event.add("description", ical_text(entry.description))
        if entry.location:
            event.add("location", ical_text(entry.location))
        cal.add_component(event)
    return cal.to_ical()
