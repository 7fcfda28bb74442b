"""Writes for the annual review (年度保单检查) of a household's policies. Each service is one
transaction; validation errors are django ValidationErrors keyed by field, all of a review's
problems at once."""

from collections.abc import Iterable, Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client, Commitment
from clients.services import commitment_create
from policies import dates
from policies.models import Policy
from policies.selectors import policies_of_household

from ..models import AnnualReview

# How many follow-up commitments one review may add at a time (the form shows this many rows).
REVIEW_FOLLOW_UPS_MAX = 3
_COMMITMENT_MAX = Commitment._meta.get_field("description").max_length


def is_policy_anniversary(*, policy: Policy, day: date) -> bool:
    """Whether `day` is one of the policy's anniversaries (29 February → 28 February in common
    years, as everywhere else)."""
    return day.year > policy.effective_date.year and day == dates.anniversary_in_year(
        effective=policy.effective_date, year=day.year
    )


def _follow_ups_clean(follow_ups: Iterable[tuple[str, date | None]]) -> list[tuple[str, date]]:
    rows, problems = [], []
    for description, due_date in follow_ups:
        description = (description or "").strip()
        if not description and due_date is None:
            continue
        if not description:
            problems.append(_("Say what was promised for each follow-up."))
        elif len(description) > _COMMITMENT_MAX:
            problems.append(
                _("A follow-up is at most %(max)s characters.") % {"max": _COMMITMENT_MAX}
            )
        elif due_date is None:
            problems.append(_("Give each follow-up a due date."))
        else:
            rows.append((description, due_date))
    if len(rows) > REVIEW_FOLLOW_UPS_MAX:
        problems.append(_("At most %(max)s follow-ups at a time.") % {"max": REVIEW_FOLLOW_UPS_MAX})
    if problems:
        raise ValidationError({"follow_ups": problems})
    return rows


def _in_household(*, household: Client, policies: Sequence[Policy]) -> bool:
    """Every policy is the household's (`policies.selectors.policies_of_household`): one
    query, whatever the number of policies."""
    pks = {p.pk for p in policies}
    found = policies_of_household(client=household).filter(pk__in=pks).values_list("pk", flat=True)
    return set(found) == pks


def _review_validate(
    *,
    household: Client,
    anniversary: date | None,
    held_on: date | None,
    policies: Sequence[Policy],
    exclude_pk: int | None = None,
) -> None:
    """All of a review's rules at once, so the agent sees every problem in one go."""
    errors: dict[str, list[str]] = {}
    if not policies:
        errors["policies"] = [_("Choose the policies reviewed.")]
    elif not _in_household(household=household, policies=policies):
        errors["policies"] = [_("Only this household's own policies can be reviewed together.")]
    if held_on is None:
        errors["held_on"] = [_("Enter the date of the review.")]
    elif held_on > timezone.localdate():
        errors["held_on"] = [_("A review cannot be dated in the future.")]
    if anniversary is None:
        errors["anniversary"] = [_("Enter the policy anniversary reviewed.")]
    else:
        if policies and not any(is_policy_anniversary(policy=p, day=anniversary) for p in policies):
            errors.setdefault("anniversary", []).append(
                _("This date is not an anniversary of any of the policies reviewed.")
            )
        duplicate = AnnualReview.objects.filter(household=household, anniversary=anniversary)
        if exclude_pk is not None:
            duplicate = duplicate.exclude(pk=exclude_pk)
        if duplicate.exists():
            errors.setdefault("anniversary", []).append(_duplicate_message(anniversary))
    if errors:
        raise ValidationError(errors)


def _duplicate_message(anniversary: date) -> str:
    return _(
        "This household already has an annual review for the anniversary of %(date)s: "
        "open it and edit it instead."
    ) % {"date": anniversary.isoformat()}


def _review_save(review: AnnualReview) -> None:
    # The check above races with a concurrent save of the same review; the constraint decides,
    # and the loser gets the same message instead of a server error.
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as exc:
        raise ValidationError({"anniversary": [_duplicate_message(review.anniversary)]}) from exc


def _review_follow_ups_add(
    *, review: AnnualReview, follow_ups: Sequence[tuple[str, date]]
) -> list[Commitment]:
    created = [
        commitment_create(client=review.household, description=d, due_date=due)
        for d, due in follow_ups
    ]
    if created:
        review.commitments.add(*created)
    return created


@transaction.atomic
def review_create(
    *,
    household: Client,
    anniversary: date,
    held_on: date,
    policies: Sequence[Policy],
    findings: str = "",
    needs: str = "",
    follow_ups: Iterable[tuple[str, date | None]] = (),
) -> AnnualReview:
    """Record the annual review of a household's policies for one anniversary.

    The policies must all be the household's (held by the client, or on the life of the
    client or of the client's family) and owned by its agent; `anniversary` must be an
    anniversary of one of them; one review per household and anniversary. Each follow-up
    (description, due date) becomes a client commitment, so it shows on the commitments page
    like any other promise.
    """
    policies = list(policies)
    errors: dict[str, list[str]] = {}
    try:
        _review_validate(
            household=household, anniversary=anniversary, held_on=held_on, policies=policies
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        rows = _follow_ups_clean(follow_ups)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    review = AnnualReview(
        household=household,
        anniversary=anniversary,
        held_on=held_on,
        findings=(findings or "").strip(),
        needs=(needs or "").strip(),
    )
    _review_save(review)
    review.policies.set(policies)
    _review_follow_ups_add(review=review, follow_ups=rows)
    return review


@transaction.atomic
def review_update(
    *,
    review: AnnualReview,
    anniversary: date,
    held_on: date,
    policies: Sequence[Policy],
    findings: str = "",
    needs: str = "",
    follow_ups: Iterable[tuple[str, date | None]] = (),
) -> AnnualReview:
    """Change a review; `follow_ups` adds new commitments (the ones already made are kept:
    they are kept or completed on the client's page)."""
    policies = list(policies)
    errors: dict[str, list[str]] = {}
    try:
        _review_validate(
            household=review.household,
            anniversary=anniversary,
            held_on=held_on,
            policies=policies,
            exclude_pk=review.pk,
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        rows = _follow_ups_clean(follow_ups)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    review.anniversary = anniversary
    review.held_on = held_on
    review.findings = (findings or "").strip()
    review.needs = (needs or "").strip()
    _review_save(review)
    review.policies.set(policies)
    _review_follow_ups_add(review=review, follow_ups=rows)
    return review
