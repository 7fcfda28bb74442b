"""Reads for referrals. Every query for referrals, requests and stage changes starts from the
`*_for_user` helpers here: an agent sees their own; a manager sees their teams' figures
through `referrals/team.py`, never another team's."""

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404

from agentcrm.accounts.models import User
from agentcrm.accounts.selectors import team_members_for_manager
from clients.models import Client

from .models import Referral, ReferralRequest, ReferralStageChange


def referrals_for_user(*, user: User) -> QuerySet[Referral]:
    if not user.is_authenticated:
        return Referral.objects.none()
    return Referral.objects.filter(owner=user)


def get_referral_for_user(*, user: User, pk: int) -> Referral:
    return get_object_or_404(
        referrals_for_user(user=user).select_related("referrer", "referred", "won_policy"), pk=pk
    )


def referral_requests_for_user(*, user: User) -> QuerySet[ReferralRequest]:
    if not user.is_authenticated:
        return ReferralRequest.objects.none()
    return ReferralRequest.objects.filter(owner=user)


def stage_changes_for_user(*, user: User) -> QuerySet[ReferralStageChange]:
    if not user.is_authenticated:
        return ReferralStageChange.objects.none()
    return ReferralStageChange.objects.filter(owner=user)


def get_stage_change_for_user(*, user: User, pk: int) -> ReferralStageChange:
    return get_object_or_404(
        stage_changes_for_user(user=user).select_related(
            "referral__referrer", "referral__referred"
        ),
        pk=pk,
    )


def prospects_with_phone(*, user: User, mobile) -> QuerySet[Client]:
    """The user's own records with this mobile: a referred name may already be in the archive
    (no second copy of a person)."""
    if not mobile:
        return Client.objects.none()
    return Client.objects.filter(owner=user, mobile=mobile).select_related("referral")


def team_agents_for_manager(*, user: User) -> QuerySet[User]:
    """The people whose referral figures a manager may see (their teams and sub-teams).
    Empty for an agent: the views answer 403 before asking."""
    return team_members_for_manager(user=user)


def get_team_agent_for_manager(*, user: User, pk: int) -> User:
    """One agent of the manager's teams, else 404 (another team's agent is not leaked)."""
    return get_object_or_404(team_agents_for_manager(user=user), pk=pk)


def feedback_compliance(*, owner_ids, start, end, today) -> dict[int, tuple[int, int]]:
    """{agent id: (reported on time, owed)} for the stage changes whose report-back deadline
    falls in [start, end]. A change is owed once its deadline has passed or it was reported;
    one still within its deadline and unreported is not counted yet. Reported on time means
    reported (local date) on or before the deadline. One grouped query."""
    rows = (
        ReferralStageChange.objects.filter(
            owner_id__in=owner_ids,
            feedback_due__gte=start,
            feedback_due__lte=end,
        )
        .filter(Q(feedback_due__lt=today) | Q(reported_at__isnull=False))
        .annotate(reported_on=TruncDate("reported_at"))
        .values("owner_id")
        .annotate(
            owed=Count("id"),
            on_time=Count("id", filter=Q(reported_on__lte=F("feedback_due"))),
        )
    )
    return {row["owner_id"]: (row["on_time"], row["owed"]) for row in rows}
