"""The touch engine's own occasion kinds: festivals (`festival_occasions`) and clients not
contacted for too long, which reads the touch table itself.

"Too long" depends on the client's tier: a Diamond client is called after a month of
silence, a Standard one after half a year. Each agent may set the days per tier
(ContactCadence); the Standard tier's days are the neglect kind's own setting (its lead).
"""

from django.db.models import (
    Case,
    DateField,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, TruncDate
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from clients.occasions import client_rows

from . import festival_occasions  # noqa: F401  (registers the festival kind)
from .models import ContactCadence, Touch
from .registry import BuildScope, OccasionKind, Priority, on_day, register_occasion

Tier = Client.Tier
# Days without contact before a client of the tier is "neglected", unless the agent set
# their own; Standard's is the neglect kind's default lead.
NEGLECT_DEFAULT_DAYS = 180
TIER_CADENCE_DAYS = {
    Tier.DIAMOND: 30,
    Tier.GOLD: 60,
    Tier.SILVER: 90,
    Tier.STANDARD: NEGLECT_DEFAULT_DAYS,
}
# The tiers with a setting of their own on the settings page (Standard's is the kind's lead).
CADENCE_TIERS = (Tier.DIAMOND, Tier.GOLD, Tier.SILVER)


def _compiled(compiler, expressions) -> tuple[list[str], tuple]:
    """Each expression's SQL, and the parameters of all of them in that order."""
    parts = [compiler.compile(expression) for expression in expressions]
    return [sql for sql, _ in parts], tuple(p for _, params in parts for p in params)


class DaysBetween(Func):
    """Whole days from the first date to the second, as an integer, in SQL."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra
        )

    def as_postgresql(self, compiler, connection, **extra):
        (second, first), params = _compiled(compiler, self.source_expressions[::-1])
        return f"(({second})::date - ({first})::date)", params

    def as_sqlite(self, compiler, connection, **extra):
        (second, first), params = _compiled(compiler, self.source_expressions[::-1])
        return f"CAST(julianday({second}) - julianday({first}) AS INTEGER)", params


def cadence_days(scope: BuildScope) -> Coalesce:
    """The silence, in days, after which the row's client is neglected, in SQL: the agent's
    days for the client's tier, else the tier's default (never longer than the agent's
    Standard days, `scope.lead_days`); Standard clients: `scope.lead_days`."""
    own = (
        ContactCadence.objects.filter(owner=OuterRef("owner_id"), tier=OuterRef("vip_tier"))
        .order_by()
        .values("days")[:1]
    )
    standard = Value(scope.lead_days, output_field=IntegerField())
    default = Case(
        *(
            When(vip_tier=tier, then=Least(Value(days), standard, output_field=IntegerField()))
            for tier, days in TIER_CADENCE_DAYS.items()
            if tier != Tier.STANDARD
        ),
        default=standard,
        output_field=IntegerField(),
    )
    return Coalesce(
        Case(
            When(vip_tier=Tier.STANDARD, then=standard),
            default=Subquery(own, output_field=IntegerField()),
            output_field=IntegerField(),
        ),
        default,
        output_field=IntegerField(),
    )


class DaysBefore(Func):
    """The date `days` (an integer expression) before the date `day`, in SQL."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        (day, days), params = _compiled(compiler, self.source_expressions)
        return f"(({day}) - ({days}))", params

    def as_sqlite(self, compiler, connection, **extra):
        (day, days), params = _compiled(compiler, self.source_expressions)
        return f"date({day}, '-' || ({days}) || ' days')", params


def shortest_cadence(scope: BuildScope) -> Coalesce:
    """The shortest silence after which any client can be neglected, in SQL: the tiers'
    defaults and `scope.lead_days`, or a shorter day count an agent set for a tier (one
    uncorrelated subquery, run once per statement over the small cadence table)."""
    floor = min(scope.lead_days, *TIER_CADENCE_DAYS.values())
    shorter = ContactCadence.objects.filter(days__lt=floor).order_by("days").values("days")[:1]
    return Coalesce(
        Subquery(shorter, output_field=IntegerField()),
        Value(floor),
        output_field=IntegerField(),
    )


def neglected_clients(scope: BuildScope) -> list[QuerySet]:
    """Clients (not prospects) with no interaction for their tier's cadence (`cadence_days`):
    one touch per silence, on the day it reaches the cadence.

    Read as index ranges, not a scan of the book: the clients last contacted on or before
    `due - shortest_cadence` (a range on the `client_neglect_contacted` index, which holds
    every column the statement reads), and apart from them the clients never contacted,
    whose silence counts from the day they were added (the `client_neglect_never` index).
    Each row's own cadence is then a scalar subquery probing the (owner, tier) unique index,
    and the touch already made for this silence one probe of the touch table's unique
    index."""
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
        .values("client")[:1]  # a column of the touch_neglect_silence index: no table read
    )
    clients = Client.objects.filter(stage=Client.Stage.CLIENT)
    contacted = clients.filter(
        last_contact_on__lte=DaysBefore(on_day(scope.due), shortest_cadence(scope))
    ).annotate(t_last=F("last_contact_on"))
    # Never contacted: silent since the day the client was added.
    never = clients.filter(last_contact_on__isnull=True).annotate(
        t_last=TruncDate("created_at", output_field=DateField())
    )
    return [
        client_rows(qs, occasion=scope.due, source="client")
        .annotate(
            t_silent=DaysBetween(F("t_last"), on_day(scope.due)), t_cadence=cadence_days(scope)
        )
        .filter(t_silent__gte=F("t_cadence"))
        .annotate(t_touched=Subquery(already))
        .filter(t_touched__isnull=True)
        for qs in (contacted, never)
    ]


register_occasion(
    OccasionKind(
        key="neglect",
        label=_("Not contacted for a long time"),
        source=neglected_clients,
        default_lead_days=NEGLECT_DEFAULT_DAYS,
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
