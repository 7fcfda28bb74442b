"""Reads for handovers: who may be handed over, to whom, and the client's agent history."""

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from agentcrm.accounts.models import User
from agentcrm.accounts.selectors import teams_for_manager
from clients.models import Client

from .models import Handover, HandoverClient


def handover_agents_for_user(*, user: User) -> QuerySet[User]:
    """Agents whose book `user` may hand over, and who may take one: a manager's teams and
    sub-teams; an administrator's whole company. Nobody else.

    Switched-off agents are included: an agent deactivated in the admin still has a book to
    hand over, and a handover's departing agent is switched off by the handover itself (its
    page must stay visible). Who may *take* a book is narrowed to active agents by the form
    and the service."""
    if not user.is_authenticated or not user.is_manager:
        return User.objects.none()
    if user.role == User.Role.ADMIN or user.is_superuser:
        return User.objects.exclude(pk=user.pk).order_by("team__name", "username")
    return (
        User.objects.filter(team__in=teams_for_manager(user=user))
        .exclude(pk=user.pk)
        .order_by("team__name", "username")
    )


def departing_agents_for_user(*, user: User) -> QuerySet[User]:
    """Agents with a book to hand over (active, or switched off with clients left)."""
    return (
        handover_agents_for_user(user=user)
        .filter(Q(is_active=True) | Q(clients__isnull=False))
        .annotate(client_count=Count("clients", distinct=True))
        .distinct()
    )


def handovers_for_user(*, user: User) -> QuerySet[Handover]:
    agents = handover_agents_for_user(user=user)
    return Handover.objects.filter(from_agent__in=agents).select_related("from_agent", "by")


def get_handover_for_user(*, user: User, pk: int) -> Handover:
    return get_object_or_404(handovers_for_user(user=user), pk=pk)


def handover_summary(*, handover: Handover) -> list[dict]:
    """Per new agent: how many clients they took."""
    return list(
        handover.clients.values("to_agent__username", "to_agent__display_name")
        .annotate(clients=Count("id"))
        .order_by("-clients")
    )


def client_agent_history(*, client: Client) -> list[HandoverClient]:
    return list(client.agent_changes.select_related("from_agent", "to_agent")[:20])
