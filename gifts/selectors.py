"""Reads for gifts. An agent sees only the gifts of their own clients (through
`clients.selectors.get_client_for_user`); a manager sees, for the agents of their teams,
the gifts above the cap with the client's name masked."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from agentcrm.accounts.models import User
from clients.models import Client

from .models import Gift, GiftCap
from .rules import DEFAULT_CAPS, Caps


def gifts_for_user(*, user: User) -> QuerySet[Gift]:
    if not user.is_authenticated:
        return Gift.objects.none()
    return Gift.objects.filter(owner=user, client__owner=user)


def get_gift_for_user(*, user: User, client: Client, pk: int) -> Gift:
    return get_object_or_404(gifts_for_user(user=user).filter(client=client), pk=pk)


def caps_for_user(*, user: User) -> dict[str, Caps]:
    """The agent's cap per tier, the default where they set none: one query."""
    own = {
        tier: Caps(per_gift, per_year)
        for tier, per_gift, per_year in GiftCap.objects.filter(owner=user).values_list(
            "tier", "per_gift", "per_year"
        )
    }
    return {tier: own.get(tier, Caps(*default)) for tier, default in DEFAULT_CAPS.items()}


def caps_for_client(*, client: Client) -> Caps:
    row = (
        GiftCap.objects.filter(owner_id=client.owner_id, tier=client.vip_tier)
        .values_list("per_gift", "per_year")
        .first()
    )
    if row:
        return Caps(*row)
    return Caps(*DEFAULT_CAPS.get(client.vip_tier, DEFAULT_CAPS["standard"]))


def client_year_total(*, client: Client, year: int, exclude_pk: int | None = None) -> Decimal:
    qs = Gift.objects.filter(client=client, given_on__year=year)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.aggregate(total=Sum("cost"))["total"] or Decimal("0")


def last_gift(*, client: Client) -> Gift | None:
    return Gift.objects.filter(client=client).order_by("-given_on", "-id").first()


def client_gifts(*, client: Client) -> QuerySet[Gift]:
    return Gift.objects.filter(client=client).order_by("-given_on", "-id")


@dataclass(frozen=True)
class YearTotal:
    year: int
    total: Decimal
    count: int


def client_gift_years(*, client: Client) -> list[YearTotal]:
    rows = (
        Gift.objects.filter(client=client)
        .values("given_on__year")
        .annotate(total=Sum("cost"), n=Count("id"))
        .order_by("-given_on__year")
    )
    return [YearTotal(r["given_on__year"], r["total"], r["n"]) for r in rows]


def client_gifts_panel(*, client: Client, today: date) -> dict:
    """The client page's card: the last gifts and this year's total against the cap."""
    gifts = list(client_gifts(client=client)[:5])
    return {
        "client": client,
        "gifts": gifts,
        "year_total": client_year_total(client=client, year=today.year),
        "caps": caps_for_client(client=client),
    }


@dataclass(frozen=True)
class AgentGiftFigures:
    gifts: int
    spent: Decimal
    above_cap: int
    clients_over_year_cap: int
    above: list  # the gifts above the cap, the client's name masked by the template


def agent_gift_figures(*, agent: User, start: date, end: date, limit: int = 10) -> AgentGiftFigures:
    """Counts and money for the service page and the manager's drill-down: two queries."""
    qs = Gift.objects.filter(owner=agent, given_on__gte=start, given_on__lte=end)
    totals = qs.aggregate(
        n=Count("id"),
        spent=Sum("cost"),
        above=Count("id", filter=Q(pk__in=qs.above_cap().values("pk"))),
        clients_over=Count("client", filter=Q(year_total__gt=F("year_cap")), distinct=True),
    )
    above = list(qs.above_cap().select_related("client").order_by("-given_on", "-id")[:limit])
    return AgentGiftFigures(
        gifts=totals["n"] or 0,
        spent=totals["spent"] or Decimal("0"),
        above_cap=totals["above"] or 0,
        clients_over_year_cap=totals["clients_over"] or 0,
        above=above,
    )


def team_gifts_above_cap(*, agent_ids, start: date, end: date) -> QuerySet[Gift]:
    """The manager's list: gifts above the cap by their agents in [start, end]."""
    return (
        Gift.objects.filter(owner_id__in=agent_ids, given_on__gte=start, given_on__lte=end)
        .above_cap()
        .select_related("owner", "client")
        .order_by("-given_on", "-id")
    )
