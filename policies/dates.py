"""Date rules for policies. Pure functions: no database, no clock unless `today` is omitted.

Rules (each is tested):
- an anniversary of a 29 February policy falls on 28 February in common years
  (the same rule as birthdays, `agentcrm.core.calendar.solar_in_year`);
- premium dues are counted from the effective date, never from the previous due, so a
  31 January monthly premium is due 28/29 February and 31 March again (no drift);
- the policy's dues lie within the payment term; a single premium has only the first;
- "paid up to" (缴至日期) a date: every due before that date is paid, whether or not a
  payment was recorded for it (the first premium, paid at issue; the premiums paid before
  an import);
- the grace period ends `grace_days` after a due date; the policy lapses the day after;
- the cooling-off period (犹豫期) ends 15 days after the receipt is signed;
- "policy year K" ends on the K-th anniversary, which is where a payout for that year falls.
"""

import calendar
import enum
from collections.abc import Iterable
from datetime import date, timedelta

from django.utils import timezone

from agentcrm.core.calendar import age_on as calendar_age_on
from agentcrm.core.calendar import solar_in_year

COOLING_OFF_DAYS = 15
# The dates a policy may carry, and its longest premium term. Anything beyond is a typo, and
# the dates derived from it (every premium due of the term, the cooling-off end) would run
# past the calendar's last year, 9999.
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
MAX_TERM_YEARS = 100
DUE_SOON_DAYS = 30
# Whole-life schedules need an end; no payout is generated past this age of the insured.
MAX_AGE = 105

MONTHS_BETWEEN_DUES = {"annual": 12, "semi_annual": 6, "quarterly": 3, "monthly": 1}


