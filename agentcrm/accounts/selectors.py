"""Who may see whom. Teams are few and shallow, so the tree is walked level by level:
one query per level, never one per team."""

from django.db.models import QuerySet

from .models import Team, User


def team_subtree_ids(*, root_ids: list[int]) -> set[int]:
    seen: set[int] = set()
    frontier = set(root_ids)
    while frontier:
        seen |= frontier
        frontier = (
            set(Team.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - seen
        )
    return seen


def teams_for_manager(*, user: User) -> QuerySet[Team]:
    """The teams a manager leads and every team nested under them."""
    if not user.is_authenticated or not user.is_manager:
        return Team.objects.none()
    roots = list(Team.objects.filter(manager=user).values_list("id", flat=True))
    return Team.objects.filter(id__in=team_subtree_ids(root_ids=roots))


def team_members_for_manager(*, user: User) -> QuerySet[User]:
    """Agents and sub-managers in the manager's teams (not the manager themself)."""
    return (
        User.objects.filter(team__in=teams_for_manager(user=user), is_active=True)
        .exclude(pk=user.pk)
        .order_by("team__name", "username")
    )


def otp_enrolled(*, user: User) -> bool:
    """Whether the user has a confirmed TOTP device: from then on every sign-in needs a code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def otp_backup_codes_left(*, user: User) -> int:
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
