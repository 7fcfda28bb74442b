"""What the agent's referral pages show: the list and its referrer filter, the asks, one
referral's page (the chain above, the stage history, the policies "won" may name), the
client page's referrals panel, and the records that already have a mobile typed in.

Each starts from the scoping helpers in `selectors/access.py` (or a client already fetched
through `clients.selectors.get_client_for_user`) and runs a fixed number of queries, however
many rows there are.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import CharFilter, DateFilter, ModelChoiceFilter, TypedChoiceFilter

from agentcrm.accounts.models import User
from agentcrm.core.forms import DateInput
from agentcrm.core.lists import CheckboxFilter, ListFilterSet
from clients.models import Client
from clients.selectors import phone_digits_q
from policies.models import Policy
from policies.selectors import policies_for_user

from ..forms import PERIOD_CHOICES, GivenDatesForm, period_range
from ..models import Referral, ReferralRequest, ReferralStageChange, Stage
from .access import referral_requests_for_user, referrals_for_user
from .analytics import StageCount
from .chains import ancestor_ids


def _open_feedback_due() -> Subquery:
    """The earliest report-back deadline of a referral still unreported (None if none)."""
    return Subquery(
        ReferralStageChange.objects.filter(
            referral=OuterRef("pk"), feedback_due__isnull=False, reported_at__isnull=True
        )
        .order_by("feedback_due")
        .values("feedback_due")[:1]
    )


class ReferralFilter(ListFilterSet):
    """The referral list's filters; its form is the list page's filter form. The referrers
    offered are the `user`'s clients who referred someone; `today` dates the periods."""

    q = CharFilter(label=_("Search"), max_length=100, method="filter_search")
    stage = TypedChoiceFilter(
        label=_("Stage"), field_name="stage", choices=[("", _("All stages")), *Stage.choices]
    )
    referrer = ModelChoiceFilter(
        label=_("Referrer"),
        field_name="referrer",
        queryset=Client.objects.none(),
        empty_label=_("All referrers"),
    )
    period = TypedChoiceFilter(label=_("Period"), choices=PERIOD_CHOICES, method="filter_period")
    given_from = DateFilter(label=_("Given from"), widget=DateInput(), method="filter_given_from")
    given_to = DateFilter(label=_("Given until"), widget=DateInput(), method="filter_given_to")
    owed = CheckboxFilter(label=_("Report-back owed"), method="filter_owed")

    class Meta:
        model = Referral
        fields = []
        form = GivenDatesForm

    def __init__(self, data=None, queryset=None, *, user: User, today: date | None = None, **kw):
        super().__init__(data, queryset, **kw)
        self.today = today or timezone.localdate()
        self.filters["referrer"].queryset = Client.objects.filter(
            pk__in=referrals_for_user(user=user).values("referrer_id")
        ).order_by("name", "id")

    def filter_search(self, queryset, name, value):
        match = Q(referred__name__icontains=value) | Q(referrer__name__icontains=value)
        match |= phone_digits_q(value, "referred__mobile")
        return queryset.filter(match)

    # A preset period wins over the dates typed.
    def filter_period(self, queryset, name, period):
        start, end = period_range(period, self.today)
        return queryset.filter(given_on__gte=start, given_on__lte=end)

    def filter_given_from(self, queryset, name, day):
        return queryset if self.values["period"] else queryset.filter(given_on__gte=day)

    def filter_given_to(self, queryset, name, day):
        return queryset if self.values["period"] else queryset.filter(given_on__lte=day)

    def filter_owed(self, queryset, name, owed):
        return queryset.filter(feedback_owed_due__isnull=False) if owed else queryset


def referral_list(
    *, user: User, filters: Mapping[str, Any] | None = None, today: date | None = None
) -> QuerySet[Referral]:
    """The agent's referrals, newest first, each with `feedback_owed_due` (the earliest
    unreported report-back deadline); `filters` are ReferralFilter's parameters (the list
    page's query string). One query for a page, whatever its length."""
    qs = (
        referrals_for_user(user=user)
        .select_related("referrer", "referred", "request")
        .annotate(feedback_owed_due=_open_feedback_due())
    )
    listed = ReferralFilter(filters, queryset=qs, user=user, today=today)
    return listed.qs.order_by("-given_on", "-id")