class LapseRisk(enum.StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"
    IN_GRACE = "in_grace"
    LAPSED = "lapsed"


def anniversary_in_year(*, effective: date, year: int) -> date:
    return solar_in_year(effective.month, effective.day, year)


def nth_anniversary(*, effective: date, n: int) -> date:
    return anniversary_in_year(effective=effective, year=effective.year + n)


def next_anniversary(*, effective: date, on_or_after: date) -> date:
    """The first policy anniversary on or after a date; the effective date itself is not one."""
    year = max(on_or_after.year, effective.year + 1)
    candidate = anniversary_in_year(effective=effective, year=year)
    if candidate < on_or_after:
        candidate = anniversary_in_year(effective=effective, year=year + 1)
    return candidate


def add_months(*, anchor: date, months: int) -> date:
    """`anchor` moved by whole months; a day the month lacks becomes its last day."""
    index = anchor.month - 1 + months
    year, month = anchor.year + index // 12, index % 12 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def premium_due_dates(*, effective: date, frequency: str, term_years: int) -> list[date]:
    """Every due date within the payment term, the first on the effective date."""
    if frequency == "single":
        return [effective]
    step = MONTHS_BETWEEN_DUES[frequency]
    count = max(term_years, 1) * 12 // step
    return [add_months(anchor=effective, months=i * step) for i in range(count)]


def next_unpaid_due(*, due_dates: Iterable[date], paid: Iterable[date]) -> date | None:
    """The earliest due date without a payment, overdue ones included; None once all are paid."""
    paid_set = set(paid)
    return next((due for due in sorted(due_dates) if due not in paid_set), None)


def first_period_paid_to(*, effective: date, frequency: str) -> date:
    """Paid up to the end of the first period: the first premium, paid at issue, covers one
    period of the payment frequency (a single premium covers everything)."""
    return add_months(anchor=effective, months=MONTHS_BETWEEN_DUES.get(frequency, 12))


def paid_to_before(*, effective: date, frequency: str, term_years: int, day: date) -> date:
    """Paid up to `day`: every due before `day` paid, none from `day` on. The date stored is
    the first due on or after `day` (the 缴至日期 an insurer prints), or the end of the last
    period when the term has run out; never before the end of the first period."""
    due_dates = premium_due_dates(effective=effective, frequency=frequency, term_years=term_years)
    first = first_period_paid_to(effective=effective, frequency=frequency)
    following = next((due for due in due_dates if due >= day), None)
    if following is None:
        step = MONTHS_BETWEEN_DUES.get(frequency, 12)
        following = add_months(anchor=due_dates[-1], months=step)
    return max(following, first)


def paid_up_to_dues(*, due_dates: Iterable[date], paid_to: date | None) -> list[date]:
    """The dues counted as paid by a paid-up-to date."""
    return [] if paid_to is None else [due for due in due_dates if due < paid_to]


def premium_next_due_and_grace_end(
    *,
    effective: date,
    frequency: str,
    term_years: int,
    paid: Iterable[date],
    grace_days: int,
    paid_to: date | None = None,
) -> tuple[date | None, date | None]:
    """What a policy stores for lapse risk: its earliest unpaid due and that due's grace end
    (both None once every premium is paid). Dues before `paid_to` count as paid."""
    due_dates = premium_due_dates(effective=effective, frequency=frequency, term_years=term_years)
    paid = [*paid, *paid_up_to_dues(due_dates=due_dates, paid_to=paid_to)]
    next_due = next_unpaid_due(due_dates=due_dates, paid=paid)
    if next_due is None:
        return None, None
    return next_due, grace_end(due=next_due, grace_days=grace_days)


def grace_end(*, due: date, grace_days: int) -> date:
    """The last day on which a missed premium can still be paid without the policy lapsing."""
    return due + timedelta(days=grace_days)


def lapse_risk(
    *,
    next_due: date | None,
    grace_days: int,
    today: date | None = None,
    soon_days: int = DUE_SOON_DAYS,
) -> LapseRisk:
    if next_due is None:
        return LapseRisk.OK
    today = today or timezone.localdate()
    if today < next_due - timedelta(days=soon_days):
        return LapseRisk.OK
    if today <= next_due:
        return LapseRisk.DUE_SOON
    if today <= grace_end(due=next_due, grace_days=grace_days):
        return LapseRisk.IN_GRACE
    return LapseRisk.LAPSED


def plausible(value: date | None) -> bool:
    return value is None or EARLIEST <= value <= LATEST


def cooling_off_end(*, receipt_signed: date, days: int = COOLING_OFF_DAYS) -> date:
    return receipt_signed + timedelta(days=days)


def birthday_in_year(*, birth: date, year: int) -> date:
    return solar_in_year(birth.month, birth.day, year)


def age_on(*, birth: date, on: date) -> int:
    """Whole years of age (the CRM-wide rule of `agentcrm.core.calendar.age_on`)."""
    return calendar_age_on(birth, on)


def coverage_end(
    *, effective: date, kind: str, value: int | None, insured_birth: date | None
) -> date | None:
    """The day cover ends: after `value` policy years, at the first anniversary on which the
    insured has reached age `value`, or None for whole life (and when the age is unknown)."""
    if kind == "years":
        return nth_anniversary(effective=effective, n=value)
    if kind == "to_age" and insured_birth is not None:
        return first_anniversary_at_age(effective=effective, birth=insured_birth, age=value)
    return None


def first_anniversary_at_age(*, effective: date, birth: date, age: int) -> date:
    reached = birthday_in_year(birth=birth, year=birth.year + age)
    return next_anniversary(effective=effective, on_or_after=reached)


def _schedule_end(*, coverage_end_date: date | None, insured_birth: date | None) -> date | None:
    caps = [coverage_end_date]
    if insured_birth is not None:
        caps.append(birthday_in_year(birth=insured_birth, year=insured_birth.year + MAX_AGE))
    caps = [c for c in caps if c is not None]
    return min(caps) if caps else None


def payout_dates_every_n_years(
    *,
    effective: date,
    every: int,
    from_policy_year: int,
    coverage_end_date: date | None,
    insured_birth: date | None = None,
) -> list[date]:
    """Anniversaries ending policy years K, K+N, K+2N… strictly before cover ends (the payment
    at cover end is the maturity benefit). Without any end the schedule stops at MAX_AGE, or
    after 100 policy years when the insured's age is unknown."""
    if every < 1 or from_policy_year < 1:
        raise ValueError("every and from_policy_year start at 1")
    end = _schedule_end(coverage_end_date=coverage_end_date, insured_birth=insured_birth)
    end = end or nth_anniversary(effective=effective, n=100)
    dates, n = [], from_policy_year
    while (when := nth_anniversary(effective=effective, n=n)) < end:
        dates.append(when)
        n += every
    return dates


def payout_dates_yearly_from_age(
    *, effective: date, insured_birth: date, age: int, coverage_end_date: date | None
) -> list[date]:
    """Every anniversary from the first one on which the insured has reached `age`, strictly
    before cover ends and not past MAX_AGE."""
    end = _schedule_end(coverage_end_date=coverage_end_date, insured_birth=insured_birth)
    first = first_anniversary_at_age(effective=effective, birth=insured_birth, age=age)
    dates, n = [], first.year - effective.year
    while (when := nth_anniversary(effective=effective, n=n)) < end:
        dates.append(when)
        n += 1
    return dates
