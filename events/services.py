"""Writes for client events: the event, its invite list, each invitee's answer and
attendance (through `core.transitions.status_move`: conditional on the status the agent
saw), the guests an invitee brought (referred prospects, context "event", through
referrals.services), and the merge mover.

Every write that changes invitees ends with the touch rebuild for their clients (the
registry's rule for writes that bypass post_save): the open event touches the source no
longer gives are retired first (a declined invitee is not reminded), then the missing
ones are built.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from agentcrm.core.transitions import status_move
from clients.models import Client
from referrals.models import Context
from referrals.services import Person, referral_request_record
from touches.build import touch_retire_moved
from touches.registry import touches_rebuild_for_clients

from .models import Event, EventGuest, Invitee, InviteeStatus, InviteeStatusChange
from .occasions import EVENT_KINDS

MAX_INVITEES_PER_ADD = 500


def _touches_refresh(client_ids: Iterable[int]) -> None:
    ids = sorted(set(client_ids))
    if not ids:
        return
    touch_retire_moved(client_ids=ids, kinds=EVENT_KINDS)
    touches_rebuild_for_clients(client_ids=ids, kinds=EVENT_KINDS)


def _check(event: Event) -> None:
    if event.budget is not None and event.budget < 0:
        raise ValidationError({"budget": _("The budget cannot be negative.")})
    if event.start_time and event.end_time and event.end_time <= event.start_time:
        raise ValidationError({"end_time": _("The event must end after it starts.")})
    event.full_clean(exclude=["owner"])


@transaction.atomic
def event_create(
    *,
    owner: User,
    title: str,
    date: date,
    start_time: time | None = None,
    end_time: time | None = None,
    venue: str = "",
    budget: Decimal = Decimal("0"),
    notes: str = "",
) -> Event:
    event = Event(
        owner=owner,
        title=title.strip(),
        date=date,
        start_time=start_time,
        end_time=end_time,
        venue=venue.strip(),
        budget=budget or Decimal("0"),
        notes=notes.strip(),
    )
    _check(event)
    event.save()
    return event


@transaction.atomic
def event_update(*, event: Event, **fields) -> Event:
    """Change the event's fields; a new date moves its reminders and thank-yous."""
    old_date = event.date
    for name, value in fields.items():
        if name not in {"title", "date", "start_time", "end_time", "venue", "budget", "notes"}:
            raise ValueError(name)
        setattr(event, name, value.strip() if isinstance(value, str) else value)
    if event.budget is None:
        event.budget = Decimal("0")
    _check(event)
    event.save()
    if event.date != old_date:
        _touches_refresh(event.invitees.values_list("client_id", flat=True))
    return event


@transaction.atomic
def invitees_add(
    *, event: Event, clients: Sequence[Client], by: User, today: date | None = None
) -> list[Invitee]:
    """Put clients on the list (those already on it are left as they are). Each gets the
    "send the invitation" touch today."""
    today = today or timezone.localdate()
    if any(c.owner_id != event.owner_id for c in clients):
        raise ValidationError(_("Only your own clients can be invited."))
    if len(clients) > MAX_INVITEES_PER_ADD:
        raise ValidationError(
            _("Invite at most %(count)s clients at a time.") % {"count": MAX_INVITEES_PER_ADD}
        )
    if event.date < today:
        raise ValidationError(_("This event is over: nobody can be invited any more."))
    if any(c.archived_at is not None or c.do_not_contact for c in clients):
        raise ValidationError(_("Archived and do-not-contact clients cannot be invited."))
    already = set(event.invitees.values_list("client_id", flat=True))
    now = timezone.now()
    new = [
        Invitee(
            event=event,
            client=c,
            status=InviteeStatus.INVITED,
            invited_on=today,
            status_changed_at=now,
        )
        for c in {c.pk: c for c in clients}.values()
        if c.pk not in already
    ]
    made = Invitee.objects.bulk_create(new, ignore_conflicts=True)
    saved = list(event.invitees.filter(client_id__in=[i.client_id for i in made]))
    InviteeStatusChange.objects.bulk_create(
        [
            InviteeStatusChange(
                invitee=i, from_status="", to_status=InviteeStatus.INVITED, at=now, by=by
            )
            for i in saved
        ]
    )
    # The touches are built from the real today: a list written for a past day (the demo
    # data) makes no pile of overdue invitations.
    _touches_refresh([i.client_id for i in saved])
    return saved