class ReferralRequestFilter(ListFilterSet):
    """The asks list's filter; the clients offered are those the `user` asked."""

    client = ModelChoiceFilter(
        label=_("Client"),
        field_name="client",
        queryset=Client.objects.none(),
        empty_label=_("All clients"),
    )

    class Meta:
        model = ReferralRequest
        fields = []

    def __init__(self, data=None, queryset=None, *, user: User, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.filters["client"].queryset = Client.objects.filter(
            pk__in=referral_requests_for_user(user=user).values("client_id")
        ).order_by("name", "id")


def referral_request_list(
    *, user: User, filters: Mapping[str, Any] | None = None
) -> QuerySet[ReferralRequest]:
    """The agent's asks, newest first, with the client, the policy and the names given
    (prefetched: two queries for a page); `filters` are ReferralRequestFilter's parameters."""
    qs = referral_requests_for_user(user=user).select_related("client", "policy")
    return (
        ReferralRequestFilter(filters, queryset=qs, user=user)
        .qs.prefetch_related(
            Prefetch(
                "referrals",
                queryset=Referral.objects.select_related("referred").order_by("id"),
                to_attr="names",
            )
        )
        .order_by("-asked_on", "-id")
    )


def referral_chain_above(*, referral: Referral) -> list[tuple[int, str]]:
    """(id, name) of everyone above the referred person, top of the chain first, ending
    with the referrer: the recursive walk plus one query for the names."""
    ids = ancestor_ids(referral.referred_id)
    names = dict(
        Client.objects.filter(owner_id=referral.owner_id, pk__in=ids).values_list("pk", "name")
    )
    return [(pk, names[pk]) for pk in reversed(ids) if pk in names]


def referral_stage_history(*, referral: Referral) -> list[ReferralStageChange]:
    return list(referral.stage_history.select_related("by").order_by("changed_at", "id"))


def referred_policies(*, user: User, referral: Referral) -> QuerySet[Policy]:
    """The agent's own policies the referred person holds or is insured by (for "won"): a
    policy sold by others (保单托管) is no win."""
    return (
        policies_for_user(user=user)
        .filter(sold_by_others=False)
        .filter(Q(holder_id=referral.referred_id) | Q(insured_client_id=referral.referred_id))
        .select_related("insurer")
        .order_by("-effective_date", "-id")
    )


def client_referral_summary(*, client: Client, limit: int = 10) -> dict:
    """The referrals panel of a client's page, in two queries: the referrals the client is
    on either end of (who referred them, whom they referred: counted by stage, the latest
    few listed), and how often they were asked and how many names they gave."""
    rows = list(
        Referral.objects.filter(owner_id=client.owner_id)
        .filter(Q(referrer=client) | Q(referred=client))
        .select_related("referrer", "referred")
        .order_by("-given_on", "-id")
    )
    referred_by = next((r for r in rows if r.referred_id == client.pk), None)
    made = [r for r in rows if r.referrer_id == client.pk]
    counts: dict[str, int] = {}
    for r in made:
        counts[r.stage] = counts.get(r.stage, 0) + 1
    stages = [StageCount(s.value, s.label, counts[s.value]) for s in Stage if counts.get(s.value)]
    asks = ReferralRequest.objects.filter(client=client, owner_id=client.owner_id).aggregate(
        count=Count("id"), names=Sum("names_given"), last=Max("asked_on")
    )
    return {
        "client": client,
        "referred_by": referred_by,
        "referred_total": len(made),
        "stages": stages,
        "recent": made[:limit],
        "asks": asks["count"],
        "names_given": asks["names"] or 0,
        "last_asked": asks["last"],
    }


# The deck: never over-use a referrer (不可过分利用及伤害介绍人的关系). Asking the same client
# again within this many days is pointed out where the agent asks (the ask is still saved).
REASK_WARN_DAYS = 30


def recent_ask_of(
    *, user: User, client_id: int | None, on: date | None = None, exclude_pk: int | None = None
) -> ReferralRequest | None:
    """The agent's latest ask of this client in the REASK_WARN_DAYS before `on` (today),
    or None: one query."""
    if not client_id or not user.is_authenticated:
        return None
    on = on or timezone.localdate()
    asks = ReferralRequest.objects.filter(
        owner=user,
        client_id=client_id,
        asked_on__gt=on - timedelta(days=REASK_WARN_DAYS),
        asked_on__lte=on,
    )
    if exclude_pk:
        asks = asks.exclude(pk=exclude_pk)
    return asks.order_by("-asked_on", "-id").first()


@dataclass
class Reasks:
    """The agent's asks in a period that came within REASK_WARN_DAYS of an earlier ask of the
    same client: how many asks in all, how many were such re-asks, the latest few."""

    asks: int
    reasks: int
    latest: list[ReferralRequest]


def reasks_in_period(*, agent: User, start: date, end: date, limit: int = 10) -> Reasks:
    """Two queries, whatever the book's size: the counts, then the latest re-asks."""
    earlier = ReferralRequest.objects.filter(
        owner=agent,
        client_id=OuterRef("client_id"),
        asked_on__lte=OuterRef("asked_on"),
        asked_on__gt=OuterRef("asked_on") - timedelta(days=REASK_WARN_DAYS),
    ).exclude(pk=OuterRef("pk"))
    # An ask on the same day as another counts once: only the later row (by id) is a re-ask.
    earlier = earlier.filter(Q(asked_on__lt=OuterRef("asked_on")) | Q(pk__lt=OuterRef("pk")))
    asks = ReferralRequest.objects.filter(owner=agent, asked_on__range=(start, end)).annotate(
        reask=Exists(earlier)
    )
    counts = asks.aggregate(asks=Count("pk"), reasks=Count("pk", filter=Q(reask=True)))
    latest = list(
        asks.filter(reask=True).select_related("client").order_by("-asked_on", "-pk")[:limit]
    )
    return Reasks(counts["asks"], counts["reasks"], latest)
