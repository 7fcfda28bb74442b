"""Writes for the after-sales records of a policy: the delivery checklist (递交保单), the annual
review (年度保单检查) and the payout schedule edited by hand. Each service is one transaction.

Validation errors are django ValidationErrors keyed by field, as in `policy.py`.
"""

import enum
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from clients.models import Client, Commitment
from clients.services import commitment_create

from .. import dates, payouts
from ..models import AnnualReview, Delivery, DeliveryItem, DeliveryTick, Payout, Policy
from .policy import payouts_generate

# How many follow-up commitments one review may add at a time (the form shows this many rows).
REVIEW_FOLLOW_UPS_MAX = 3
_COMMITMENT_MAX = Commitment._meta.get_field("description").max_length


# --- delivery ---------------------------------------------------------------------------------


def delivery_get_or_create(*, policy: Policy) -> Delivery:
    """The policy's delivery record, created on first use (one per policy)."""
    delivery, _created = Delivery.objects.get_or_create(policy=policy)
    return delivery


@transaction.atomic
def delivery_update(
    *, policy: Policy, appointment_at: datetime | None, place: str = "", notes: str = ""
) -> Delivery:
    """Set the delivery appointment, its place and notes."""
    delivery = delivery_get_or_create(policy=policy)
    delivery.appointment_at = appointment_at
    delivery.place = (place or "").strip()
    delivery.notes = (notes or "").strip()
    delivery.full_clean(exclude=["policy"])
    delivery.save(update_fields=["appointment_at", "place", "notes"])
    return delivery


def _delivery_item(item: str) -> DeliveryItem:
    try:
        return DeliveryItem(item)
    except ValueError as exc:
        raise ValidationError(
            {"item": _("This is not an item of the delivery checklist.")}
        ) from exc


@transaction.atomic
def delivery_tick(*, policy: Policy, item: str, by: User | None = None) -> DeliveryTick:
    """Mark an item done, by `by`, now. Ticking an item already done keeps who and when it was
    first ticked (one row per item: the unique constraint makes a double click harmless)."""
    item = _delivery_item(item)
    delivery = delivery_get_or_create(policy=policy)
    tick, _created = DeliveryTick.objects.get_or_create(
        delivery=delivery, item=item, defaults={"by": by, "at": timezone.now()}
    )
    return tick


@transaction.atomic
def delivery_untick(*, policy: Policy, item: str) -> bool:
    """Mark an item not done; unticking an item that is not done changes nothing."""
    item = _delivery_item(item)
    deleted, _rows = DeliveryTick.objects.filter(delivery__policy=policy, item=item).delete()
    return bool(deleted)


# --- annual review ----------------------------------------------------------------------------


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
    elif any(p.holder_id != household.pk or p.owner_id != household.owner_id for p in policies):
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

    The policies must all be held by the household (the holder's client record) and owned by
    its agent; `anniversary` must be an anniversary of one of them; one review per household
    and anniversary. Each follow-up (description, due date) becomes a client commitment, so it
    shows on the commitments page like any other promise.
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


# --- payouts by hand --------------------------------------------------------------------------


class PayoutPattern(enum.StrEnum):
    EVERY_N_YEARS = "every_n_years"
    YEARLY_FROM_AGE = "yearly_from_age"
    MATURITY = "maturity"


def _payout_validate(
    *, policy: Policy, on: date | None, amount: Decimal | None, kind: str, exclude_pk=None
) -> None:
    errors: dict[str, list[str]] = {}
    if on is None:
        errors["date"] = [_("Enter the payout date.")]
    if amount is None or amount <= 0:
        errors["amount"] = [_("The amount must be above zero.")]
    if kind not in Payout.Kind.values:
        errors["kind"] = [_("Choose the kind of payout.")]
    if on is not None and kind in Payout.Kind.values:
        clash = Payout.objects.filter(policy=policy, kind=kind, date=on)
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["date"] = [_duplicate_payout_message(kind=kind, on=on)]
    if errors:
        raise ValidationError(errors)


def _duplicate_payout_message(*, kind: str, on: date) -> str:
    return _("A %(kind)s is already scheduled on %(date)s.") % {
        "kind": Payout.Kind(kind).label,
        "date": on.isoformat(),
    }


def _payout_save(payout: Payout) -> None:
    try:
        with transaction.atomic():
            payout.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"date": [_duplicate_payout_message(kind=payout.kind, on=payout.date)]}
        ) from exc


