"""The policy pages: the list, the detail page with all that hangs off the policy, the form
(new and edit, with riders and beneficiaries) and the status change from the detail page.
Every policy comes from `get_policy_for_user`: another agent's is a 404."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agentcrm.core import versions
from agentcrm.core.forms import add_service_errors
from agentcrm.core.http import id_param
from agentcrm.core.lists import list_page
from clients.selectors import clients_for_user, get_client_for_user
from touches.registry import POLICY_PART_COLUMNS, policy_parts

from .. import dates, selectors, services
from ..forms.policy import PolicyForm, StatusChangeForm, client_label, member_label
from ..forms.schedule import BeneficiaryFormSet, RiderFormSet, formset_known, formset_rows
from ..models import Policy
from .sections import detail_sections


def policy_list(request):
    today = timezone.localdate()
    return list_page(
        request,
        selectors.policy_list(user=request.user, filters=request.GET, today=today),
        "policies/policy_list.html",
        context={"form": selectors.PolicyFilter(request.GET, user=request.user).form},
        decorate=partial(selectors.policy_list_rows, today=today),
    )


def policy_detail(request, pk: int, *, forms: dict | None = None, status: int = 200):
    """The policy and all that hangs off it. The views of the forms on this page call it with
    their bound form and status 400 when they refuse the input (`refused`). Other
    apps' cards (delivery, service requests, annual reviews) are registered policy-page
    parts: their templates go in their column, their context joins the page's."""
    policy = selectors.get_policy_for_user(user=request.user, pk=pk)
    today = timezone.localdate()
    parts = policy_parts(policy=policy, today=today)
    return render(
        request,
        "policies/policy_detail.html",
        {
            "policy": policy,
            "beneficiaries": list(policy.beneficiaries.all()),
            "riders": list(policy.riders.all()),
            "history": list(policy.status_history.select_related("by")),
            "audit_history": selectors.policy_audit_history(policy=policy),
            "premium": selectors.policy_premium_state(policy=policy, today=today),
            "next_anniversary": dates.next_anniversary(
                effective=policy.effective_date, on_or_after=today
            ),
            "today": today,
            # Premium schedule, payouts and the forms on the page.
            **detail_sections(policy=policy, today=today),
            "policy_parts": {
                column: [p.template_name for p in parts if p.column == column]
                for column in POLICY_PART_COLUMNS
            },
            **{key: value for part in parts for key, value in part.context.items()},
            **(forms or {}),
        },
        status=status,
    )


def _policy_form_page(request, policy: Policy | None = None):
    initial = {}
    holder_id = id_param(request.GET.get("holder"))
    if policy is None and holder_id is not None:
        holder = clients_for_user(user=request.user).filter(pk=holder_id).first()
        if holder:
            initial = {"holder": holder.pk, "insured_client": holder.pk}
    data = request.POST or None
    form, riders, beneficiaries = _policy_forms(request, policy, data, initial)
    version = versions.opened(
        request, instance=policy, related=EDITED_PARTS, fields=PolicyForm._meta.fields
    )
    if request.method == "POST":
        with transaction.atomic():  # the version checked and the save under one lock
            current = policy and versions.stale(
                request,
                instance=policy,
                form=form,
                related=EDITED_PARTS,
                fields=PolicyForm._meta.fields,
            )
            if current:
                return _policy_conflict(request, policy, current, form, riders, beneficiaries)
            saved = _policy_save(request, policy, form, riders, beneficiaries)
        if saved is not None:
            messages.success(request, _("Saved policy %(number)s.") % {"number": saved.number})
            return redirect("policies:detail", pk=saved.pk)
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(
        request,
        "policies/policy_form.html",
        {
            "form": form,
            "riders": riders,
            "beneficiaries": beneficiaries,
            "policy": policy,
            "version": version,
        },
        status=400 if request.method == "POST" else 200,
    )


def _policy_save(request, policy, form, riders, beneficiaries) -> Policy | None:
    """The policy saved through the services, or None with the errors put on the form."""
    if not (form.is_valid() and riders.is_valid() and beneficiaries.is_valid()):
        return None
    try:
        with transaction.atomic():
            kwargs = form.service_kwargs()
            rows = {"riders": formset_rows(riders), "beneficiaries": formset_rows(beneficiaries)}
            if policy is None:
                return services.policy_create(owner=request.user, by=request.user, **rows, **kwargs)
            return services.policy_update(
                policy=policy,
                riders_known=formset_known(riders),
                beneficiaries_known=formset_known(beneficiaries),
                **rows,
                **kwargs,
            )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


