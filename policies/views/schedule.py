"""The rows dated against a policy, changed from its detail page: premium payments and
payouts (generated, added, edited, deleted, claimed).

Each view takes the policy from `get_policy_for_user` (404 for anyone but its agent), writes
through a service and goes back to the page; refused input re-renders the page with the bound
form and status 400, nothing written (`policy.refused`).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from agentcrm.core import versions
from agentcrm.core.forms import add_service_errors

from .. import selectors, services
from ..forms.schedule import PayoutForm, PayoutGenerateForm, PremiumPaymentForm
from ..models import Payout
from .policy import back, refused


@require_POST
def premium_pay(request, pk: int):
    policy = selectors.get_policy_for_user(user=request.user, pk=pk)
    schedule = selectors.premium_schedule(policy=policy, today=timezone.localdate())
    form = PremiumPaymentForm(request.POST, payable=schedule.payable)
    if schedule.closed:
        form.add_error(None, _("No premium is due any more on a policy in this status."))
    if form.is_valid():
        try:
            _payment, created = services.premium_record_payment(
                policy=policy,
                due_date=form.cleaned_data["due_date"],
                paid_on=form.cleaned_data["paid_on"],
                amount=form.cleaned_data["amount"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if created:
                messages.success(request, _("Payment recorded."))
            else:
                messages.info(request, _("This premium was already recorded as paid."))
            return back(policy, "premiums")
    return refused(request, policy, pay_form=form)


@require_POST
def payout_generate(request, pk: int):
    policy = selectors.get_policy_for_user(user=request.user, pk=pk)
    form = PayoutGenerateForm(request.POST)
    if form.is_valid():
        try:
            added, kept = services.payout_schedule_generate(policy=policy, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            text = ngettext("Added %(count)s payout.", "Added %(count)s payouts.", len(added)) % {
                "count": len(added)
            }
            if kept:
                text += " " + ngettext(
                    "%(count)s date was already scheduled and was kept as it was.",
                    "%(count)s dates were already scheduled and were kept as they were.",
                    kept,
                ) % {"count": kept}
            messages.success(request, text)
            return back(policy, "payouts")
    return refused(request, policy, payout_generate_form=form)


@require_POST
def payout_add(request, pk: int):
    policy = selectors.get_policy_for_user(user=request.user, pk=pk)
    form = PayoutForm(request.POST)
    if form.is_valid():
        try:
            services.payout_add(policy=policy, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Payout added."))
            return back(policy, "payouts")
    return refused(request, policy, payout_add_form=form)


def _get_payout(request, pk: int, payout_pk: int) -> Payout:
    """The payout of a policy the user may see; a payout of another policy is a 404 too."""
    policy = selectors.get_policy_for_user(user=request.user, pk=pk)
    return get_object_or_404(Payout.objects.filter(policy=policy), pk=payout_pk)


PAYOUT_FIELDS = ("date", "amount", "kind")


def payout_edit(request, pk: int, payout_pk: int):
    payout = _get_payout(request, pk, payout_pk)

    def form_for(record, data=None):
        return PayoutForm(data, initial={name: getattr(record, name) for name in PAYOUT_FIELDS})

    form = form_for(payout, request.POST or None)
    version = versions.opened(request, instance=payout, fields=PAYOUT_FIELDS)
    if request.method == "POST":
        with transaction.atomic():  # the version checked and the save under one lock
            current = versions.stale(request, instance=payout, form=form, fields=PAYOUT_FIELDS)
            if current:
                return versions.conflict_page(
                    request,
                    current=current,
                    forms_pairs=[(form_for(_get_payout(request, pk, payout_pk)), form)],
                    title=_("Edit payout"),
                    back_url=reverse("policies:detail", args=[pk]),
                )
            saved = False
            if form.is_valid():
                try:
                    services.payout_update(payout=payout, **form.cleaned_data)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    saved = True
        if saved:
            messages.success(request, _("Payout saved."))
            return back(payout.policy, "payouts")
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(
        request,
        "policies/payout_form.html",
        {"form": form, "payout": payout, "policy": payout.policy, "version": version},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def payout_delete(request, pk: int, payout_pk: int):
    payout = _get_payout(request, pk, payout_pk)
    services.payout_delete(payout=payout)
    messages.success(request, _("Payout deleted."))
    return back(payout.policy, "payouts")


@require_POST
def payout_claim(request, pk: int, payout_pk: int):
    payout = _get_payout(request, pk, payout_pk)
    if services.payout_mark_claimed(payout=payout):
        messages.success(request, _("Payout marked as claimed."))
    else:
        messages.info(request, _("This payout was already claimed."))
    return back(payout.policy, "payouts")