@transaction.atomic
def invitee_remove(*, invitee: Invitee) -> None:
    if invitee.guests.exists():
        raise ValidationError(
            _("%(name)s brought guests to the event: the invitation stays on the list.")
            % {"name": invitee.client.name}
        )
    client_id = invitee.client_id
    invitee.delete()
    touch_retire_moved(client_ids=[client_id], kinds=EVENT_KINDS)


def _stamps(to: str, today: date) -> dict:
    if to in (InviteeStatus.ACCEPTED, InviteeStatus.DECLINED):
        return {"answered_on": today}
    if to in (InviteeStatus.ATTENDED, InviteeStatus.NO_SHOW):
        return {"attended_on": today}
    return {}


@transaction.atomic
def invitee_status_move(
    *,
    invitee: Invitee,
    to: str,
    by: User,
    note: str = "",
    today: date | None = None,
    at: datetime | None = None,
) -> InviteeStatusChange:
    """Move the invitee from the status the agent saw (`invitee.status` as loaded) to `to`,
    with the day of the step (`today`; `at` the moment logged, now unless given).
    Attendance is recorded from the event day on."""
    today = today or timezone.localdate()
    if to in (InviteeStatus.ATTENDED, InviteeStatus.NO_SHOW) and today < invitee.event.date:
        raise ValidationError(
            {"status": _("Attendance can be recorded from the day of the event.")}
        )
    if to in (InviteeStatus.ACCEPTED, InviteeStatus.DECLINED) and today > invitee.event.date:
        raise ValidationError(
            {"status": _("The event is over: record whether the client came instead.")}
        )
    stamps = _stamps(to, today)
    if to == InviteeStatus.ACCEPTED:
        stamps["attended_on"] = None
    change = status_move(
        obj=invitee,
        to=to,
        transitions=Invitee.TRANSITIONS,
        refused=_("An invitee cannot go from %(from)s to %(to)s."),
        stale=_("This invitee was changed meanwhile (now %(now)s): look again and retry."),
        by=by,
        note=note,
        log_model=InviteeStatusChange,
        log_fields={"invitee": invitee},
        extra=stamps,
        stamp="status_changed_at",
        at=at,
    )
    _touches_refresh([invitee.client_id])
    return change


@transaction.atomic
def event_guest_add(
    *, invitee: Invitee, person: Person, by: User, today: date | None = None
) -> EventGuest:
    """A guest the invitee brought: a referred prospect of the invitee (context "event",
    given on the day recorded), linked to the event. Only someone who came can have brought
    a guest."""
    today = today or timezone.localdate()
    if invitee.status != InviteeStatus.ATTENDED:
        raise ValidationError(
            _("Record that %(name)s came before adding the guests they brought.")
            % {"name": invitee.client.name}
        )
    if not person.existing and not person.name.strip():
        raise ValidationError({"name": _("Enter the guest's name.")})
    # Recorded as the names given at the event (an ask in context "event" with one name), so
    # the guest has their ask like every referred prospect and the event's asks are counted.
    request = referral_request_record(
        owner=invitee.event.owner,
        client=invitee.client,
        asked_on=today,
        context=Context.EVENT,
        people=[person],
        notes=_("Brought to “%(event)s” as a guest") % {"event": invitee.event.title},
        by=by,
    )
    referral = request.referrals.get()
    return EventGuest.objects.create(event=invitee.event, invitee=invitee, referral=referral)


# --- Merging two records of one client --------------------------------------------------


def events_merge_move(kept: Client, other: Client, choices) -> dict:
    """The absorbed client's invitations move to the kept one, except to events the kept
    one is on already (those stay with the absorbed record, which is archived)."""
    kept_events = Invitee.objects.filter(client=kept).values("event_id")
    rows = Invitee.objects.filter(client=other).exclude(event_id__in=kept_events)
    ids = list(rows.values_list("pk", flat=True))
    if ids:
        Invitee.objects.filter(pk__in=ids).update(client=kept)
    return {"invitees": ids} if ids else {}


def events_merge_undo(kept: Client, other: Client, moved) -> None:
    ids = list(moved.get("invitees", ()))
    if ids:
        Invitee.objects.filter(pk__in=ids, client=kept).update(client=other)
