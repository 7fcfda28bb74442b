"""The event pages: the list, planning one event, and its page (the invite list with the
suggestions, the answers and attendance, the guests brought, the figures).

Every object is loaded through `selectors.get_*_for_user` (another agent's event or invitee:
404); writes go through `events.services`, and a refusal comes back as a message, with
nothing written."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agentcrm.core import versions
from agentcrm.core.forms import add_service_errors, model_form_values
from clients.selectors import clients_for_user, possible_duplicates
from referrals.models import Relationship
from referrals.services import Person

from . import selectors, services
from .forms import EventForm, GuestForm, InviteForm, StatusForm
from .models import Invitee, InviteeStatus

FILTER_SHOWN = 50


def event_list(request):
    today = timezone.localdate()
    coming, past = selectors.split_events(list(selectors.event_list(user=request.user)), today)
    return render(request, "events/event_list.html", {"coming": coming, "past": past})


def event_create(request):
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(owner=request.user, **model_form_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Event created: now invite your clients."))
            return redirect("events:detail", pk=event.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "events/event_form.html", {"form": form}, status=status)


def event_edit(request, pk: int):
    event = selectors.get_event_for_user(user=request.user, pk=pk)
    form = EventForm(request.POST or None, instance=event)
    version = versions.opened(request, instance=event, fields=EventForm._meta.fields)
    if request.method == "POST":
        with transaction.atomic():  # the version checked and the save under one lock
            current = versions.stale(
                request, instance=event, form=form, fields=EventForm._meta.fields
            )
            if current:
                fresh = selectors.get_event_for_user(user=request.user, pk=pk)
                return versions.conflict_page(
                    request,
                    current=current,
                    forms_pairs=[(EventForm(instance=fresh), form)],
                    title=fresh.title,
                    back_url=reverse("events:detail", args=[pk]),
                )
            saved = False
            if form.is_valid():
                try:
                    services.event_update(event=event, **model_form_values(form))
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    saved = True
        if saved:
            messages.success(request, _("Event saved."))
            return redirect("events:detail", pk=event.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "events/event_form.html",
        {"form": form, "event": event, "version": version},
        status=status,
    )


# What each status offers next on the page, in this order.
NEXT_STEPS = {
    InviteeStatus.INVITED: [InviteeStatus.ACCEPTED, InviteeStatus.DECLINED],
    InviteeStatus.ACCEPTED: [InviteeStatus.DECLINED],
    InviteeStatus.DECLINED: [InviteeStatus.ACCEPTED],
    InviteeStatus.ATTENDED: [InviteeStatus.NO_SHOW],
    InviteeStatus.NO_SHOW: [InviteeStatus.ATTENDED],
}
ATTENDANCE_STEPS = {
    InviteeStatus.INVITED: [InviteeStatus.ATTENDED, InviteeStatus.NO_SHOW],
    InviteeStatus.ACCEPTED: [InviteeStatus.ATTENDED, InviteeStatus.NO_SHOW],
    InviteeStatus.DECLINED: [InviteeStatus.ATTENDED],
    InviteeStatus.ATTENDED: [InviteeStatus.NO_SHOW],
    InviteeStatus.NO_SHOW: [InviteeStatus.ATTENDED],
}


def _detail_context(request, event, **extra) -> dict:
    today = timezone.localdate()
    invitees = selectors.event_invitees(event=event)
    referrals = list(selectors.event_referrals(event=event))
    guests = selectors.guests_by_invitee(event=event)
    started = today >= event.date
    labels = {value: str(label) for value, label in InviteeStatus.choices}
    table = ATTENDANCE_STEPS if started else NEXT_STEPS
    steps = {status: [(s, labels[s]) for s in table[status]] for status in table}
    # The rows' form actions, without a URL reversal per row: "<event>/invitees/<id>/…".
    base = reverse("events:detail", args=[event.pk]) + "invitees/"
    clients_base = reverse("clients:list")
    for invitee in invitees:
        invitee.steps = steps[invitee.status]
        invitee.status_label = labels[invitee.status]
        invitee.brought = guests.get(invitee.pk, [])
        invitee.url = f"{base}{invitee.pk}/"
        invitee.client_url = f"{clients_base}{invitee.client_id}/"
    filterset, filtered = selectors.filtered_clients(
        user=request.user, event=event, data=request.GET
    )
    filtered_count = filtered.count() if request.GET else 0
    context = {
        "event": event,
        "today": today,
        "started": started,
        "invitees": invitees,
        "referrals": referrals,
        "figures": selectors.event_figures(event=event, invitees=invitees, referrals=referrals),
        "suggestions": selectors.invite_suggestions(user=request.user, event=event)
        if not event.date < today
        else [],
        "filter": filterset,
        "filtered": list(filtered[:FILTER_SHOWN]) if request.GET else [],
        "filtered_count": filtered_count,
        "filter_shown": FILTER_SHOWN,
        "relationships": [(v, str(label)) for v, label in Relationship.choices],
        "statuses": InviteeStatus,
    }
    context.update(extra)
    return context


def event_detail(request, pk: int):
    event = selectors.get_event_for_user(user=request.user, pk=pk)
    return render(request, "events/event_detail.html", _detail_context(request, event))


@require_POST
def event_invite(request, pk: int):
    event = selectors.get_event_for_user(user=request.user, pk=pk)
    ids = [v for v in request.POST.getlist("clients") if v.isdigit()]
    allowed = clients_for_user(user=request.user, include_archived=False).filter(
        pk__in=ids, do_not_contact=False
    )
    form = InviteForm(request.POST, client_ids=list(allowed.values_list("pk", flat=True)))
    if not form.is_valid():
        messages.error(
            request,
            _("Nobody was invited: %(errors)s") % {"errors": " ".join(form.errors["clients"])},
        )
        return redirect("events:detail", pk=event.pk)
    clients = list(allowed.filter(pk__in=form.cleaned_data["clients"]))
    try:
        added = services.invitees_add(event=event, clients=clients, by=request.user)
    except ValidationError as exc:
        messages.error(
            request, _("Nobody was invited: %(errors)s") % {"errors": " ".join(exc.messages)}
        )
    else:
        messages.success(
            request,
            _("%(count)s clients invited: the invitations are on your dashboard.")
            % {"count": len(added)},
        )
    return redirect("events:detail", pk=event.pk)


@require_POST
def invitee_remove(request, pk: int, invitee_id: int):
    event = selectors.get_event_for_user(user=request.user, pk=pk)
    invitee = selectors.get_invitee_for_user(user=request.user, event=event, pk=invitee_id)
    try:
        services.invitee_remove(invitee=invitee)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s is off the list.") % {"name": invitee.client.name})
    return redirect("events:detail", pk=event.pk)


@require_POST
def invitee_status(request, pk: int, invitee_id: int):
    event = selectors.get_event_for_user(user=request.user, pk=pk)
    invitee: Invitee = selectors.get_invitee_for_user(user=request.user, event=event, pk=invitee_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was changed: choose a status."))
        return redirect("events:detail", pk=event.pk)
    # The step starts from the status the agent saw: a change made meanwhile is refused.
    invitee.status = form.cleaned_data["seen"]
    try:
        services.invitee_status_move(
            invitee=invitee,
            to=form.cleaned_data["to"],
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(
            request, _("Nothing was changed: %(errors)s") % {"errors": " ".join(exc.messages)}
        )
    else:
        messages.success(
            request,
            _("%(name)s: %(status)s.")
            % {"name": invitee.client.name, "status": invitee.get_status_display()},
        )
    return redirect(f"{event.get_absolute_url()}#invitee-{invitee.pk}")


@require_POST
def guest_add(request, pk: int, invitee_id: int):
    event = selectors.get_event_for_user(user=request.user, pk=pk)
    invitee = selectors.get_invitee_for_user(user=request.user, event=event, pk=invitee_id)
    form = GuestForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        # The one duplicate rule: a guest whose mobile is already on one of the agent's
        # records is linked to it, not copied.
        matches = (
            possible_duplicates(user=request.user, name=data["name"], mobile=data["mobile"])
            if data["mobile"]
            else []
        )
        existing = next((row["client"] for row in matches if "mobile" in row["keys"]), None)
        person = Person(
            name=data["name"],
            mobile=data["mobile"] or "",
            occupation=data["occupation"],
            relationship=data["relationship"],
            existing=existing,
        )
        try:
            guest = services.event_guest_add(invitee=invitee, person=person, by=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(guest)s recorded as a prospect referred by %(name)s.")
                % {"guest": guest.referral.referred.name, "name": invitee.client.name},
            )
            return redirect(f"{event.get_absolute_url()}#invitee-{invitee.pk}")
    messages.error(
        request,
        _("The guest was not recorded: %(errors)s")
        % {"errors": " ".join(str(e) for errs in form.errors.values() for e in errs)},
    )
    return redirect(f"{event.get_absolute_url()}#invitee-{invitee.pk}")
