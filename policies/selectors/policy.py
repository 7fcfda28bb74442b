"""Reads for policies. Every policy query starts from `policies_for_user`."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agentcrm.accounts.models import User
from agentcrm.core.history import HistoryEntry, HistorySource, history_entries
from clients.models import Client

from .. import dates
from ..models import Policy

# The cover types the client page summarises, in the order shown.
SUMMARY_TYPES = (
    Policy.Type.LIFE,
    Policy.Type.CRITICAL_ILLNESS,
    Policy.Type.MEDICAL,
    Policy.Type.ACCIDENT,
    Policy.Type.ANNUITY,
)
# A missing type here is worth raising with the client; annuity is a wish, not a gap.
GAP_MESSAGES = {
    Policy.Type.MEDICAL: _("No medical cover: hospital bills are paid out of pocket."),
    Policy.Type.CRITICAL_ILLNESS: _("No critical-illness cover: no lump sum on diagnosis."),
    Policy.Type.ACCIDENT: _("No accident cover."),
    Policy.Type.LIFE: _("No life cover: nothing is paid to the family on death."),
}
AT_RISK = "at_risk"
PREMIUM_PAYING_STATUSES = Policy.PREMIUM_PAYING_STATUSES  # the set is the model's


def policies_for_user(*, user: User) -> QuerySet[Policy]:
    """The one scoping rule, as for clients: an agent sees only the policies they own."""
    if not user.is_authenticated:
        return Policy.objects.none()
    return Policy.objects.filter(owner=user)


def get_policy_for_user(*, user: User, pk: int) -> Policy:
    """The policy if `user` may see it, else 404 (never 403: existence is not leaked)."""
    return get_object_or_404(
        policies_for_user(user=user).select_related(
            "insurer", "holder", "insured_client", "insured_member"
        ),
        pk=pk,
    )


def _for_client(*, client: Client) -> QuerySet[Policy]:
    # Scoped by the client's owner as well, so a policy can never surface under a client of
    # another agent even if the rows were ever inconsistent.
    return Policy.objects.filter(owner_id=client.owner_id).select_related(
        "insurer", "holder", "insured_client", "insured_member"
    )


def policies_held_by(*, client: Client) -> QuerySet[Policy]:
    return _for_client(client=client).filter(holder=client)


def policies_insuring(*, client: Client) -> QuerySet[Policy]:
    """Policies on the client's own life, whoever holds them."""
    return _for_client(client=client).filter(insured_client=client)


def policies_for_family_of(*, client: Client) -> QuerySet[Policy]:
    """Policies insuring the client's family members (children's education plans…)."""
    return _for_client(client=client).filter(insured_member__client=client)


@dataclass
class CoverLine:
    policy_type: str
    label: str
    count: int = 0
    # Amounts are kept per currency: a CNY and a USD sum assured are never added together.
    sum_assured: dict[str, Decimal] = field(default_factory=dict)
    premium: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class CoverageSummary:
    lines: list[CoverLine]
    gaps: list[str]


def coverage_summary(*, client: Client) -> CoverageSummary:
    """The client's own cover by type from active policies: one grouped query."""
    rows = (
        policies_insuring(client=client)
        .filter(status__in=Policy.ACTIVE_STATUSES)
        .order_by()  # the default ordering would otherwise join the GROUP BY
        .values("policy_type", "currency")
        .annotate(count=Count("id"), sum_assured=Sum("sum_assured"), premium=Sum("premium"))
    )
    lines = {t: CoverLine(policy_type=t.value, label=str(t.label)) for t in SUMMARY_TYPES}
    for row in rows:
        kind = row["policy_type"]
        if kind not in lines:
            lines[kind] = CoverLine(policy_type=kind, label=str(Policy.Type(kind).label))
        line = lines[kind]
        line.count += row["count"]
        line.sum_assured[row["currency"]] = row["sum_assured"]
        line.premium[row["currency"]] = row["premium"]
    gaps = [str(message) for kind, message in GAP_MESSAGES.items() if not lines[kind].count]
    return CoverageSummary(lines=list(lines.values()), gaps=gaps)


@dataclass(frozen=True)
class PremiumState:
    next_due: date | None
    grace_end: date | None
    risk: dates.LapseRisk


def policy_premium_state(*, policy: Policy, today: date | None = None) -> PremiumState:
    """Next unpaid due, its grace end and the lapse risk, from the dates the services store
    on the policy (no query).

    Only a policy whose premiums are still being paid can lapse: a pending, paid-up or
    terminated one has no risk to show.
    """
    if policy.status not in PREMIUM_PAYING_STATUSES:
        return PremiumState(next_due=None, grace_end=None, risk=dates.LapseRisk.OK)
    return PremiumState(
        next_due=policy.premium_next_due,
        grace_end=policy.premium_grace_end,
        risk=dates.lapse_risk(
            next_due=policy.premium_next_due,
            grace_days=policy.insurer.grace_days,
            today=today,
        ),
    )


def lapse_risk_filter(*, risk: str, today: date) -> Q:
    """The lapse risk of `dates.lapse_risk` as a condition on the stored dates, so the list
    can filter any number of policies in SQL. `at_risk` is any of the three."""
    paying = Q(status__in=PREMIUM_PAYING_STATUSES)
    conditions = {
        dates.LapseRisk.DUE_SOON: Q(
            premium_next_due__gte=today,
            premium_next_due__lte=today + timedelta(days=dates.DUE_SOON_DAYS),
        ),
        dates.LapseRisk.IN_GRACE: Q(premium_next_due__lt=today, premium_grace_end__gte=today),
        dates.LapseRisk.LAPSED: Q(premium_grace_end__lt=today),
    }
    if risk == AT_RISK:
        return paying & (
            conditions[dates.LapseRisk.DUE_SOON]
            | conditions[dates.LapseRisk.IN_GRACE]
            | conditions[dates.LapseRisk.LAPSED]
        )
    return paying & conditions[dates.LapseRisk(risk)]


def policy_list(
    *,
    user: User,
    q: str = "",
    status: str = "",
    policy_type: str = "",
    insurer: int | None = None,
    anniversary_month: int | None = None,
    lapse_risk: str = "",
    today: date | None = None,
) -> QuerySet[Policy]:
    """The filtered policy list, with what each row shows joined in: one query per page."""
    qs = policies_for_user(user=user).select_related(
        "insurer", "holder", "insured_client", "insured_member"
    )
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(number__icontains=q)
            | Q(holder__name__icontains=q)
            | Q(insured_client__name__icontains=q)
            | Q(insured_member__name__icontains=q)
        )
    if status:
        qs = qs.filter(status=status)
    if policy_type:
        qs = qs.filter(policy_type=policy_type)
    if insurer:
        qs = qs.filter(insurer_id=insurer)
    if anniversary_month:
        # anniversary_md is month*100+day; a 29 February policy (229) stays in February.
        qs = qs.filter(
            anniversary_md__gte=anniversary_month * 100,
            anniversary_md__lt=(anniversary_month + 1) * 100,
        )
    if lapse_risk:
        qs = qs.filter(lapse_risk_filter(risk=lapse_risk, today=today or timezone.localdate()))
    return qs


def policy_audit_history(*, policy: Policy) -> list[HistoryEntry]:
    """The last changes to the policy's own fields (its status has its own history)."""
    return history_entries(sources=[HistorySource(records=policy.history.all())])