@transaction.atomic
def payout_add(*, policy: Policy, date: date, amount: Decimal, kind: str) -> Payout:
    """Schedule one payout by hand. One payout per kind and date."""
    _payout_validate(policy=policy, on=date, amount=amount, kind=kind)
    payout = Payout(policy=policy, date=date, amount=amount, kind=kind)
    _payout_save(payout)
    return payout


@transaction.atomic
def payout_update(*, payout: Payout, date: date, amount: Decimal, kind: str) -> Payout:
    """Correct a payout's date, amount or kind (a claimed one keeps its claim)."""
    _payout_validate(policy=payout.policy, on=date, amount=amount, kind=kind, exclude_pk=payout.pk)
    payout.date, payout.amount, payout.kind = date, amount, kind
    _payout_save(payout)
    return payout


@transaction.atomic
def payout_delete(*, payout: Payout) -> None:
    Payout.objects.filter(pk=payout.pk).delete()


@transaction.atomic
def payout_schedule_generate(
    *,
    policy: Policy,
    pattern: str,
    amount: Decimal | None,
    kind: str = "",
    every: int | None = None,
    from_policy_year: int | None = None,
    age: int | None = None,
) -> tuple[list[Payout], int]:
    """Generate one of the common patterns (see policies.payouts) and store it.

    - every N years from policy year K (survival benefits, 生存金);
    - yearly from the insured's age A (annuities, 年金);
    - a maturity benefit on the day cover ends (满期金; the kind is always maturity).

    Returns the payouts added and how many dates of the pattern were already scheduled (those
    are kept as they are: they may have been edited or claimed).
    """
    errors: dict[str, list[str]] = {}
    if pattern not in {p.value for p in PayoutPattern}:
        errors["pattern"] = [_("Choose a pattern.")]
    if amount is None or amount <= 0:
        errors["amount"] = [_("The amount must be above zero.")]
    if pattern == PayoutPattern.MATURITY:
        kind = Payout.Kind.MATURITY
    elif kind not in Payout.Kind.values:
        errors["kind"] = [_("Choose the kind of payout.")]
    if pattern == PayoutPattern.EVERY_N_YEARS:
        if every is None or every < 1:
            errors["every"] = [_("Enter every how many years (1 or more).")]
        if from_policy_year is None or from_policy_year < 1:
            errors["from_policy_year"] = [_("Enter the first policy year (1 or more).")]
    if pattern == PayoutPattern.YEARLY_FROM_AGE:
        if age is None or not 0 <= age <= dates.MAX_AGE:
            errors["age"] = [
                _("Enter the insured's age, from 0 to %(max)s.") % {"max": dates.MAX_AGE}
            ]
        elif policy.insured_birth_date is None:
            errors["age"] = [_("Record the insured's birth date to schedule payouts by age.")]
    if errors:
        raise ValidationError(errors)
    if pattern == PayoutPattern.EVERY_N_YEARS:
        rows = payouts.payouts_every_n_years(
            policy=policy, every=every, from_policy_year=from_policy_year, amount=amount, kind=kind
        )
    elif pattern == PayoutPattern.YEARLY_FROM_AGE:
        rows = payouts.payouts_yearly_from_age(policy=policy, age=age, amount=amount, kind=kind)
    else:
        try:
            rows = payouts.payout_maturity(policy=policy, amount=amount)
        except ValidationError as exc:
            raise ValidationError({"pattern": exc.messages}) from exc
    if not rows:
        raise ValidationError(
            {"pattern": [_("This pattern gives no payout date before the cover ends.")]}
        )
    added = payouts_generate(policy=policy, payouts=rows)
    return added, len(rows) - len(added)
