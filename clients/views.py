"""The client pages: list (core.lists), detail with the other apps' panels (touches.registry),
create and edit, archive, and the timeline's htmx forms. Every client comes from
get_client_for_user: another agent's is a 404."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agentcrm.core import versions
from agentcrm.core.forms import add_service_errors, formset_changes, model_form_values
from agentcrm.core.lists import list_page
from touches.registry import client_panels

from . import rows, rules, selectors, services
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
    listed = selectors.client_filter(user=request.user, filters=request.GET)
    return list_page(
        request,
        selectors.client_list(user=request.user, listed=listed),
        "clients/client_list.html",
        context={"form": listed.form, "today": timezone.localdate()},
        page_size=settings.LIST_PAGE_SIZE,
        decorate=rows.decorate,
    )


# What a client's edit form changes besides the record: its version covers these too.
EDITED_PARTS = ("family", "custom_dates", "tags")


def _client_forms(request, client, data=None):
    form = ClientForm(data, instance=client, owner=request.user)
    family = FamilyFormSet(
        data, instance=client, prefix="family", form_kwargs={"owner": request.user}
    )
    dates = CustomDateFormSet(data, instance=client, prefix="dates")
    return form, family, dates


def _client_form_page(request, client=None):
    form, family, dates = _client_forms(request, client, request.POST or None)
    version = versions.opened(
        request, instance=client, related=EDITED_PARTS, fields=ClientForm._meta.fields
    )
    if request.method == "POST" and client is not None:
        with transaction.atomic():
            current = versions.stale(
                request,
                instance=client,
                form=form,
                related=EDITED_PARTS,
                fields=ClientForm._meta.fields,
            )
            if current:
                fresh = selectors.get_client_for_user(user=request.user, pk=client.pk)
                stored = _client_forms(request, fresh)
                return versions.conflict_page(
                    request,
                    current=current,
                    forms_pairs=[(stored[0], form)],
                    formset_pairs=[
                        (stored[1], family, _("Family")),
                        (stored[2], dates, _("Yearly dates")),
                    ],
                    title=_("Edit %(name)s") % {"name": fresh.name},
                    back_url=reverse("clients:detail", args=[client.pk]),
                )
            return _client_form_post(request, client, form, family, dates, version)
    if request.method == "POST":
        return _client_form_post(request, client, form, family, dates, version)
    return _client_form_render(request, client, form, family, dates, version, status=200)


def _client_form_render(request, client, form, family, dates, version, *, status, **extra):
    return render(
        request,
        "clients/client_form.html",
        {
            "form": form,
            "family": family,
            "dates": dates,
            "client": client,
            "version": version,
            **extra,
        },
        status=status,
    )


def _client_form_post(request, client, form, family, dates, version):
    duplicates: list = []
    if form.is_valid() and family.is_valid() and dates.is_valid():
        duplicates = _duplicates_unconfirmed(request, form, client)
    if duplicates:
        return _client_form_render(
            request, client, form, family, dates, version, status=200, duplicates=duplicates
        )
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
    return _client_form_render(request, client, form, family, dates, version, status=400)


def _duplicates_unconfirmed(request, form, client) -> list:
    """The agent's clients who may be the person being saved, unless the agent confirmed
    it is someone else ("save anyway"). On an edit, only when the mobile, the name or the
    birth date changed. Never merges anything."""
    if request.POST.get("confirm_duplicate"):
        return []
    if client is not None and not {"mobile", "name", "birth_date"} & set(form.changed_data):
        return []
    return selectors.possible_duplicates(
        user=request.user,
        name=form.cleaned_data.get("name") or "",
        mobile=form.cleaned_data.get("mobile"),
        birth_date=form.cleaned_data.get("birth_date"),
        id_number=form.cleaned_data.get("id_number") or "",
        exclude_pk=client.pk if client else None,
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
        interaction_form=InteractionForm(initial={"date": today}, auto_id="interaction_%s"),
        life_event_form=LifeEventForm(initial={"date": today}, auto_id="life_event_%s"),
        commitment_form=CommitmentForm(auto_id="commitment_%s"),
        has_history=selectors.client_has_history(client=client),
        audit_history=selectors.client_audit_history(client=client),
        merges=selectors.merges_for_client(client=client),
        duplicates=[]
        if client.merged_into_id
        else selectors.possible_duplicates(
            user=request.user,
            name=client.name,
            mobile=client.mobile,
            birth_date=client.birth_date,
            exclude_pk=client.pk,
        ),
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
        interaction_form=InteractionForm(initial={"date": today}, auto_id="interaction_%s"),
        life_event_form=LifeEventForm(initial={"date": today}, auto_id="life_event_%s"),
        commitment_form=CommitmentForm(auto_id="commitment_%s"),
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


# --- Merging two records of one person ------------------------------------------------------


def client_merge(request, pk: int, other_id: int):
    """Two of the agent's records side by side: the agent picks each field; on POST
    everything attached to `other_id` moves to `pk` (clients.services.client_merge)."""
    kept = selectors.get_client_for_user(user=request.user, pk=pk)
    other = selectors.get_client_for_user(user=request.user, pk=other_id)
    if kept.pk == other.pk:
        raise Http404
    rows = selectors.merge_field_rows(kept=kept, other=other)
    status = 200
    if request.method == "POST":
        choices = {
            row["group"]: request.POST.get(f"pick_{row['group']}", rules.KEPT) for row in rows
        }
        try:
            merge = services.client_merge(kept=kept, other=other, by=request.user, choices=choices)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
            for row in rows:
                row["default"] = choices[row["group"]]
        else:
            messages.success(
                request,
                _("%(other)s was merged into %(kept)s. You can undo it within %(days)d days.")
                % {"other": other.name, "kept": kept.name, "days": merge.UNDO_DAYS},
            )
            return redirect("clients:detail", pk=kept.pk)
    return render(
        request,
        "clients/client_merge.html",
        {"kept": kept, "other": other, "rows": rows},
        status=status,
    )


@require_POST
def client_merge_undo(request, merge_id: int):
    merge = selectors.get_merge_for_user(user=request.user, pk=merge_id)
    try:
        services.client_merge_undo(merge=merge, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("clients:detail", pk=merge.kept_id)
    messages.success(
        request,
        _("The merge was undone: %(other)s is a separate client again.")
        % {"other": merge.other.name},
    )
    return redirect("clients:detail", pk=merge.other_id)
