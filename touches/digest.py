"""The morning email digest: each agent's list for the day, sent once per agent and day, at
the time and to the address the agent chose (DigestPreference; on, the account's address and
07:00 by default).

It reads through the touch selectors, so it shows exactly what the dashboard shows. The
digest claims (agent, day) with a conditional update of a JobMarker row, so a redelivered
task or a second beat never sends the same morning's mail twice. Beat asks every 15 minutes
who is due (`digest_recipients`): a user gets the mail at the first beat after their time.
"""

from datetime import date, time

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from agentcrm.accounts.models import User
from agentcrm.core.models import JobMarker

from . import selectors
from .models import DIGEST_DEFAULT_TIME, DigestPreference

DIGEST_JOB_PREFIX = "touch_digest:"
DIGEST_JOB = DIGEST_JOB_PREFIX + "{owner_id}"


def digest_preference_for(*, owner: User) -> DigestPreference:
    """The user's digest setting; the defaults (unsaved) if they never changed it."""
    return DigestPreference.objects.filter(owner=owner).first() or DigestPreference(owner=owner)


def digest_address(*, owner: User, preference: DigestPreference) -> str:
    """Where the digest goes: the address set for it, else the account's ("" for none)."""
    return preference.email or owner.email


def _wants_digest() -> Q:
    """Users who get the email: on (or never set: on by default) with an address to send to."""
    on = Q(digest_preference__isnull=True) | Q(digest_preference__enabled=True)
    # (`__gt=""`, not a negation: a negation would count a missing row as an address.)
    address = ~Q(email="") | Q(digest_preference__email__gt="")
    return on & Q(is_active=True) & address


def _owners_with_something_due(day: date):
    """What `digest_send` counts (open, due by `day`, the client still theirs and reachable):
    a user it would skip is not queued again every quarter of an hour."""
    return (
        selectors.Touch.objects.filter(selectors.reachable(), status="open", due_date__lte=day)
        .filter(client__owner_id=F("owner_id"))
        .values("owner")
    )


def digest_recipients(*, day: date, at: time = time.max) -> list[int]:
    """Users whose digest for `day` is due by `at` (local time) and not sent yet: the email
    on, an address, the send time reached, something open due by `day`, no claim for `day`.

    Beat asks every 15 minutes; each user's claim (`_digest_claim`) keeps it to one mail a
    day whatever the overlap. One query.
    """
    sent = JobMarker.objects.filter(
        name=Concat(Value(DIGEST_JOB_PREFIX), Cast(OuterRef("pk"), CharField())),
        last_completed_day__gte=day,
    )
    time_reached = Q(digest_preference__send_at__lte=at)
    if at >= DIGEST_DEFAULT_TIME:  # no setting: the default time
        time_reached |= Q(digest_preference__isnull=True)
    return list(
        User.objects.filter(_wants_digest(), time_reached)
        .filter(pk__in=_owners_with_something_due(day))
        .exclude(Exists(sent))
        .order_by("pk")
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
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        return False
    preference = digest_preference_for(owner=owner)
    address = digest_address(owner=owner, preference=preference)
    if not preference.enabled or not address:
        return False
    # The day's plan in the dashboard's groups and words (today, prepare now, passed).
    board = selectors.dashboard(user=owner, today=day)
    if not board.total:
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
            subject = translation.gettext("Today's plan (%(date)s)") % {
                "date": date_format(day, "DATE_FORMAT")
            }
            body = render_to_string("touches/email/digest.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    return True
