"""The morning email digest: each agent's list for the day, sent once per agent and day.

It reads through the touch selectors, so it shows exactly what the dashboard shows. The
digest claims (agent, day) with a conditional update of a JobMarker row, so a redelivered
task or a second beat never sends the same morning's mail twice.
"""

from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from agentcrm.accounts.models import User
from agentcrm.core.models import JobMarker

from . import selectors

DIGEST_JOB = "touch_digest:{owner_id}"


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
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email])
    return True
