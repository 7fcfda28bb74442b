"""Service request pages, mounted at /service-requests/ (URL namespace `service_requests`):
the servicing and claims list, new, detail (documents checklist, status timeline) and edit.
Every object is fetched through a `*_for_user` selector: another agent's policy, request or
document is a 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agentcrm.core import versions
from agentcrm.core.forms import add_service_errors
from agentcrm.core.http import id_param
from agentcrm.core.lists import list_page
from agentcrm.core.views import status_move_retry
from policies.selectors import get_policy_for_user, policies_for_user

from .. import selectors, services
from ..forms.requests import (
    DocumentAddForm,
    ServiceRequestEditForm,
    ServiceRequestForm,
    StatusForm,
    category_choices_by_kind,
)
from ..models import ServiceRequest, ServiceRequestDocument
from ..services.requests import DEFAULT_DOCUMENTS, EDITABLE_FIELDS


def service_request_list(request):
    today = timezone.localdate()
    return list_page(
        request,
        selectors.service_request_list(user=request.user, filters=request.GET, today=today),
        "policies/requests/request_list.html",
        context={"form": selectors.ServiceRequestFilter(request.GET).form, "today": today},
    )


def service_request_create(request):
    policies = policies_for_user(user=request.user)
    initial = {"opened_on": timezone.localdate()}
    policy_id = id_param(request.GET.get("policy"))
    policy = None
    if policy_id is not None:
        # Another agent's policy is a 404, as everywhere else.
        policy = get_policy_for_user(user=request.user, pk=policy_id)
        initial["policy"] = policy.pk
    kind = request.GET.get("kind", "")
    category = request.GET.get("category", "")
    if kind in ServiceRequest.Kind.values:
        initial["kind"] = kind
        if category in ServiceRequest.CATEGORIES_BY_KIND[ServiceRequest.Kind(kind)]:
            initial["category"] = category
            initial["documents"] = "\n".join(DEFAULT_DOCUMENTS.get(category, []))
    form = ServiceRequestForm(request.POST or None, initial=initial, policies=policies)
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.service_request_create(
                    owner=request.user, by=request.user, **form.service_kwargs()
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Request opened."))
                return redirect("service_requests:detail", pk=saved.pk)
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(
        request,
        "policies/requests/request_form.html",
        {
            "form": form,
            "policy": policy,
            "categories_by_kind": category_choices_by_kind(),
            "default_documents": {k: list(v) for k, v in DEFAULT_DOCUMENTS.items()},
        },
        status=400 if request.method == "POST" else 200,
    )


def _detail_context(request, sr: ServiceRequest, **forms) -> dict:
    """What the request page shows: a fixed number of queries."""
    today = timezone.localdate()
    documents = list(sr.documents.all())
    allowed = sr.allowed_next_statuses()
    context = {
        "sr": sr,
        "documents": documents,
        "documents_missing": sum(1 for d in documents if d.received_on is None),
        "history": list(sr.status_history.select_related("by")),
        "audit_history": selectors.service_request_audit_history(request=sr),
        "age_days": ((sr.closed_on or today) - sr.opened_on).days,
        "overdue": sr.is_open and sr.next_action_date and sr.next_action_date < today,
        "today": today,
        "status_form": StatusForm.for_request(sr) if allowed else None,
        "document_form": DocumentAddForm(),
    }
    context.update(forms)
    return context


def service_request_detail(request, pk: int):
    sr = selectors.get_service_request_for_user(user=request.user, pk=pk)
    return render(request, "policies/requests/request_detail.html", _detail_context(request, sr))


def service_request_edit(request, pk: int):
    sr = selectors.get_service_request_for_user(user=request.user, pk=pk)

    def form_for(record, data=None):
        initial = {name: getattr(record, name) for name in EDITABLE_FIELDS}
        return ServiceRequestEditForm(data, initial=initial)

    form = form_for(sr, request.POST or None)
    version = versions.opened(request, instance=sr, fields=EDITABLE_FIELDS)
    if request.method == "POST":
        with transaction.atomic():  # the version checked and the save under one lock
            current = versions.stale(request, instance=sr, form=form, fields=EDITABLE_FIELDS)
            if current:
                fresh = selectors.get_service_request_for_user(user=request.user, pk=pk)
                return versions.conflict_page(
                    request,
                    current=current,
                    forms_pairs=[(form_for(fresh), form)],
                    title=_("Edit service request"),
                    back_url=reverse("service_requests:detail", args=[sr.pk]),
                )
            saved = False
            if form.is_valid():
                try:
                    services.service_request_update(request=sr, **form.cleaned_data)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    saved = True
        if saved:
            messages.success(request, _("Request saved."))
            return redirect("service_requests:detail", pk=sr.pk)
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(
        request,
        "policies/requests/request_edit.html",
        {"form": form, "sr": sr, "version": version},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def service_request_set_status(request, pk: int):
    sr = selectors.get_service_request_for_user(user=request.user, pk=pk)
    # Any status parses: the service decides what is allowed and says why.
    form = StatusForm(request.POST)
    if form.is_valid():
        # The step is taken from the status the agent saw, so a change made meanwhile (another
        # tab, a colleague's device) is refused instead of silently overwritten.
        sr.status = form.cleaned_data["seen_status"]
        try:
            services.service_request_set_status(
                request=sr,
                to_status=form.cleaned_data["to_status"],
                by=request.user,
                note=form.cleaned_data["note"].strip(),
                amount_paid=form.cleaned_data["amount_paid"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Status is now %(status)s.") % {"status": sr.get_status_display()}
            )
            return redirect("service_requests:detail", pk=sr.pk)
    sr = selectors.get_service_request_for_user(user=request.user, pk=pk)
    return status_move_retry(
        request,
        "policies/requests/request_detail.html",
        _detail_context(request, sr),
        form=form,
        field="status",
        message=_("The status was not changed: please correct the errors below."),
        status_errors=[e for errors in form.errors.values() for e in errors],
    )


def _documents_response(request, sr: ServiceRequest, *, form=None):
    """The checklist card for htmx, the page otherwise; 400 with the form's errors."""
    status = 400 if form is not None and form.errors else 200
    if not request.htmx and status == 200:
        return redirect("service_requests:detail", pk=sr.pk)
    context = _detail_context(request, sr)
    if form is not None:
        context["document_form"] = form
    if request.htmx:
        template = "policies/requests/_documents.html"
    else:
        template = "policies/requests/request_detail.html"
    return render(request, template, context, status=status)


def _get_document(
    request, pk: int, document_id: int
) -> tuple[ServiceRequest, ServiceRequestDocument]:
    sr = selectors.get_service_request_for_user(user=request.user, pk=pk)
    return sr, get_object_or_404(sr.documents, pk=document_id)


@require_POST
def service_request_document_add(request, pk: int):
    sr = selectors.get_service_request_for_user(user=request.user, pk=pk)
    form = DocumentAddForm(request.POST)
    if form.is_valid():
        try:
            services.service_request_document_add(request=sr, name=form.cleaned_data["name"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _documents_response(request, sr)
    return _documents_response(request, sr, form=form)


@require_POST
def service_request_document_toggle(request, pk: int, document_id: int):
    sr, document = _get_document(request, pk, document_id)
    services.service_request_document_toggle_received(document=document)
    return _documents_response(request, sr)


@require_POST
def service_request_document_remove(request, pk: int, document_id: int):
    sr, document = _get_document(request, pk, document_id)
    services.service_request_document_remove(document=document)
    return _documents_response(request, sr)
