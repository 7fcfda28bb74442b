"""The touches of a client appreciation event (举办客户联谊会), for each invitee:

- `event_invite`: send the invitation, on the day the client is put on the list;
- `event_remind`: remind those who accepted, the day before the event;
- `event_thank`: thank those who came, the day after the event (or the day their attendance
  is recorded, when that is later);
- `event_referral_ask`: ask those who came for referrals, two days after the thank-you
  (within the week of the event when attendance is recorded in time).

Set-based: each source is one queryset over Invitee made by `occasion_rows`. Every kind is
`dated`, so a changed answer, a moved event or a removed invitee retires the open touches
the source no longer gives (events.services calls `touch_retire_moved`).
"""

from datetime import timedelta

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from clients.selectors import contactable
from touches.registry import (
    BuildScope,
    OccasionKind,
    Priority,
    occasion_rows,
    register_client_trigger,
    register_occasion,
    source_of,
)

from .models import Invitee, InviteeStatus

INVITE_KIND = "event_invite"
REMIND_KIND = "event_remind"
THANK_KIND = "event_thank"
ASK_KIND = "event_referral_ask"
EVENT_KINDS = (INVITE_KIND, REMIND_KIND, THANK_KIND, ASK_KIND)
SOURCE_PREFIX = "invitee"
# Days after the thank-you that the ask for referrals falls due.
ASK_AFTER_THANK_DAYS = 2


def _rows(qs: QuerySet, scope: BuildScope) -> QuerySet:
    return occasion_rows(
        qs.filter(contactable("client__")),
        owner="event__owner_id",
        client="client_id",
        occasion=scope.occasion,
        source=source_of(SOURCE_PREFIX),
        label=F("event__title"),
    )


def invitation_owed(scope: BuildScope) -> list[QuerySet]:
    qs = Invitee.objects.filter(
        status=InviteeStatus.INVITED, invited_on=scope.occasion, event__date__gte=scope.occasion
    )
    return [_rows(qs, scope)]


def reminder_owed(scope: BuildScope) -> list[QuerySet]:
    qs = Invitee.objects.filter(status=InviteeStatus.ACCEPTED, event__date=scope.occasion)
    return [_rows(qs, scope)]


def _thanked_on(day) -> Q:
    """Attendees thanked on `day`: the day after the event, or the day attendance was
    recorded when that was after the event day."""
    return Q(event__date=day - timedelta(days=1), attended_on__lte=day - timedelta(days=1)) | Q(
        attended_on=day, event__date__lt=day - timedelta(days=1)
    )


def thanks_owed(scope: BuildScope) -> list[QuerySet]:
    qs = Invitee.objects.filter(_thanked_on(scope.occasion), status=InviteeStatus.ATTENDED)
    return [_rows(qs, scope)]


def asks_owed(scope: BuildScope) -> list[QuerySet]:
    thanked = scope.occasion - timedelta(days=ASK_AFTER_THANK_DAYS)
    qs = Invitee.objects.filter(_thanked_on(thanked), status=InviteeStatus.ATTENDED)
    return [_rows(qs, scope)]


def _client_of(invitee: Invitee) -> tuple[int, int] | None:
    return invitee.client_id, invitee.event.owner_id


register_occasion(
    OccasionKind(
        key=INVITE_KIND,
        label=_("Invite to the client event"),
        source=invitation_owed,
        lead_configurable=False,
        priority=Priority.HIGH,
        greeting=_(
            "{name}, to thank you for your support I am holding a small get-together, "
            "“{label}”, and would be honoured to have you there. May I count on you?"
        ),
        greeting_styles={
            "warm": _(
                "{name}, I'm holding a little get-together, “{label}”, to say thank you. "
                "It would be great to see you there!"
            ),
            "elder": _(
                "{name}, I am holding a small gathering, “{label}”, to thank you for your "
                "kindness over the years. It would mean a lot if you could come."
            ),
        },
        order=90,
        dated=True,
    )
)
register_occasion(
    OccasionKind(
        key=REMIND_KIND,
        label=_("Remind of the client event"),
        source=reminder_owed,
        default_lead_days=1,
        lead_configurable=False,
        priority=Priority.HIGH,
        greeting=_("{name}, a reminder that “{label}” is tomorrow. I look forward to seeing you!"),
        greeting_styles={
            "warm": _("{name}, don't forget: “{label}” is tomorrow. See you there!"),
            "elder": _(
                "{name}, a gentle reminder that “{label}” is tomorrow. I look forward to "
                "welcoming you."
            ),
        },
        order=91,
        dated=True,
    )
)
register_occasion(
    OccasionKind(
        key=THANK_KIND,
        label=_("Thank for coming to the event"),
        source=thanks_owed,
        lead_configurable=False,
        greeting=_(
            "{name}, thank you for coming to “{label}”. It was a pleasure to have you there!"
        ),
        greeting_styles={
            "warm": _("{name}, thanks so much for coming to “{label}”. It was great to see you!"),
            "elder": _(
                "{name}, thank you for honouring “{label}” with your presence. Please take "
                "good care of yourself."
            ),
        },
        order=92,
        dated=True,
        late_catch=False,
    )
)
register_occasion(
    OccasionKind(
        key=ASK_KIND,
        label=_("Ask an event guest for referrals"),
        source=asks_owed,
        lead_configurable=False,
        greeting=_(
            "{name}, I hope you enjoyed “{label}”. If any friends would like to join next "
            "time or hear about their cover, I would be glad to meet them."
        ),
        greeting_styles={
            "warm": _(
                "{name}, hope you had fun at “{label}”! If any friends want to come along "
                "next time, just bring them: I'd love to meet them."
            ),
            "elder": _(
                "{name}, I hope you enjoyed “{label}”. If relatives or friends would like "
                "advice on their cover, I would be honoured to help them too."
            ),
        },
        order=93,
        dated=True,
        late_catch=False,
    )
)
register_client_trigger(Invitee, _client_of, kinds=EVENT_KINDS)
