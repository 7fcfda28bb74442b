"""What the agent's referral pages show: the list and its referrer filter, the asks, one
referral's page (the chain above, the stage history, the policies "won" may name), the
client page's referrals panel, and the records that already have a mobile typed in.

Each starts from the scoping helpers in `selectors/access.py` (or a client already fetched
through `clients.selectors.get_client_for_user`) and runs a fixed number of queries, however
many rows there are.
"""

from datetime import date

from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum

from agentcrm.accounts.models import User
from clients.models import Client
from clients.selectors import phone_digits_q
from policies.models import Policy
from policies.selectors import policies_for_user

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


def referral_list(
    *,
    user: User,
    q: str = "",
    stage: str = "",
    referrer: int | None = None,
    given_from: date | None = None,
    given_to: date | None = None,
    owed: bool = False,
) -> QuerySet[Referral]:
    """The agent's referrals, newest first, each with `feedback_owed_due` (the earliest
    unreported report-back deadline). One query for a page, whatever its length."""
    qs = (
        referrals_for_user(user=user)
        .select_related("referrer", "referred", "request")
        .annotate(feedback_owed_due=_open_feedback_due())
    )
    q = q.strip()
    if q:
        match = Q(referred__name__icontains=q) | Q(referrer__name__icontains=q)
        match |= phone_digits_q(q, "referred__mobile")
        qs = qs.filter(match)
    if stage:
        qs = qs.filter(stage=stage)
    if referrer:
        qs = qs.filter(referrer_id=referrer)
    if given_from:
        qs = qs.filter(given_on__gte=given_from)
    if given_to:
        qs = qs.filter(given_on__lte=given_to)
    if owed:
        qs = qs.filter(feedback_owed_due__isnull=False)
    return qs.order_by("-given_on", "-id")


def referrer_choices(*, user: User) -> list[tuple[int, str]]:
    """(id, name) of the agent's clients who referred someone, by name: one query."""
    return list(
        referrals_for_user(user=user)
        .order_by("referrer__name", "referrer_id")
        .values_list("referrer_id", "referrer__name")
        .distinct()
    )


def asked_client_choices(*, user: User) -> list[tuple[int, str]]:
    """(id, name) of the agent's clients who were asked for names, by name: one query."""
    return list(
        referral_requests_for_user(user=user)
        .order_by("client__name", "client_id")
        .values_list("client_id", "client__name")
        .distinct()
    )


def prospects_with_phone(*, user: User, mobile) -> QuerySet[Client]:
    """The user's own records with this mobile: a referred name may already be in the archive
    (no second copy of a person)."""
    if not mobile:
        return Client.objects.none()
    return Client.objects.filter(owner=user, mobile=mobile).select_related("referral")


def referral_request_list(*, user: User, client: int | None = None) -> QuerySet[ReferralRequest]:
    """The agent's asks, newest first, with the client, the policy and the names given
    (prefetched: two queries for a page)."""
    qs = referral_requests_for_user(user=user).select_related("client", "policy")
    if client:
        qs = qs.filter(client_id=client)
    return qs.prefetch_related(
        Prefetch(
            "referrals",
            queryset=Referral.objects.select_related("referred").order_by("id"),
            to_attr="names",
        )
    ).order_by("-asked_on", "-id")


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
    """The policies the referred person holds or is insured by (for "won")."""
    return (
        policies_for_user(user=user)
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
