"""Reads for policies. Every policy query starts from `policies_for_user`."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import CharFilter, ModelChoiceFilter, TypedChoiceFilter

from agentcrm.accounts.models import User
from agentcrm.core.history import HistoryEntry, HistorySource, history_entries
from agentcrm.core.lists import ListFilterSet
from clients.models import Client, FamilyMember
from clients.selectors import clients_for_user, phone_digits_q

from .. import dates
from ..models import Beneficiary, Insurer, Policy, Rider

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
ALL = ("", _("All"))
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


def policies_of_household(*, client: Client) -> QuerySet[Policy]:
    """The household's policies, as an annual review sees them: those the client holds, and
    those on the life of the client or of one of the client's family members, whoever holds
    them (a policy the husband holds on his wife, a child's education plan). Still only the
    client's agent's."""
    return _for_client(client=client).filter(
        Q(holder=client) | Q(insured_client=client) | Q(insured_member__client=client)
    )


# How many people a picker's search answers at a time: it narrows as the agent types.
PICKER_LIMIT = 20


def client_picker_choices(*, user: User, q: str) -> QuerySet[Client]:
    """The agent's own clients whose name (or mobile, from 3 digits) matches what was typed,
    for the policy form's holder and insured pickers; the first PICKER_LIMIT by name."""
    qs = clients_for_user(user=user).only("id", "name", "mobile")
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | phone_digits_q(q, "mobile"))
    return qs.order_by("name", "id")[:PICKER_LIMIT]


def family_picker_choices(*, holder: Client) -> QuerySet[FamilyMember]:
    """The holder's family, the only family members a policy of the holder may insure."""
    return FamilyMember.objects.filter(client=holder, client__owner_id=holder.owner_id).order_by(
        "relation", "name", "id"
    )


@dataclass
class CoverLine:
    policy_type: str
    label: str
    count: int = 0  # main policies and riders of this type
    riders: int = 0  # of which riders
    # Amounts are kept per currency: a CNY and a USD sum assured are never added together.
    sum_assured: dict[str, Decimal] = field(default_factory=dict)
    premium: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class CoverageSummary:
    lines: list[CoverLine]
    gaps: list[str]


def coverage_summary(*, client: Client, today: date | None = None) -> CoverageSummary:
    """The client's own cover by type from active policies and their riders not yet expired
    (a medical rider on a life policy is medical cover): one grouped query (a UNION ALL of
    the policies' and the riders' sums)."""
    today = today or timezone.localdate()
    policies = (
        policies_insuring(client=client)
        .filter(status__in=Policy.ACTIVE_STATUSES)
        .order_by()  # the default ordering would otherwise join the GROUP BY
        .values("policy_type", money=F("currency"))
        .annotate(
            count=Count("id"),
            riders=Value(0),
            sum_assured=Sum("sum_assured"),
            premium=Sum("premium"),
        )
    )
    riders = (
        Rider.objects.filter(
            policy__owner_id=client.owner_id,
            policy__insured_client=client,
            policy__status__in=Policy.ACTIVE_STATUSES,
            expiry_date__gte=today,
        )
        .order_by()
        .values("policy_type", money=F("policy__currency"))
        .annotate(
            count=Count("id"),
            riders=Count("id"),
            sum_assured=Sum("sum_assured"),
            premium=Sum("premium"),
        )
    )
    lines = {t: CoverLine(policy_type=t.value, label=str(t.label)) for t in SUMMARY_TYPES}
    for row in policies.union(riders, all=True):
        kind = row["policy_type"] or Policy.Type.OTHER
        if kind not in lines:
            lines[kind] = CoverLine(policy_type=kind, label=str(Policy.Type(kind).label))
        line = lines[kind]
        line.count += row["count"]
        line.riders += row["riders"]
        currency = row["money"]
        line.sum_assured[currency] = line.sum_assured.get(currency, 0) + row["sum_assured"]
        line.premium[currency] = line.premium.get(currency, 0) + row["premium"]
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


