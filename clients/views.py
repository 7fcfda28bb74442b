"""The client pages: list (core.lists), detail with the other apps' panels (touches.registry),
create and edit, archive, and the timeline's htmx forms. Every client comes from
get_client_for_user: another agent's is a 404."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agentcrm.core.forms import add_service_errors, formset_changes, model_form_values
from agentcrm.core.lists import list_page
from touches.registry import client_panels

from . import selectors, services
from .forms import (
    ClientForm,
    CommitmentForm,
    CustomDateFormSet,
    FamilyFormSet,
    InteractionForm,
    LifeEventForm,
)
from .models import Commitment


def client_list(request):
    return list_page(
        request,
        selectors.client_list(user=request.user, filters=request.GET),
        "clients/client_list.html",
        context={"form": selectors.ClientFilter(request.GET).form, "today": timezone.localdate()},
        page_size=settings.LIST_PAGE_SIZE,
    )


def _client_form_page(request, client=None):
    form = ClientForm(request.POST or None, instance=client, owner=request.user)
    family = FamilyFormSet(
        request.POST or None,
        instance=client,
        prefix="family",
        form_kwargs={"owner": request.user},
    )
    dates = CustomDateFormSet(request.POST or None, instance=client, prefix="dates")
    if request.method == "POST":
        if form.is_valid() and family.is_valid() and dates.is_valid():
            data = {
                **model_form_values(form),
                "tag_names": form.cleaned_data["tag_names"],
                "family": formset_changes(family),
                "dates": formset_changes(dates),
            }
            try:
                if client is None:
                    saved = services.client_create(owner=request.user, **data)
                else:
                    saved = services.client_update(client=client, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Saved %(name)s.") % {"name": saved.name})
                return redirect("clients:detail", pk=saved.pk)
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(
        request,
        "clients/client_form.html",
        {"form": form, "family": family, "dates": dates, "client": client},
        status=400 if request.method == "POST" else 200,
    )


def client_create(request):
    return _client_form_page(request)


def client_edit(request, pk: int):
    client = selectors.get_client_for_user(user=request.user, pk=pk)
    return _client_form_page(request, client)


def client_detail(request, pk: int):
    client = selectors.get_client_for_user(user=request.user, pk=pk)
    context = selectors.client_detail_context(client=client)
    today = timezone.localdate()
    context.update(
        client=client,
        interaction_form=InteractionForm(initial={"date": today}),
        life_event_form=LifeEventForm(initial={"date": today}),
        commitment_form=CommitmentForm(),
        has_history=selectors.client_has_history(client=client),
        audit_history=selectors.client_audit_history(client=client),
        # Panels other apps register (policies…): clients does not import them.
        panels=client_panels(client=client),
    )
    return render(request, "clients/client_detail.html", context)


@require_POST
def client_archive(request, pk: int):
    client = selectors.get_client_for_user(user=request.user, pk=pk)
    services.client_archive(client=client)
    messages.success(request, _("%(name)s was archived.") % {"name": client.name})
    return redirect("clients:detail", pk=client.pk)


@require_POST
def client_unarchive(request, pk: int):
    client = selectors.get_client_for_user(user=request.user, pk=pk)
    services.client_unarchive(client=client)
    messages.success(request, _("%(name)s is active again.") % {"name": client.name})
    return redirect("clients:detail", pk=client.pk)


@require_POST
def client_delete(request, pk: int):
    client = selectors.get_client_for_user(user=request.user, pk=pk)
    if selectors.client_has_history(client=client):
        messages.error(request, _("This client has a history: archive them instead."))
        return redirect("clients:detail", pk=client.pk)
    try:
        services.client_delete(client=client)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("clients:detail", pk=client.pk)
    messages.success(request, _("%(name)s was deleted.") % {"name": client.name})
    return redirect("clients:list")


def _timeline_add(request, pk: int, form_class, create, template_key: str):
    client = selectors.get_client_for_user(user=request.user, pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        create(client, form.cleaned_data)
        if not request.htmx:
            messages.success(request, _("Added to the timeline."))
            return redirect("clients:detail", pk=client.pk)
        form = form_class(initial={"date": timezone.localdate()})
    elif not request.htmx:
        messages.error(
            request, _("Nothing was added: %(errors)s") % {"errors": form.errors.as_text()}
        )
        return redirect("clients:detail", pk=client.pk)
    today = timezone.localdate()
    context = selectors.client_detail_context(client=client)
    context.update(
        client=client,
        interaction_form=InteractionForm(initial={"date": today}),
        life_event_form=LifeEventForm(initial={"date": today}),
        commitment_form=CommitmentForm(),
    )
    context[template_key] = form
    return render(request, "clients/_timeline.html", context, status=400 if form.errors else 200)


@require_POST
def interaction_add(request, pk: int):
    return _timeline_add(
        request,
        pk,
        InteractionForm,
        lambda client, d: services.interaction_create(
            client=client,
            user=request.user,
            kind=d["kind"],
            on=d["date"],
            summary=d["summary"],
            gift_value=d.get("gift_value"),
        ),
        "interaction_form",
    )


@require_POST
def life_event_add(request, pk: int):
    return _timeline_add(
        request,
        pk,
        LifeEventForm,
        lambda client, d: services.life_event_create(
            client=client, kind=d["kind"], on=d["date"], notes=d.get("notes", "")
        ),
        "life_event_form",
    )


@require_POST
def commitment_add(request, pk: int):
    return _timeline_add(
        request,
        pk,
        CommitmentForm,
        lambda client, d: services.commitment_create(
            client=client, description=d["description"], due_date=d["due_date"]
        ),
        "commitment_form",
    )


def _get_commitment(request, pk: int, commitment_id: int) -> Commitment:
    client = selectors.get_client_for_user(user=request.user, pk=pk)
    return get_object_or_404(client.commitments, pk=commitment_id)


@require_POST
def commitment_done(request, pk: int, commitment_id: int):
    commitment = _get_commitment(request, pk, commitment_id)
    services.commitment_complete(commitment=commitment)
    return redirect("clients:detail", pk=pk)


@require_POST
def commitment_reopen(request, pk: int, commitment_id: int):
    commitment = _get_commitment(request, pk, commitment_id)
    services.commitment_reopen(commitment=commitment)
    return redirect("clients:detail", pk=pk)


def commitment_list(request):
    return render(
        request,
        "clients/commitment_list.html",
        {
            "commitments": selectors.commitments_open_for_user(user=request.user),
            "today": timezone.localdate(),
        },
    )
