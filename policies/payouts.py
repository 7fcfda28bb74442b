"""Payout patterns: build unsaved Payout rows from a policy; `payouts_generate` stores them.

The dates come from `policies.dates`; this module only knows how a pattern maps onto a policy
(its effective date, its cover and the insured's birth date).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import dates
from .models import Payout, Policy


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
