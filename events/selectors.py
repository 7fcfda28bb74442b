"""Reads for client events. Every read starts from `events_for_user`: an agent sees only
their own events (another agent's event or invitee is a 404)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from agentcrm.accounts.models import User
from clients.models import Client
from clients.selectors import ClientFilter, clients_for_user
from referrals.models import Context, Referral
from referrals.selectors.analytics import influence_centres
from touches.models import Touch

from .models import Event, EventGuest, Invitee, InviteeStatus
from .occasions import INVITE_KIND, SOURCE_PREFIX

# Referrals an attendee gives within this many days of the event count as the event's.
EVENT_REFERRAL_DAYS = 7
SUGGESTION_LIMIT = 30


def events_for_user(*, user: User) -> QuerySet[Event]:
    if not user.is_authenticated:
        return Event.objects.none()
    return Event.objects.filter(owner=user)


def get_event_for_user(*, user: User, pk: int) -> Event:
    return get_object_or_404(events_for_user(user=user), pk=pk)


def get_invitee_for_user(*, user: User, event: Event, pk: int) -> Invitee:
    return get_object_or_404(
        Invitee.objects.select_related("client", "event").filter(event__owner=user, event=event),
        pk=pk,
    )


def _status_counts() -> dict:
    return {
        status: Count("invitees", filter=Q(invitees__status=status))
        for status in InviteeStatus.values
    }


def event_list(*, user: User) -> QuerySet[Event]:
    """The agent's events, coming ones first (soonest first), then past ones (latest first),
    with the number of invitees in each state: one query."""
    counts = {f"n_{status}": expr for status, expr in _status_counts().items()}
    return events_for_user(user=user).annotate(n_invitees=Count("invitees"), **counts)


def split_events(events: list[Event], today: date) -> tuple[list[Event], list[Event]]:
    coming = sorted((e for e in events if e.date >= today), key=lambda e: (e.date, e.pk))
    past = sorted((e for e in events if e.date < today), key=lambda e: (e.date, e.pk), reverse=True)
    return coming, past


def event_invitees(*, event: Event) -> list[Invitee]:
    """The invite list, each invitee with `invitation_touch_id`: the invitation touch the
    build made for them (the greeting card's page links from it), or None. Two queries."""
    invitees = list(
        event.invitees.select_related("client")
        .annotate(n_guests=Count("guests"))
        .order_by("client__name", "id")
    )
    touches = invitation_touches(event=event, invitees=invitees)
    for invitee in invitees:
        invitee.invitation_touch_id = touches.get(invitee.pk)
    return invitees


def invitation_touches(*, event: Event, invitees: list[Invitee]) -> dict[int, int]:
    """Invitee id -> the id of the latest invitation touch for them (source "invitee:<id>",
    the event's agent's own): one query."""
    sources = {f"{SOURCE_PREFIX}:{invitee.pk}": invitee.pk for invitee in invitees}
    if not sources:
        return {}
    rows = (
        Touch.objects.filter(owner_id=event.owner_id, kind=INVITE_KIND, source__in=sources)
        .order_by("occasion_date", "id")
        .values_list("source", "pk")
    )
    return {sources[source]: pk for source, pk in rows}


def event_referrals(*, event: Event) -> QuerySet[Referral]:
    """The referrals the event produced: the guests invitees brought, and the names an
    attendee gave (context "event") within EVENT_REFERRAL_DAYS of it."""
    attendees = event.invitees.filter(status=InviteeStatus.ATTENDED).values("client_id")
    return (
        Referral.objects.filter(owner_id=event.owner_id)
        .filter(
            Q(event_guest__event=event)
            | Q(
                context=Context.EVENT,
                referrer_id__in=attendees,
                given_on__gte=event.date,
                given_on__lte=event.date + timedelta(days=EVENT_REFERRAL_DAYS),
            )
        )
        .select_related("referrer", "referred")
        .order_by("given_on", "id")
    )


@dataclass(frozen=True)
class EventFigures:
    counts: dict[str, int]
    invited: int
    attendees: int
    cost_per_attendee: Decimal | None
    referrals: int
    referrals_won: int


def event_figures(
    *, event: Event, invitees: list[Invitee], referrals: list[Referral]
) -> EventFigures:
    counts = dict.fromkeys(InviteeStatus.values, 0)
    for invitee in invitees:
        counts[invitee.status] += 1
    attendees = counts[InviteeStatus.ATTENDED]
    cost = (event.budget / attendees).quantize(Decimal("0.01")) if attendees else None
    return EventFigures(
        counts=counts,
        invited=len(invitees),
        attendees=attendees,
        cost_per_attendee=cost,
        referrals=len(referrals),
        referrals_won=sum(1 for r in referrals if r.stage == "won"),
    )


@dataclass(frozen=True)
class Suggestion:
    client_id: int
    name: str
    reason: str
    people: int


def invite_suggestions(*, user: User, event: Event) -> list[Suggestion]:
    """The influence centres and top referrers the referrals app ranks (its event
    candidates), not yet on this event's list, do-not-contact and archived left out."""
    invited = set(event.invitees.values_list("client_id", flat=True))
    rows = [r for r in influence_centres(user=user) if r.candidate and r.client_id not in invited]
    if not rows:
        return []
    reachable = set(
        clients_for_user(user=user, include_archived=False)
        .filter(pk__in=[r.client_id for r in rows], do_not_contact=False)
        .values_list("pk", flat=True)
    )
    return [
        Suggestion(
            client_id=r.client_id,
            name=r.name,
            reason="centre" if r.is_influence_centre else "referrer",
            people=r.people,
        )
        for r in rows
        if r.client_id in reachable
    ][:SUGGESTION_LIMIT]


def filtered_clients(*, user: User, event: Event, data) -> tuple[ClientFilter, QuerySet[Client]]:
    """Clients from the client list's own filters, not yet invited, who may be contacted."""
    base = clients_for_user(user=user, include_archived=False).filter(do_not_contact=False)
    filterset = ClientFilter(data, queryset=base)
    qs = (
        filterset.qs.exclude(event_invitations__event=event)
        .order_by("name", "id")
        .distinct()
        .only("id", "name", "vip_tier", "is_influence_centre")
    )
    return filterset, qs


def client_events_attended(*, client: Client) -> list[Invitee]:
    return list(
        Invitee.objects.filter(client=client)
        .select_related("event")
        .order_by("-event__date", "-id")[:10]
    )


def guests_by_invitee(*, event: Event) -> dict[int, list[EventGuest]]:
    guests: dict[int, list[EventGuest]] = {}
    for guest in event.guests.select_related("referral__referred"):
        guests.setdefault(guest.invitee_id, []).append(guest)
    return guests


@dataclass(frozen=True)
class AgentEventFigures:
    events: int
    invited: int
    attended: int
    spent: Decimal
    cost_per_attendee: Decimal | None
    referrals: int


def agent_event_figures(*, agent: User, start: date, end: date) -> AgentEventFigures:
    """The agent's events held in [start, end]: counts only (the service page and the
    manager's drill-down). Two queries."""
    events = Event.objects.filter(owner=agent, date__gte=start, date__lte=end)
    totals = events.aggregate(
        n=Count("id", distinct=True),
        invited=Count("invitees"),
        attended=Count("invitees", filter=Q(invitees__status=InviteeStatus.ATTENDED)),
    )
    spent = sum((e for e in events.values_list("budget", flat=True)), Decimal("0"))
    referrals = EventGuest.objects.filter(event__in=events).count()
    attended = totals["attended"] or 0
    return AgentEventFigures(
        events=totals["n"] or 0,
        invited=totals["invited"] or 0,
        attended=attended,
        spent=spent,
        cost_per_attendee=(spent / attended).quantize(Decimal("0.01")) if attended else None,
        referrals=referrals,
    )
