"""Reads for a policy's records and after-sales work: the premium schedule, the payout
schedule, the delivery checklist and annual reviews.

Reviews are scoped through their household's owner (`reviews_for_user`); everything else hangs
off a policy the caller already got from `get_policy_for_user`.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from agentcrm.accounts.models import User
from clients.models import Client

from .. import dates
from ..models import (
    AnnualReview,
    Delivery,
    DeliveryItem,
    DeliveryTick,
    Payout,
    Policy,
    PremiumPayment,
)
from .policy import policies_held_by

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
    payments = {p.due_date: p for p in PremiumPayment.objects.filter(policy=policy)}
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


# --- delivery ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryProgress:
    done: int
    total: int = len(DeliveryItem)

    @property
    def complete(self) -> bool:
        return self.done >= self.total


@dataclass(frozen=True)
class ChecklistRow:
    item: DeliveryItem
    tick: DeliveryTick | None

    @property
    def is_referrals_step(self) -> bool:
        return self.item == DeliveryItem.STEP_REFERRALS


@dataclass
class DeliveryChecklist:
    delivery: Delivery | None
    preparation: list[ChecklistRow]
    steps: list[ChecklistRow]
    progress: DeliveryProgress


def delivery_progress(*, policy: Policy) -> DeliveryProgress:
    """How many of the checklist's items are done: one query."""
    return DeliveryProgress(done=DeliveryTick.objects.filter(delivery__policy=policy).count())


def delivery_checklist_row(*, policy: Policy, item: DeliveryItem) -> ChecklistRow:
    tick = (
        DeliveryTick.objects.filter(delivery__policy=policy, item=item).select_related("by").first()
    )
    return ChecklistRow(item=item, tick=tick)


def delivery_checklist(*, policy: Policy) -> DeliveryChecklist:
    """The delivery record (None until first used) and every item with its tick: two queries."""
    delivery = Delivery.objects.filter(policy=policy).first()
    ticks = (
        {t.item: t for t in DeliveryTick.objects.filter(delivery=delivery).select_related("by")}
        if delivery
        else {}
    )
    return DeliveryChecklist(
        delivery=delivery,
        preparation=[ChecklistRow(item=i, tick=ticks.get(i)) for i in DeliveryItem.preparation()],
        steps=[ChecklistRow(item=i, tick=ticks.get(i)) for i in DeliveryItem.steps()],
        progress=DeliveryProgress(done=len(ticks)),
    )


# --- annual reviews ---------------------------------------------------------------------------


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
    """What a review of this household may cover: the policies it holds, with this agent."""
    return policies_held_by(client=household).order_by("effective_date", "id")


def household_review_on(*, household: Client, anniversary: date) -> AnnualReview | None:
    """The household's review for an anniversary, if there is one (one per household and
    anniversary)."""
    return AnnualReview.objects.filter(
        household=household, household__owner_id=household.owner_id, anniversary=anniversary
    ).first()


def review_default_anniversary(*, policy: Policy, today: date) -> date:
    """The most recent anniversary on or before today; the first one if none has come yet."""
    effective = policy.effective_date
    this_year = dates.anniversary_in_year(effective=effective, year=today.year)
    latest = (
        this_year
        if this_year <= today
        else dates.anniversary_in_year(effective=effective, year=today.year - 1)
    )
    if latest.year <= effective.year:
        return dates.nth_anniversary(effective=effective, n=1)
    return latest
