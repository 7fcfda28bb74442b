"""Writes of campaigns: creating one writes its touches, set-based."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from touches.build import touches_insert_rows
from touches.greetings import text_for_storage, unknown_placeholders
from touches.registry import occasion_rows, on_day

from .models import CAMPAIGN_KIND, Campaign
from .occasions import campaign_label
from .selectors import AUDIENCE_FIELDS, audience_for

# The placeholders a campaign's message may use: how each client is addressed.
MESSAGE_PLACEHOLDERS = frozenset({"name"})


def message_problems(message: str) -> list[str]:
    """Placeholders a campaign's message uses that it cannot fill ({节日} and {事由} are the
    greetings', not a campaign's)."""
    stored = text_for_storage(message)
    unknown = unknown_placeholders(stored)
    for word in ("festival", "label"):
        if f"{{{word}}}" in stored:
            unknown.append(word)
    return unknown


@transaction.atomic
def campaign_create(
    *,
    owner: User,
    reason: str,
    title: str,
    message: str,
    due_date: date,
    audience: Mapping[str, Any],
    today: date | None = None,
) -> Campaign:
    """Create the campaign and one open touch, due on `due_date`, for each client of the
    audience (do-not-contact clients left out and counted): ONE INSERT … SELECT, whatever
    the audience's size. An audience of nobody is refused, and nothing is written."""
    today = today or timezone.localdate()
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Give the campaign a title.")})
    if due_date < today:
        raise ValidationError({"due_date": _("The due date cannot be in the past.")})
    problems = message_problems(message)
    if problems:
        raise ValidationError(
            {
                "message": _("The message can only use {称呼}; not understood: %(words)s")
                % {"words": "、".join(f"{{{p}}}" for p in problems)}
            }
        )
    kept = {k: v for k, v in audience.items() if k in AUDIENCE_FIELDS and v not in ("", None)}
    found = audience_for(user=owner, data={k: str(v) for k, v in kept.items()})
    if not found.valid:
        raise ValidationError(_("Some of the audience's filters were not understood."))
    if not found.size:
        raise ValidationError(_("No client matches this audience: no campaign was made."))
    stored = text_for_storage(message.strip())
    # Every greeting calls the client by the 称呼: a message without one starts with it.
    if "{name}" not in stored:
        stored = "{name}，" + stored
    campaign = Campaign.objects.create(
        owner=owner,
        reason=reason,
        title=title,
        message=stored,
        due_date=due_date,
        audience={k: str(v) for k, v in kept.items()},
        do_not_contact_excluded=found.do_not_contact,
    )
    rows = occasion_rows(
        found.clients,
        owner="owner_id",
        client="id",
        occasion=on_day(due_date),
        source=campaign.touch_source,
        label=campaign_label(title=title, message=stored),
    )
    made = touches_insert_rows(kind=CAMPAIGN_KIND, rows=rows, due=due_date)
    campaign.touches_made = made
    campaign.save(update_fields=["touches_made"])
    return campaign
