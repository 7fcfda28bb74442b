"""Reminders outside the app: the morning email digest and the iCalendar feed.

Both read through the touch selectors, so they show exactly what the dashboard shows. The
digest claims (agent, day) with a conditional update of a JobMarker row, so a redelivered
task or a second beat never sends the same morning's mail twice.
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar, Event

from agentcrm.accounts.models import User
from agentcrm.core.models import JobMarker

from . import selectors
from .greetings import kind_label, touch_label
from .models import CalendarFeed

FEED_DAYS_BACK = 7  # overdue touches stay in the calendar for a week
DIGEST_JOB = "touch_digest:{owner_id}"


# --- iCalendar ---------------------------------------------------------------------------


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
    cal.add("x-wr-calname", translation.gettext("AgentCRM service touches"))
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
        event.add("summary", f"{title} · {about}" if about else title)
        event.add(
            "description",
            translation.gettext("Occasion on %(date)s") % {"date": touch.occasion_date.isoformat()},
        )
        event.add("priority", {1: 1, 2: 5}.get(touch.priority, 9))
        cal.add_component(event)
    return cal.to_ical()


# --- email digest ------------------------------------------------------------------------


def digest_recipients(*, day: date) -> list[int]:
    """Active agents with an email address and something open due by `day`."""
    return list(
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            Q(
                pk__in=selectors.Touch.objects.filter(status="open", due_date__lte=day).values(
                    "owner"
                )
            )
        )
        .values_list("pk", flat=True)
    )


def _digest_claim(*, owner_id: int, day: date) -> bool:
    name = DIGEST_JOB.format(owner_id=owner_id)
    JobMarker.objects.get_or_create(name=name)
    return bool(
        JobMarker.objects.filter(name=name)
        .filter(Q(last_completed_day__isnull=True) | Q(last_completed_day__lt=day))
        .update(last_completed_day=day, last_success_at=timezone.now())
    )


def digest_send(*, owner_id: int, day: date) -> bool:
    """Send one agent's morning digest for `day`, at most once. Returns whether it was sent.

    The claim and the mail share a transaction: if sending fails, the claim is rolled back
    and a retry sends it.
    """
    owner = User.objects.filter(pk=owner_id, is_active=True).exclude(email="").first()
    if owner is None:
        return False
    board = selectors.dashboard(user=owner, today=day)
    if not any(board.counts.get(key) for key in ("urgent", "today", "overdue")):
        return False
    with transaction.atomic():
        if not _digest_claim(owner_id=owner_id, day=day):
            return False
        with translation.override(settings.LANGUAGE_CODE):
            context = {
                "owner": owner,
                "board": board,
                "day": day,
                "dashboard_url": settings.SITE_URL.rstrip("/") + reverse("dashboard"),
            }
            subject = translation.gettext("Today's service touches (%(date)s)") % {
                "date": day.isoformat()
            }
            body = render_to_string("touches/email/digest.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email])
    return True