class PolicyFilter(ListFilterSet):
    """The policy list's filters; its form is the list page's filter form. `today` dates
    the lapse risk."""

    q = CharFilter(label=_("Search"), max_length=100, method="filter_search")
    status = TypedChoiceFilter(
        label=_("Status"), field_name="status", choices=[ALL, *Policy.Status.choices]
    )
    policy_type = TypedChoiceFilter(
        label=_("Type"), field_name="policy_type", choices=[ALL, *Policy.Type.choices]
    )
    insurer = ModelChoiceFilter(
        label=_("Insurer"),
        field_name="insurer",
        queryset=Insurer.objects.all(),
        empty_label=_("All"),
    )
    anniversary_month = TypedChoiceFilter(
        label=_("Anniversary month"),
        choices=[ALL, *((m, str(m)) for m in range(1, 13))],
        coerce=int,
        empty_value=None,
        method="filter_anniversary_month",
    )
    lapse_risk = TypedChoiceFilter(
        label=_("Lapse risk"),
        choices=[
            ALL,
            (AT_RISK, _("Any risk")),
            (dates.LapseRisk.DUE_SOON, _("Premium due within 30 days")),
            (dates.LapseRisk.IN_GRACE, _("In grace period")),
            (dates.LapseRisk.LAPSED, _("Unpaid past grace")),
        ],
        method="filter_lapse_risk",
    )

    class Meta:
        model = Policy
        fields = []

    def __init__(self, data=None, queryset=None, *, today: date | None = None, user=None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.today = today or timezone.localdate()
        # Only the insurers the agent may see (Insurer.objects.visible_to).
        self.filters["insurer"].queryset = Insurer.objects.visible_to(user)

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(number__icontains=value)
            | Q(holder__name__icontains=value)
            | Q(insured_client__name__icontains=value)
            | Q(insured_member__name__icontains=value)
        )

    def filter_anniversary_month(self, queryset, name, month):
        # anniversary_md is month*100+day; a 29 February policy (229) stays in February.
        return queryset.filter(
            anniversary_md__gte=month * 100, anniversary_md__lt=(month + 1) * 100
        )

    def filter_lapse_risk(self, queryset, name, risk):
        return queryset.filter(lapse_risk_filter(risk=risk, today=self.today))


def policy_list(
    *, user: User, filters: Mapping[str, Any] | None = None, today: date | None = None
) -> QuerySet[Policy]:
    """The filtered policy list, with what each row shows joined in: one query per page.
    `filters` are PolicyFilter's parameters (the list page's query string)."""
    qs = policies_for_user(user=user).select_related(
        "insurer", "holder", "insured_client", "insured_member"
    )
    return PolicyFilter(filters, queryset=qs, today=today, user=user).qs


def policy_list_rows(policies: list[Policy], *, today: date) -> list[Policy]:
    """A page of the list with what each row shows besides the policy's own fields:
    `next_anniversary` and `premium_state` (no query)."""
    for policy in policies:
        policy.next_anniversary = dates.next_anniversary(
            effective=policy.effective_date, on_or_after=today
        )
        policy.premium_state = policy_premium_state(policy=policy, today=today)
    return policies


def policy_audit_history(*, policy: Policy) -> list[HistoryEntry]:
    """The last changes to the policy's own fields (its status has its own history), its
    riders and its beneficiaries (deleted ones included)."""
    return history_entries(
        sources=[
            HistorySource(records=policy.history.all()),
            HistorySource(
                records=Rider.history.filter(policy_id=policy.pk),
                subject=lambda record: _("Rider %(name)s") % {"name": record.name},
            ),
            HistorySource(
                records=Beneficiary.history.filter(policy_id=policy.pk),
                subject=lambda record: _("Beneficiary %(name)s") % {"name": record.name},
            ),
        ]
    )