# What the policy form changes besides the policy: its version covers these too.
EDITED_PARTS = ("riders", "beneficiaries")


def _policy_forms(request, policy, data=None, initial=None):
    form = PolicyForm(data, instance=policy, owner=request.user, initial=initial or {})
    parent = policy or Policy()
    riders = RiderFormSet(data, instance=parent, prefix="riders")
    beneficiaries = BeneficiaryFormSet(data, instance=parent, prefix="beneficiaries")
    return form, riders, beneficiaries


def _policy_conflict(request, policy, current, form, riders, beneficiaries):
    fresh = selectors.get_policy_for_user(user=request.user, pk=policy.pk)
    stored = _policy_forms(request, fresh)
    return versions.conflict_page(
        request,
        current=current,
        forms_pairs=[(stored[0], form)],
        formset_pairs=[
            (stored[1], riders, _("Riders")),
            (stored[2], beneficiaries, _("Beneficiaries")),
        ],
        title=_("Edit policy %(number)s") % {"number": fresh.number},
        back_url=reverse("policies:detail", args=[policy.pk]),
        currency=fresh.currency,  # of its riders' amounts
    )


PICKER_FIELDS = ("holder", "insured_client", "insured_member")


@require_GET
def people_options(request):
    """The <option>s of one picker of the policy form (htmx): `field=holder` or
    `insured_client` with `q`, the agent's own clients matching it; `field=insured_member`,
    the family of the `holder` given (another agent's client: 404), with the beneficiaries'
    name suggestions alongside. The option chosen so far stays chosen if it is in scope."""
    field = request.GET.get("field") or "holder"
    if field not in PICKER_FIELDS:
        return HttpResponseBadRequest(_("Unknown picker."))
    chosen = request.GET.get(field, "")
    chosen_id = id_param(chosen)  # ASCII digits in range only: "²" or a NUL is no id
    if field == "insured_member":
        holder_id = id_param(request.GET.get("holder"))
        holder = get_client_for_user(user=request.user, pk=holder_id) if holder_id else None
        members = list(selectors.family_picker_choices(holder=holder)) if holder else []
        options = [(m.pk, member_label(m)) for m in members]
        names = ([holder.name] if holder else []) + [m.name for m in members]
        context = {"options": options, "chosen": chosen, "beneficiary_names": names}
    else:
        q = request.GET.get("q", "")[:100].replace("\x00", "")  # PostgreSQL refuses a NUL
        clients = list(selectors.client_picker_choices(user=request.user, q=q))
        if chosen_id and all(c.pk != chosen_id for c in clients):
            # Keep the current choice at the top while the search narrows the rest.
            kept = clients_for_user(user=request.user).filter(pk=chosen_id).first()
            clients = ([kept] if kept else []) + clients
        options = [(c.pk, client_label(c)) for c in clients]
        context = {"options": options, "chosen": chosen, "beneficiary_names": None}
    return render(request, "policies/_picker_options.html", context)


def policy_create(request):
    return _policy_form_page(request)


def policy_edit(request, pk: int):
    policy = selectors.get_policy_for_user(user=request.user, pk=pk)
    return _policy_form_page(request, policy)


def back(policy: Policy, anchor: str):
    """Back to the policy page, at the card that was changed."""
    return redirect(reverse("policies:detail", kwargs={"pk": policy.pk}) + f"#{anchor}")


def refused(request, policy: Policy, **forms):
    """The policy page again with the refused bound form(s), status 400: nothing was saved."""
    messages.error(request, _("Nothing was saved: please correct the errors below."))
    return policy_detail(request, policy.pk, forms=forms, status=400)


@require_POST
def policy_status_change(request, pk: int):
    policy = selectors.get_policy_for_user(user=request.user, pk=pk)
    form = StatusChangeForm(request.POST, policy=policy)
    if form.is_valid():
        try:
            services.policy_set_status(
                policy=policy,
                to_status=form.cleaned_data["to_status"],
                by=request.user,
                note=form.cleaned_data["note"].strip(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The policy is now %(status)s.") % {"status": policy.get_status_display()},
            )
            return back(policy, "status")
    return refused(request, policy, status_form=form)
