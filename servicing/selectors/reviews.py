"""Reads for annual reviews, scoped through their household's owner (`reviews_for_user`),
and what a new review starts from."""

from datetime import date

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from agentcrm.accounts.models import User
from clients.models import Client
from policies import dates
from policies.models import Policy
from policies.selectors import policies_of_household

from ..models import AnnualReview


def reviews_for_user(*, user: User) -> QuerySet[AnnualReview]:
    """The one scoping rule for reviews: those of the agent's own clients."""
    if not user.is_authenticated:
        return AnnualReview.objects.none()
    return AnnualReview.objects.filter(household__owner=user)


def get_review_for_user(*, user: User, pk: int) -> AnnualReview:
    """The review if `user` may see it, else 404 (never 403)."""
    return get_object_or_404(
        reviews_for_user(user=user).select_related("household"),
        pk=pk,
    )


def _with_counts(qs: QuerySet[AnnualReview]) -> QuerySet[AnnualReview]:
    return qs.annotate(
        follow_up_count=Count("commitments", distinct=True),
        follow_up_open=Count(
            "commitments", filter=Q(commitments__done_date__isnull=True), distinct=True
        ),
    ).order_by("-anniversary", "-id")


def reviews_for_policy(*, policy: Policy) -> QuerySet[AnnualReview]:
    """The reviews that covered this policy, newest first, with their follow-up counts.
    Scoped by the policy's owner too, so a review can never surface under another agent."""
    return _with_counts(
        AnnualReview.objects.filter(policies=policy, household__owner_id=policy.owner_id)
    )


def reviews_for_client(*, client: Client) -> QuerySet[AnnualReview]:
    """The household's reviews, newest first, with their follow-up and policy counts."""
    return _with_counts(
        AnnualReview.objects.filter(household=client, household__owner_id=client.owner_id)
    ).annotate(policy_count=Count("policies", distinct=True))


def review_policies(*, review: AnnualReview) -> QuerySet[Policy]:
    """The policies a review covered, scoped by the household's owner."""
    return review.policies.filter(owner_id=review.household.owner_id).select_related("insurer")


def review_household_policies(*, household: Client) -> QuerySet[Policy]:
    """What a review of this household may cover: the household's policies (held by the
    client, or on the life of the client or of the client's family), with this agent."""
    return policies_of_household(client=household).order_by("effective_date", "id")


def review_pre_ticked(*, choices: list[Policy], policy: Policy) -> list[int]:
    """What a new review ticks: every household policy still in force (the whole household
    is reviewed at once), and the policy the review was started from."""
    ticked = [p.pk for p in choices if p.status in Policy.ACTIVE_STATUSES or p.pk == policy.pk]
    return ticked or [policy.pk]


def household_review_on(*, household: Client, anniversary: date) -> AnnualReview | None:
    """The household's review for an anniversary, if there is one (one per household and
    anniversary)."""
    return AnnualReview.objects.filter(
        household=household, household__owner_id=household.owner_id, anniversary=anniversary
    ).first()


def review_default_anniversary(*, policy: Policy, today: date, year: int | None = None) -> date:
    """The policy's anniversary in `year` when one is asked for (a review started from the
    anniversary touch is that year's review, even before the day); otherwise the most
    recent anniversary on or before today; the first one if none has come yet."""
    effective = policy.effective_date
    if year is not None and effective.year < year <= dates.LATEST.year:
        return dates.anniversary_in_year(effective=effective, year=year)
    this_year = dates.anniversary_in_year(effective=effective, year=today.year)
    latest = (
        this_year
        if this_year <= today
        else dates.anniversary_in_year(effective=effective, year=today.year - 1)
    )
    if latest.year <= effective.year:
        return dates.nth_anniversary(effective=effective, n=1)
    return latest
