"""Reads of campaigns: the agent's own, the audience a set of filters selects, and the
touches a campaign made (done / open / skipped)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_filters import CharFilter, NumberFilter, TypedChoiceFilter

from agentcrm.accounts.models import User
from agentcrm.core.lists import CheckboxFilter
from clients.models import Client
from clients.selectors import ALL, ClientFilter, clients_for_user
from policies.models import Policy, Rider
from touches.models import Touch

from .models import CAMPAIGN_KIND, SOURCE_PREFIX, Campaign


def campaigns_for_user(*, user: User) -> QuerySet[Campaign]:
    if not user.is_authenticated:
        return Campaign.objects.none()
    return Campaign.objects.filter(owner=user)


def get_campaign_for_user(*, user: User, pk: int) -> Campaign:
    """The campaign if it is `user`'s own, else 404."""
    return get_object_or_404(campaigns_for_user(user=user), pk=pk)


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def has_cover(policy_type: str, *, today: date) -> Q:
    """The client is insured for `policy_type` by an active policy or a rider not yet expired
    on an active policy. Every policy counts, those sold by other agents too (保单托管): the
    question is the client's cover, not the agent's sales (no `Policy.objects.own()`)."""
    policies = Policy.objects.filter(
        insured_client=OuterRef("pk"),
        status__in=Policy.ACTIVE_STATUSES,
        policy_type=policy_type,
    )
    riders = Rider.objects.filter(
        policy__insured_client=OuterRef("pk"),
        policy__status__in=Policy.ACTIVE_STATUSES,
        policy_type=policy_type,
        expiry_date__gte=today,
    )
    return Q(Exists(policies)) | Q(Exists(riders))


class AudienceFilter(ClientFilter):
    """The client list's filters plus the cover, age and interest of the audience."""

    no_critical_illness = CheckboxFilter(
        label=gettext_lazy("Has no critical illness cover"), method="filter_no_ci"
    )
    policy_type = TypedChoiceFilter(
        label=gettext_lazy("Has a policy of type"),
        choices=[ALL, *Policy.Type.choices],
        method="filter_policy_type",
    )
    age_min = NumberFilter(
        label=gettext_lazy("Age from"), min_value=0, max_value=120, method="filter_age_min"
    )
    age_max = NumberFilter(
        label=gettext_lazy("Age to"), min_value=0, max_value=120, method="filter_age_max"
    )
    interest = CharFilter(
        label=gettext_lazy("Interest"),
        field_name="interests",
        lookup_expr="icontains",
        max_length=40,
    )

    class Meta(ClientFilter.Meta):
        pass

    def filter_no_ci(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.exclude(has_cover(Policy.Type.CRITICAL_ILLNESS, today=timezone.localdate()))

    def filter_policy_type(self, queryset, name, value):
        if not value:
            return queryset
        held = Policy.objects.filter(
            Q(holder=OuterRef("pk")) | Q(insured_client=OuterRef("pk")),
            status__in=Policy.ACTIVE_STATUSES,
            policy_type=value,
        )
        return queryset.filter(Q(Exists(held)) | has_cover(value, today=timezone.localdate()))

    def filter_age_min(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(birth_date__lte=_years_ago(timezone.localdate(), int(value)))

    def filter_age_max(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(birth_date__gt=_years_ago(timezone.localdate(), int(value) + 1))


# The audience's fields (of the filter set's form) the campaign form shows; sort and the
# archived switch are the list's, not an audience's.
AUDIENCE_FIELDS = (
    "q",
    "segment",
    "tier",
    "stage",
    "source",
    "tag",
    "interest",
    "birthday_month",
    "age_min",
    "age_max",
    "policy_type",
    "no_critical_illness",
)


@dataclass(frozen=True)
class Audience:
    clients: QuerySet[Client]  # the clients to contact (do-not-contact left out), distinct
    size: int
    do_not_contact: int
    valid: bool


def audience_filter(*, user: User, data: Mapping[str, Any] | None) -> AudienceFilter:
    data = {k: v for k, v in (data or {}).items() if k in AUDIENCE_FIELDS}
    # Only live records: never an archived, merged or erased client.
    base = clients_for_user(user=user).filter(
        archived_at__isnull=True, merged_into__isnull=True, erased_at__isnull=True
    )
    return AudienceFilter(data, queryset=base)


def audience_for(*, user: User, data: Mapping[str, Any] | None) -> Audience:
    """Who a campaign with these filters reaches, and how many do-not-contact clients the
    filters matched and are left out. Two count queries."""
    filtered = audience_filter(user=user, data=data)
    ids = filtered.qs.order_by().values("pk")
    matched = Client.objects.filter(pk__in=ids)
    counts = matched.aggregate(
        size=Count("pk", filter=Q(do_not_contact=False)),
        dnc=Count("pk", filter=Q(do_not_contact=True)),
    )
    return Audience(
        clients=matched.filter(do_not_contact=False),
        size=counts["size"],
        do_not_contact=counts["dnc"],
        valid=filtered.is_valid() if filtered.is_bound else True,
    )


def _touches_of(campaign_pk) -> QuerySet[Touch]:
    return Touch.objects.filter(
        kind=CAMPAIGN_KIND,
        source=Concat(Value(f"{SOURCE_PREFIX}:"), Cast(campaign_pk, CharField())),
    )


def _count_of(status: str) -> Subquery:
    rows = (
        _touches_of(OuterRef("pk"))
        .filter(owner=OuterRef("owner"), status=status)
        .order_by()
        .values("owner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def campaign_list(*, user: User) -> QuerySet[Campaign]:
    """The agent's campaigns with their touches done, open and skipped: one query."""
    return campaigns_for_user(user=user).annotate(
        done=_count_of(Touch.Status.DONE),
        open=_count_of(Touch.Status.OPEN),
        skipped=_count_of(Touch.Status.SKIPPED),
    )


def campaign_touches(*, campaign: Campaign) -> QuerySet[Touch]:
    return (
        Touch.objects.filter(
            owner_id=campaign.owner_id, kind=CAMPAIGN_KIND, source=campaign.touch_source
        )
        .select_related("client")
        # Open ones first: what is left to do.
        .order_by(
            Case(When(status=Touch.Status.OPEN, then=0), default=1), "status", "client__name", "id"
        )
    )


def campaign_counts(*, campaign: Campaign) -> dict[str, int]:
    """{done, open, skipped}: one query."""
    return (
        campaign_touches(campaign=campaign)
        .order_by()
        .aggregate(
            done=Count("pk", filter=Q(status=Touch.Status.DONE)),
            open=Count("pk", filter=Q(status=Touch.Status.OPEN)),
            skipped=Count("pk", filter=Q(status=Touch.Status.SKIPPED)),
        )
    )
