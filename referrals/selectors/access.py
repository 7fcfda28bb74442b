"""Who may read which referral rows. Every read of referrals, requests and stage changes
starts from the `*_for_user` helper of its model here: an agent sees their own. A manager
sees their teams' agents (`team_agents_for_manager`) and, through `selectors/team.py`, those
agents' figures, never another team's."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from agentcrm.accounts.models import User
from agentcrm.accounts.selectors import team_members_for_manager

from ..models import Referral, ReferralRequest, ReferralStageChange


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


def team_agents_for_manager(*, user: User) -> QuerySet[User]:
    """The people whose referral figures a manager may see (their teams and sub-teams).
    Empty for an agent: the views answer 403 before asking."""
    return team_members_for_manager(user=user)


def get_team_agent_for_manager(*, user: User, pk: int) -> User:
    """One agent of the manager's teams, else 404 (another team's agent is not leaked)."""
    return get_object_or_404(team_agents_for_manager(user=user), pk=pk)
