"""The delivery checklist page of a policy (递交保单), at /policies/<pk>/delivery/ (URL names
`policies:delivery`, `policies:delivery_tick`). The policy comes from `get_policy_for_user`:
another agent's is a 404, GET and POST."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agentcrm.core import versions
from agentcrm.core.forms import add_service_errors
from policies.selectors import get_policy_for_user

from .. import selectors, services
from ..forms.delivery import DeliveryForm, DeliveryTickForm
from ..models import DeliveryItem


def _delivery_initial(current) -> dict:
    if current is None:
        return {}
    return {
        "appointment_at": timezone.localtime(current.appointment_at)
        if current.appointment_at
        else None,
        "place": current.place,
        "notes": current.notes,
    }


# The appointment form edits the policy's delivery row (created on first save): its version.
DELIVERY_VERSION = {"related": ("delivery",), "fields": ()}


def delivery(request, pk: int):
    """The checklist, and the appointment form (POST saves the appointment)."""
    policy = get_policy_for_user(user=request.user, pk=pk)
    checklist = selectors.delivery_checklist(policy=policy)
    form = DeliveryForm(request.POST or None, initial=_delivery_initial(checklist.delivery))
    version = versions.opened(request, instance=policy, **DELIVERY_VERSION)
    if request.method == "POST":
        with transaction.atomic():  # the version checked and the save under one lock
            current = versions.stale(request, instance=policy, form=form, **DELIVERY_VERSION)
            if current:
                fresh = selectors.delivery_checklist(
                    policy=get_policy_for_user(user=request.user, pk=pk)
                )
                return versions.conflict_page(
                    request,
                    current=current,
                    forms_pairs=[(DeliveryForm(initial=_delivery_initial(fresh.delivery)), form)],
                    title=_("Delivery appointment"),
                    back_url=reverse("policies:delivery", args=[pk]),
                )
            saved = False
            if form.is_valid():
                try:
                    services.delivery_update(policy=policy, **form.cleaned_data)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    saved = True
        if saved:
            messages.success(request, _("Delivery appointment saved."))
            return redirect("policies:delivery", pk=policy.pk)
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(
        request,
        "policies/delivery.html",
        {"policy": policy, "checklist": checklist, "form": form, "version": version},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def delivery_tick(request, pk: int):
    """Tick (done=1) or untick an item. The wanted state is sent, not a toggle, so a repeated
    request ends where the agent meant. htmx gets the item back, showing who ticked it and
    when, with the progress counter swapped out of band."""
    policy = get_policy_for_user(user=request.user, pk=pk)
    form = DeliveryTickForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("This is not an item of the delivery checklist."))
    item = DeliveryItem(form.cleaned_data["item"])
    if form.cleaned_data["done"]:
        services.delivery_tick(policy=policy, item=item, by=request.user)
    else:
        services.delivery_untick(policy=policy, item=item)
    if not request.htmx:
        return redirect("policies:delivery", pk=policy.pk)
    response = render(
        request,
        "policies/_delivery_item.html",
        {
            "policy": policy,
            "row": selectors.delivery_checklist_row(policy=policy, item=item),
            "progress": selectors.delivery_progress(policy=policy),
            "oob": True,
        },
    )
    patch_vary_headers(response, ("HX-Request",))
    return response
