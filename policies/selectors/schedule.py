"""Reads for the rows dated against a policy the caller already got from
`get_policy_for_user`: the premium schedule (paid, overdue and coming dues) and the payout
schedule (to claim, coming, later, claimed).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from .. import dates
from ..models import Payout, Policy, PremiumPayment

# Statuses in which no more premium is recorded: nothing is due any more.
NO_PREMIUM_STATUSES = (
    Policy.Status.PAID_UP,
    Policy.Status.SURRENDERED,
    Policy.Status.MATURED,
    Policy.Status.TERMINATED_CLAIM,
)
PAID_SHOWN = 3  # the last few payments the premium card shows
UPCOMING_SHOWN = 2  # the next unpaid dues offered beside the overdue ones
OVERDUE_SHOWN = 4  # a long-lapsed policy shows its earliest arrears, not all of them
UPCOMING_PAYOUTS_SHOWN = 5


# --- premiums ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PremiumDue:
    due_date: date
    # None on a paid row: paid before the paid-up-to date, no payment recorded.
    payment: PremiumPayment | None = None
    # paid, lapsed (unpaid past the grace period), in_grace, due_soon or upcoming
    state: str = "upcoming"
    grace_end: date | None = None


@dataclass
class PremiumSchedule:
    rows: list[PremiumDue]
    payable: list[date]  # the due dates a payment can be recorded against
    due_count: int  # dues in the whole payment term
    paid_count: int
    hidden_paid: int  # older payments not among the rows
    hidden_overdue: int  # arrears beyond OVERDUE_SHOWN
    closed: bool  # the status takes no more premium


def premium_schedule(*, policy: Policy, today: date) -> PremiumSchedule:
    """The last few payments, every unpaid due up to today (capped) and the next one or two:
    one query, however long the payment term (a 20-year monthly policy has 240 dues)."""
    due_dates = dates.premium_due_dates(
        effective=policy.effective_date,
        frequency=policy.payment_frequency,
        term_years=policy.payment_term_years,
    )
    payments: dict[date, PremiumPayment | None] = {
        p.due_date: p for p in PremiumPayment.objects.filter(policy=policy)
    }
    # Dues before the paid-up-to date (缴至日期) are paid without a payment recorded.
    for d in dates.paid_up_to_dues(due_dates=due_dates, paid_to=policy.premium_paid_to):
        payments.setdefault(d, None)
    grace_days = policy.insurer.grace_days
    unpaid = [d for d in due_dates if d not in payments]
    overdue = [d for d in unpaid if d < today]
    upcoming = [d for d in unpaid if d >= today][:UPCOMING_SHOWN]
    paid = sorted(payments)
    recent_paid = paid[-PAID_SHOWN:]
    rows = [PremiumDue(due_date=d, payment=payments[d], state="paid") for d in recent_paid]
    for d in overdue[:OVERDUE_SHOWN]:
        end = dates.grace_end(due=d, grace_days=grace_days)
        rows.append(
            PremiumDue(due_date=d, state="in_grace" if today <= end else "lapsed", grace_end=end)
        )
    for d in upcoming:
        soon = d <= today + timedelta(days=dates.DUE_SOON_DAYS)
        rows.append(PremiumDue(due_date=d, state="due_soon" if soon else "upcoming"))
    rows.sort(key=lambda r: r.due_date)
    closed = policy.status in NO_PREMIUM_STATUSES
    return PremiumSchedule(
        rows=rows,
        payable=[] if closed else overdue[:OVERDUE_SHOWN] + upcoming,
        due_count=len(due_dates),
        paid_count=len(paid),
        hidden_paid=len(paid) - len(recent_paid),
        hidden_overdue=max(len(overdue) - OVERDUE_SHOWN, 0),
        closed=closed,
    )


# --- payouts ----------------------------------------------------------------------------------


@dataclass
class PayoutSchedule:
    to_claim: list[Payout] = field(default_factory=list)  # due, not claimed yet
    upcoming: list[Payout] = field(default_factory=list)  # the next few
    later: list[Payout] = field(default_factory=list)  # the rest of the future ones
    claimed: list[Payout] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.to_claim) + len(self.upcoming) + len(self.later) + len(self.claimed)


def payout_schedule(*, payouts: list[Payout], today: date) -> PayoutSchedule:
    """Split a policy's payouts (already loaded, in date order) for a readable card: what is
    due to claim, the next few, the later ones and those claimed."""
    schedule = PayoutSchedule()
    future = []
    for payout in payouts:
        if payout.claimed:
            schedule.claimed.append(payout)
        elif payout.date <= today:
            schedule.to_claim.append(payout)
        else:
            future.append(payout)
    schedule.upcoming = future[:UPCOMING_PAYOUTS_SHOWN]
    schedule.later = future[UPCOMING_PAYOUTS_SHOWN:]
    return schedule
