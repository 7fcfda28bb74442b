"""Writes for the after-sales records of a policy: the delivery checklist (递交保单), the annual
review (年度保单检查) and the payout schedule edited by hand. Each service is one transaction.

Validation errors are django ValidationErrors keyed by field, as in `policy.py`.
"""

import enum
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import dates, payouts
from ..models import Payout, Policy
from .policy import payouts_generate

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
