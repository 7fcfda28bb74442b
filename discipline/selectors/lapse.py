"""The lapse guard (/lapse/ for the agent, /team/lapse/ for the manager): the policies whose
premium is due soon, in their grace period, or past it (lapsed, still within the 2-year
reinstatement window, 复效期), most annualised premium at risk first.

A fixed number of queries whatever the size of the book: the page of policies with their
holder (sorted on the stored premium dates and amounts, nothing computed per row before the
sort), then for that page only the last contacts with the holders and the agents' commission
rates (a product's rate, else its insurer's); the counts in one grouped statement.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from agentcrm.core.calendar import years_before
from clients.models import Client, Interaction
from policies.models import Policy

from .. import backend
from ..models import CommissionRate
from ..summary import PAYMENTS_PER_YEAR, annual_premium_sql, fetch_rows

DUE_SOON_DAYS = 30
REINSTATEMENT_YEARS = 2
PAYING = (Policy.Status.IN_FORCE, Policy.Status.GRACE, Policy.Status.REINSTATED)

DUE_SOON, IN_GRACE, PAST_GRACE = "due_soon", "grace", "past_grace"
STAGES = {
    DUE_SOON: _("Due soon"),
    IN_GRACE: _("In grace period"),
    PAST_GRACE: _("Past grace (lapsed)"),
}
# The badge of each stage, looked up once per row (discipline/_stage.html).
STAGE_BADGES = {DUE_SOON: "text-bg-info", IN_GRACE: "text-bg-warning", PAST_GRACE: "text-bg-danger"}


def annual_premium() -> Case:
    return ExpressionWrapper(
        F("premium")
        * Case(
            *(When(payment_frequency=k, then=Value(n)) for k, n in PAYMENTS_PER_YEAR.items()),
            default=Value(1),
            output_field=IntegerField(),
        ),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


def lapse_queue(*, owner_ids, today: datetime.date, stage: str = "") -> QuerySet[Policy]:
    """The policies at risk of the agents `owner_ids`, most premium at risk first, each with
    its `stage` and `annual` premium (`lapse_decorate` adds the rest to a page's rows)."""
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    # The same bounds as lapse_counts (a pager's count is its total; 29 February included).
    reinstate_from = years_before(today, REINSTATEMENT_YEARS)
    at_risk = Q(status__in=PAYING, premium_next_due__lte=soon) | Q(
        status=Policy.Status.LAPSED, premium_grace_end__gte=reinstate_from
    )
    qs = (
        Policy.objects.filter(at_risk, owner_id__in=owner_ids, holder__archived_at__isnull=True)
        .select_related("holder", "insurer", "owner")
        .annotate(
            stage=Case(
                When(status=Policy.Status.LAPSED, then=Value(PAST_GRACE)),
                When(
                    Q(status=Policy.Status.GRACE) | Q(premium_next_due__lt=today),
                    then=Value(IN_GRACE),
                ),
                default=Value(DUE_SOON),
                output_field=CharField(),
            ),
            annual=annual_premium(),
        )
        .order_by("-annual", "premium_grace_end", "id")
    )
    if stage in STAGES:
        qs = qs.filter(stage=stage)
    return qs


@dataclass
class LapseCounts:
    due_soon: int = 0
    grace: int = 0
    past_grace: int = 0
    premium_at_risk: Decimal = Decimal(0)
    commission_at_risk: Decimal = Decimal(0)

    def total(self, stage: str = "") -> int:
        """The policies of one stage, or of all: what lapse_queue(stage=…) counts."""
        if stage in STAGES:
            return getattr(self, stage)
        return self.due_soon + self.grace + self.past_grace


def lapse_decorate(policies, *, today: datetime.date):
    """The page's rows get their days left, last contact with the holder and commission at
    risk: two queries for the page (the last contacts, the agents' rates), never one per
    row, and none for the thousands of rows the page does not show."""
    policies = list(policies)
    holders = {p.holder_id for p in policies}
    last = dict(
        Interaction.objects.filter(client_id__in=holders)
        .order_by()
        .values("client_id")
        .annotate(last=Max("date"))
        .values_list("client_id", "last")
    )
    rates = {
        (r.owner_id, r.insurer_id, r.product_name): r.rate
        for r in CommissionRate.objects.filter(owner_id__in={p.owner_id for p in policies})
    }
    for policy in policies:
        policy.last_contact = last.get(policy.holder_id)
        policy.rate = rates.get(
            (policy.owner_id, policy.insurer_id, policy.product_name),
            rates.get((policy.owner_id, policy.insurer_id, "")),
        )
    for policy in policies:
        if policy.stage == DUE_SOON:
            end = policy.premium_next_due
        elif policy.stage == IN_GRACE:
            end = policy.premium_grace_end
        else:
            grace_end = policy.premium_grace_end
            end = years_before(grace_end, -REINSTATEMENT_YEARS) if grace_end else None
        policy.days_left = (end - today).days if end else None
        policy.days_over = -policy.days_left if policy.days_left is not None else None
        policy.deadline = end
        policy.stage_label = STAGES.get(policy.stage, STAGES[DUE_SOON])
        policy.stage_badge = STAGE_BADGES.get(policy.stage, STAGE_BADGES[DUE_SOON])
        policy.commission_at_risk = (
            (policy.annual * policy.rate / 100).quantize(Decimal("0.01"))
            if policy.rate is not None and not policy.sold_by_others
            else None
        )
    return policies


def lapse_counts(*, owner_ids, today: datetime.date) -> dict:
    """{"": the total, agent id: …}: LapseCounts per stage, with the premium and the
    commission at risk. One grouped statement (the commission rates joined, not looked up
    per policy), so a team's 150,000 policies cost one index scan of the due dates."""
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    reinstate_from = years_before(today, REINSTATEMENT_YEARS)
    policy, client = Policy._meta.db_table, Client._meta.db_table
    rates = CommissionRate._meta.db_table
    sql = f"""
        SELECT p.owner_id,
          CASE WHEN p.status = 'lapsed' THEN %(past)s
               WHEN p.status = 'grace' OR p.premium_next_due < %(today)s THEN %(grace)s
               ELSE %(soon_key)s END AS stage,
          COUNT(*), SUM({annual_premium_sql()}),
          SUM({annual_premium_sql()} * COALESCE(pr.rate, ir.rate) / 100)
            FILTER (WHERE NOT p.sold_by_others)
        FROM {policy} p JOIN {client} c ON c.id = p.holder_id AND c.archived_at IS NULL
        LEFT JOIN {rates} pr ON pr.owner_id = p.owner_id AND pr.insurer_id = p.insurer_id
          AND pr.product_name = p.product_name
        LEFT JOIN {rates} ir ON ir.owner_id = p.owner_id AND ir.insurer_id = p.insurer_id
          AND ir.product_name = ''
        WHERE {backend.in_ids("p.owner_id", owner_ids)} AND (
          (p.status IN ('in_force', 'grace', 'reinstated') AND p.premium_next_due <= %(soon)s)
          OR (p.status = 'lapsed' AND p.premium_grace_end >= %(reinstate_from)s))
        GROUP BY 1, 2"""
    params = {
        "today": today,
        "soon": soon,
        "reinstate_from": reinstate_from,
        "past": PAST_GRACE,
        "grace": IN_GRACE,
        "soon_key": DUE_SOON,
    }
    counts: dict = {"": LapseCounts()}
    for owner_id, stage, n, premium, commission in fetch_rows(sql, params):
        for key in ("", owner_id):
            c = counts.setdefault(key, LapseCounts())
            setattr(c, stage, getattr(c, stage) + n)
            c.premium_at_risk += backend.as_decimal(premium)
            c.commission_at_risk += backend.as_decimal(commission)
    return counts
