"""Writes for the rows dated against a policy: premium payments, and payouts (生存金, 年金,
满期金), generated from a common pattern or entered and corrected by hand. Each service is
one transaction.

Payout dates come from `policies.dates`; the pattern builders here only map a pattern onto a
policy (its effective date, its cover and the insured's birth date) as unsaved rows, which
`payouts_generate` stores. Validation errors are django ValidationErrors keyed by field, as
in `policy`.
"""

import enum
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User

from .. import dates
from ..models import Payout, Policy, PremiumPayment
from .policy import policy_premium_refresh, policy_set_status

Status = Policy.Status

# --- premiums ---------------------------------------------------------------------------------


@transaction.atomic
def premium_record_payment(
    *,
    policy: Policy,
    due_date: date,
    paid_on: date | None = None,
    amount: Decimal | None = None,
    by: User | None = None,
) -> tuple[PremiumPayment, bool]:
    """Record the premium for one due date. Recording it twice keeps the first record
    (unique per policy and due date) and returns created=False. A policy in its grace period
    whose arrears are now paid is back in force."""
    due_dates = dates.premium_due_dates(
        effective=policy.effective_date,
        frequency=policy.payment_frequency,
        term_years=policy.payment_term_years,
    )
    if due_date not in due_dates:
        raise ValidationError({"due_date": _("No premium of this policy is due on that date.")})
    amount = policy.premium if amount is None else amount
    if amount <= 0:
        raise ValidationError({"amount": _("The amount paid must be above zero.")})
    paid_on = paid_on or timezone.localdate()
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("A payment cannot be dated in the future.")})
    payment, created = PremiumPayment.objects.get_or_create(
        policy=policy, due_date=due_date, defaults={"paid_on": paid_on, "amount": amount}
    )
    if created:
        policy_premium_refresh(policy=policy)
        next_due = policy.premium_next_due
        if policy.status == Status.GRACE and (next_due is None or next_due >= paid_on):
            policy_set_status(
                policy=policy, to_status=Status.IN_FORCE, by=by, note=_("Premium paid.")
            )
    return payment, created


# --- payout patterns --------------------------------------------------------------------------


def policy_coverage_end(*, policy: Policy):
    return dates.coverage_end(
        effective=policy.effective_date,
        kind=policy.coverage_kind,
        value=policy.coverage_value,
        insured_birth=policy.insured_birth_date,
    )


def payouts_every_n_years(
    *,
    policy: Policy,
    every: int,
    from_policy_year: int,
    amount: Decimal,
    kind: str = Payout.Kind.SURVIVAL,
) -> list[Payout]:
    when = dates.payout_dates_every_n_years(
        effective=policy.effective_date,
        every=every,
        from_policy_year=from_policy_year,
        coverage_end_date=policy_coverage_end(policy=policy),
        insured_birth=policy.insured_birth_date,
    )
    return [Payout(policy=policy, date=d, amount=amount, kind=kind) for d in when]


def payouts_yearly_from_age(
    *, policy: Policy, age: int, amount: Decimal, kind: str = Payout.Kind.ANNUITY
) -> list[Payout]:
    birth = policy.insured_birth_date
    if birth is None:
        raise ValidationError(_("Record the insured's birth date to schedule payouts by age."))
    when = dates.payout_dates_yearly_from_age(
        effective=policy.effective_date,
        insured_birth=birth,
        age=age,
        coverage_end_date=policy_coverage_end(policy=policy),
    )
    return [Payout(policy=policy, date=d, amount=amount, kind=kind) for d in when]


def payout_maturity(*, policy: Policy, amount: Decimal) -> list[Payout]:
    """The maturity benefit on the day cover ends; a whole-life policy has none."""
    end = policy_coverage_end(policy=policy)
    if end is None:
        raise ValidationError(_("A maturity benefit needs a cover that ends (years or to age)."))
    return [Payout(policy=policy, date=end, amount=amount, kind=Payout.Kind.MATURITY)]


# --- payouts ----------------------------------------------------------------------------------


@transaction.atomic
def payouts_generate(*, policy: Policy, payouts: Sequence[Payout]) -> list[Payout]:
    """Store generated payouts (the builders above). Rows already scheduled on the same
    date with the same kind are kept as they are (they may have been edited or claimed)."""
    if any(p.policy_id != policy.pk for p in payouts):
        raise ValueError("payouts belong to another policy")
    existing = set(policy.payouts.values_list("kind", "date"))
    new = [p for p in payouts if (p.kind, p.date) not in existing]
    # ignore_conflicts: a concurrent generation of the same pattern is not an error either.
    Payout.objects.bulk_create(new, ignore_conflicts=True)
    return new


def payout_mark_claimed(*, payout: Payout, on: date | None = None) -> bool:
    """Mark a payout claimed. Conditional update: claiming twice keeps the first date."""
    updated = Payout.objects.filter(pk=payout.pk, claimed=False).update(
        claimed=True, claimed_on=on or timezone.localdate()
    )
    payout.refresh_from_db(fields=["claimed", "claimed_on"])
    return bool(updated)


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
    """Generate one of the common patterns (the builders above) and store it.

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
        rows = payouts_every_n_years(
            policy=policy, every=every, from_policy_year=from_policy_year, amount=amount, kind=kind
        )
    elif pattern == PayoutPattern.YEARLY_FROM_AGE:
        rows = payouts_yearly_from_age(policy=policy, age=age, amount=amount, kind=kind)
    else:
        try:
            rows = payout_maturity(policy=policy, amount=amount)
        except ValidationError as exc:
            raise ValidationError({"pattern": exc.messages}) from exc
    if not rows:
        raise ValidationError(
            {"pattern": [_("This pattern gives no payout date before the cover ends.")]}
        )
    added = payouts_generate(policy=policy, payouts=rows)
    return added, len(rows) - len(added)
