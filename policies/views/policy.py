from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from agentcrm.core.forms import add_service_errors
from clients.selectors import clients_for_user

from .. import dates, selectors, services
from ..forms import BeneficiaryFormSet, PolicyFilterForm, PolicyForm, RiderFormSet, formset_rows
from ..models import Policy
from .sections import detail_sections


def policy_list(request):
    form = PolicyFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    policies = selectors.policy_list(
        user=request.user, **{k: v for k, v in filters.items() if v not in (None, "")}
    )
    page = Paginator(policies, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for policy in page.object_list:
        policy.next_anniversary = dates.next_anniversary(
            effective=policy.effective_date, on_or_after=today
        )
        policy.premium_state = selectors.policy_premium_state(policy=policy, today=today)
    query = request.GET.copy()
    query.pop("page", None)
    template = "policies/_policy_rows.html" if request.htmx else "policies/policy_list.html"
    response = render(request, template, {"form": form, "page": page, "query": query.urlencode()})
    patch_vary_headers(response, ("HX-Request",))
    return response


def policy_detail(request, pk: int, *, forms: dict | None = None, status: int = 200):
    """The policy and all that hangs off it. The views of the forms on this page call it with
    their bound form and status 400 when they refuse the input (see views.records)."""
    policy = selectors.get_policy_for_user(user=request.user, pk=pk)
    today = timezone.localdate()
    return render(
        request,
        "policies/policy_detail.html",
        {
            "policy": policy,
            "beneficiaries": list(policy.beneficiaries.all()),
            "riders": list(policy.riders.all()),
            "history": list(policy.status_history.select_related("by")),
            "audit_history": selectors.policy_audit_history(policy=policy),
            "service_requests": selectors.service_requests_for_policy(policy=policy, today=today),
            "premium": selectors.policy_premium_state(policy=policy, today=today),
            "next_anniversary": dates.next_anniversary(
                effective=policy.effective_date, on_or_after=today
            ),
            "today": today,
            # Premium schedule, payouts, delivery, reviews and the forms on the page.
            **detail_sections(policy=policy, today=today),
            **(forms or {}),
        },
        status=status,
    )


def _policy_form_page(request, policy: Policy | None = None):
    initial = {}
    holder_id = request.GET.get("holder", "")
    if policy is None and holder_id.isdigit():
        holder = clients_for_user(user=request.user).filter(pk=int(holder_id)).first()
        if holder:
            initial = {"holder": holder.pk, "insured_client": holder.pk}
    data = request.POST or None
    form = PolicyForm(data, instance=policy, owner=request.user, initial=initial)
    parent = policy or Policy()
    riders = RiderFormSet(data, instance=parent, prefix="riders")
    beneficiaries = BeneficiaryFormSet(data, instance=parent, prefix="beneficiaries")
    if request.method == "POST":
        if form.is_valid() and riders.is_valid() and beneficiaries.is_valid():
            try:
                with transaction.atomic():
                    kwargs = form.service_kwargs()
                    rows = {
                        "riders": formset_rows(riders),
                        "beneficiaries": formset_rows(beneficiaries),
                    }
                    if policy is None:
                        saved = services.policy_create(
                            owner=request.user, by=request.user, **rows, **kwargs
                        )
                    else:
                        saved = services.policy_update(policy=policy, **rows, **kwargs)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Saved policy %(number)s.") % {"number": saved.number})
                return redirect("policies:detail", pk=saved.pk)
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(
        request,
        "policies/policy_form.html",
        {"form": form, "riders": riders, "beneficiaries": beneficiaries, "policy": policy},
        status=400 if request.method == "POST" else 200,
    )


def policy_create(request):
    return _policy_form_page(request)


def policy_edit(request, pk: int):
    policy = selectors.get_policy_for_user(user=request.user, pk=pk)
    return _policy_form_page(request, policy)
