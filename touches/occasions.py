"""The touch engine's own occasion kinds: festivals (`festival_occasions`) and clients not
contacted for too long, which reads the touch table itself."""

from datetime import timedelta

from django.db.models import DateField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Interaction
from clients.occasions import client_rows

from . import festival_occasions  # noqa: F401  (registers the festival kind)
from .models import Touch
from .registry import BuildScope, OccasionKind, Priority, register_occasion


def neglected_clients(scope: BuildScope) -> list[QuerySet]:
    """Clients (not prospects) with no interaction for `lead_days` days (the agent's N): one
    touch per silence, on the day it reaches N days."""
    cutoff = scope.due - timedelta(days=scope.lead_days)
    last_contact = Coalesce(
        Subquery(
            Interaction.objects.filter(client=OuterRef("pk")).order_by("-date").values("date")[:1]
        ),
        TruncDate("created_at"),
        output_field=DateField(),
    )
    # This agent's touch for the current silence, if one was made. A scalar subquery with
    # LIMIT 1 stays one index probe per silent client; a NOT EXISTS here was planned as a
    # hash anti-join over every neglect touch of every agent, once per batch of agents.
    already = (
        Touch.objects.filter(
            owner=OuterRef("owner_id"),
            client=OuterRef("pk"),
            kind="neglect",
            occasion_date__gt=OuterRef("t_last"),
        )
        .order_by()
        .values("pk")[:1]
    )
    return [
        client_rows(
            Client.objects.filter(stage=Client.Stage.CLIENT), occasion=scope.due, source="client"
        )
        .annotate(t_last=last_contact)
        .filter(t_last__lte=cutoff)
        .annotate(t_touched=Subquery(already))
        .filter(t_touched__isnull=True)
    ]


register_occasion(
    OccasionKind(
        key="neglect",
        label=_("Not contacted for a long time"),
        source=neglected_clients,
        default_lead_days=180,
        priority=Priority.NORMAL,
        late_catch=False,  # the lead is the days of silence, not days before an occasion
        greeting=_("{name}, it has been a while! How are you and the family?"),
        greeting_styles={
            "warm": _(
                "{name}, it's been ages! How have you and the family been? Let's catch up soon."
            ),
            "elder": _(
                "{name}, it has been a while since I came to see you. How are you and your "
                "family? Please take good care of your health."
            ),
        },
        order=200,
    )
)
