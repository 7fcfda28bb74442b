"""The annual review pages (年度保单检查): a new review from a policy's page, a review and its
edit form (URL names `policies:review_create`, `policies:review_detail`,
`policies:review_edit`). Policies come from `get_policy_for_user`, reviews from
`get_review_for_user`: another agent's gets a 404 for every URL, GET and POST."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.core import versions
from agentcrm.core.forms import add_service_errors
from policies.models import Policy
from policies.selectors import get_policy_for_user

from .. import selectors, services
from ..forms.reviews import AnnualReviewForm, FollowUpFormSet, follow_up_rows
from ..models import AnnualReview


def _asked_year(request) -> int | None:
    """The anniversary year a link asks for (`?anniversary=2026-12-07`, as the anniversary
    touch's "start annual review" sends it); None when absent or unreadable."""
    try:
        return date.fromisoformat(request.GET.get("anniversary", "")).year
    except ValueError:
        return None


# What the review form edits: its version covers these.
REVIEW_FIELDS = ("anniversary", "held_on", "findings", "needs")
REVIEW_PARTS = ("policies",)


def _review_form_page(request, *, household, policy: Policy | None, review: AnnualReview | None):
    """The form for a new review (from a policy's page) or for editing one."""
    today = timezone.localdate()
    choices = selectors.review_household_policies(household=household)
    if review is not None:
        policy_ids = list(selectors.review_policies(review=review).values_list("pk", flat=True))
        initial = AnnualReviewForm.initial_for(review, policy_ids)
        existing = None
    else:
        anniversary = selectors.review_default_anniversary(
            policy=policy, today=today, year=_asked_year(request)
        )
        ticked = selectors.review_pre_ticked(choices=list(choices), policy=policy)
        initial = {"anniversary": anniversary, "held_on": today, "policies": ticked}
        existing = selectors.household_review_on(household=household, anniversary=anniversary)
    data = request.POST or None
    form = AnnualReviewForm(data, policies=choices, initial=initial)
    follow_ups = FollowUpFormSet(data, prefix="follow_ups")
    version = versions.opened(request, instance=review, related=REVIEW_PARTS, fields=REVIEW_FIELDS)
    if request.method == "POST":
        with transaction.atomic():  # the version checked and the save under one lock
            current = review is not None and versions.stale(
                request, instance=review, form=form, related=REVIEW_PARTS, fields=REVIEW_FIELDS
            )
            if current:
                fresh = selectors.get_review_for_user(user=request.user, pk=review.pk)
                ids = list(selectors.review_policies(review=fresh).values_list("pk", flat=True))
                stored = AnnualReviewForm(
                    policies=choices, initial=AnnualReviewForm.initial_for(fresh, ids)
                )
                return versions.conflict_page(
                    request,
                    current=current,
                    forms_pairs=[(stored, form)],
                    title=_("Annual review"),
                    back_url=reverse("policies:review_detail", kwargs={"review_pk": review.pk}),
                )
            saved = _review_save(form, follow_ups, household=household, review=review)
        if saved is not None:
            messages.success(request, _("Annual review saved."))
            return redirect("policies:review_detail", review_pk=saved.pk)
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(
        request,
        "policies/review_form.html",
        {
            "form": form,
            "follow_ups": follow_ups,
            "household": household,
            "policy": policy,
            "review": review,
            "existing": existing,
            "commitments": list(review.commitments.filter(client=household)) if review else [],
            "version": version,
        },
        status=400 if request.method == "POST" else 200,
    )


def _review_save(form, follow_ups, *, household, review) -> AnnualReview | None:
    """The review saved through the services, or None with the errors put on the form."""
    if not (form.is_valid() and follow_ups.is_valid()):
        return None
    fields = {k: form.cleaned_data[k] for k in ("anniversary", "held_on", "findings")}
    fields.update(
        needs=form.cleaned_data["needs"],
        policies=list(form.cleaned_data["policies"]),
        follow_ups=follow_up_rows(follow_ups),
    )
    try:
        with transaction.atomic():
            if review is None:
                return services.review_create(household=household, **fields)
            return services.review_update(review=review, **fields)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


def review_create(request, pk: int):
    policy = get_policy_for_user(user=request.user, pk=pk)
    return _review_form_page(request, household=policy.holder, policy=policy, review=None)


def review_edit(request, review_pk: int):
    review = selectors.get_review_for_user(user=request.user, pk=review_pk)
    return _review_form_page(request, household=review.household, policy=None, review=review)


def review_detail(request, review_pk: int):
    review = selectors.get_review_for_user(user=request.user, pk=review_pk)
    return render(
        request,
        "policies/review_detail.html",
        {
            "review": review,
            "policies": list(selectors.review_policies(review=review)),
            "commitments": list(review.commitments.filter(client=review.household)),
            "today": timezone.localdate(),
        },
    )
