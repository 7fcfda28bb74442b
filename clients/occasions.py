"""The client archive's occasion kinds, registered with the touch engine in ClientsConfig.

Each source answers with querysets over indexed columns (birth_md, the lunar columns,
wedding_md, dates); see agentcrm.touches.registry for the contract.
"""

from datetime import date, timedelta

from django.db.models import (
    CharField,
    DateField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, Left, TruncDate
from django.utils.translation import gettext_lazy as _

from agentcrm.core.calendar import lunar_dates_on, solar_keys_on
from agentcrm.touches.models import Touch
from agentcrm.touches.registry import (
    BuildScope,
    OccasionKind,
    register_client_trigger,
    register_occasion,
)

from .models import Client, Commitment, CustomDate, FamilyMember, Interaction, LifeEvent

# Life events and the window in which a touch is still worth making (the deck: visit a
# hospitalised client within 2 days; a baby, a promotion, a bereavement within a week).
HOSPITAL_WINDOW_DAYS = 1
LIFE_EVENT_WINDOW_DAYS = 6
LIFE_EVENT_KINDS = (
    LifeEvent.Kind.NEW_BABY,
    LifeEvent.Kind.PROMOTION,
    LifeEvent.Kind.BEREAVEMENT,
    LifeEvent.Kind.MARRIAGE,
)


def contactable(prefix: str = "") -> Q:
    """Clients who may be contacted: not archived and not marked do-not-contact."""
    return Q(**{f"{prefix}archived_at__isnull": True, f"{prefix}do_not_contact": False})


def on_day(day: date) -> Value:
    return Cast(Value(day), DateField())


def source_of(prefix: str, column: str = "id") -> Concat:
    """'prefix:<id>' as the touch's source, computed in SQL."""
    return Concat(Value(f"{prefix}:"), Cast(F(column), CharField()), output_field=CharField())


def birthday_q(day: date, prefix: str = "") -> Q:
    """People whose celebrated birthday falls on `day`, solar or lunar as they keep it."""
    solar = Q(
        **{
            f"{prefix}birthday_calendar": "solar",
            f"{prefix}birth_md__in": solar_keys_on(day),
        }
    )
    lunar = Q()
    for month, lday, leap in lunar_dates_on(day):
        lunar |= Q(
            **{
                f"{prefix}lunar_birth_month": month,
                f"{prefix}lunar_birth_day": lday,
                f"{prefix}lunar_birth_leap": leap,
            }
        )
    if not lunar:
        return solar
    return solar | (Q(**{f"{prefix}birthday_calendar": "lunar"}) & lunar)


def _clients(**annotations) -> QuerySet:
    return Client.objects.filter(contactable()).annotate(
        t_owner=F("owner_id"), t_client=F("id"), **annotations
    )


def client_birthdays(scope: BuildScope) -> list[QuerySet]:
    day = scope.occasion
    return [
        _clients(t_occasion=on_day(day), t_source=Value("client"), t_label=Value("")).filter(
            birthday_q(day)
        )
    ]


def family_birthdays(scope: BuildScope) -> list[QuerySet]:
    day = scope.occasion
    return [
        FamilyMember.objects.filter(
            contactable("client__"), birthday_q(day), is_living=True
        ).annotate(
            t_owner=F("client__owner_id"),
            t_client=F("client_id"),
            t_occasion=on_day(day),
            t_source=source_of("member"),
            t_label=F("name"),
        )
    ]


def wedding_anniversaries(scope: BuildScope) -> list[QuerySet]:
    day = scope.occasion
    return [
        _clients(t_occasion=on_day(day), t_source=Value("wedding"), t_label=Value("")).filter(
            wedding_md__in=solar_keys_on(day), wedding_date__lt=day
        )
    ]


def custom_dates(scope: BuildScope) -> list[QuerySet]:
    day = scope.occasion
    solar = Q()
    for key in solar_keys_on(day):
        solar |= Q(month=key // 100, day=key % 100)
    lunar = Q()
    for month, lday, leap in lunar_dates_on(day):
        lunar |= Q(month=month, day=lday, leap=leap)
    match = Q(calendar="solar") & solar
    if lunar:
        match |= Q(calendar="lunar") & lunar
    return [
        CustomDate.objects.filter(match, contactable("client__"))
        .filter(Q(year__isnull=True) | Q(year__lt=day.year))
        .annotate(
            t_owner=F("client__owner_id"),
            t_client=F("client_id"),
            t_occasion=on_day(day),
            t_source=source_of("date"),
            t_label=F("name"),
        )
    ]


def commitments_due(scope: BuildScope) -> list[QuerySet]:
    day = scope.occasion
    return [
        Commitment.objects.filter(
            contactable("client__"), due_date=day, done_date__isnull=True
        ).annotate(
            t_owner=F("client__owner_id"),
            t_client=F("client_id"),
            t_occasion=F("due_date"),
            t_source=source_of("commitment"),
            t_label=Left("description", 200),
        )
    ]


def _life_events(scope: BuildScope, kinds, window: int) -> list[QuerySet]:
    # The occasion is the event's own date: a touch is made on any build day within the
    # window, once (the unique constraint), so an event recorded late is still caught.
    return [
        LifeEvent.objects.filter(
            contactable("client__"),
            kind__in=kinds,
            date__gte=scope.due - timedelta(days=window),
            date__lte=scope.due,
        ).annotate(
            t_owner=F("client__owner_id"),
            t_client=F("client_id"),
            t_occasion=F("date"),
            t_source=source_of("event"),
            t_label=F("kind"),
        )
    ]


def hospital_visits(scope: BuildScope) -> list[QuerySet]:
    return _life_events(scope, (LifeEvent.Kind.HOSPITALISED,), HOSPITAL_WINDOW_DAYS)


def life_events(scope: BuildScope) -> list[QuerySet]:
    return _life_events(scope, LIFE_EVENT_KINDS, LIFE_EVENT_WINDOW_DAYS)


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
        _clients(t_occasion=on_day(scope.due), t_source=Value("client"), t_label=Value(""))
        .filter(stage=Client.Stage.CLIENT)
        .annotate(t_last=last_contact)
        .filter(t_last__lte=cutoff)
        .annotate(t_touched=Subquery(already))
        .filter(t_touched__isnull=True)
    ]


HIGH, NORMAL, URGENT = Touch.Priority.HIGH, Touch.Priority.NORMAL, Touch.Priority.URGENT
KINDS = (
    OccasionKind(
        key="birthday",
        label=_("Birthday"),
        source=client_birthdays,
        default_lead_days=3,
        priority=HIGH,
        greeting=_("{name}, happy birthday! Wishing you health and happiness in the year ahead."),
        order=10,
    ),
    OccasionKind(
        key="family_birthday",
        label=_("Family birthday"),
        source=family_birthdays,
        default_lead_days=3,
        priority=NORMAL,
        greeting=_("{name}, please pass on my best wishes to {label} for the birthday!"),
        order=20,
    ),
    OccasionKind(
        key="wedding_anniversary",
        label=_("Wedding anniversary"),
        source=wedding_anniversaries,
        default_lead_days=3,
        priority=NORMAL,
        greeting=_("{name}, happy wedding anniversary to you both!"),
        order=30,
    ),
    OccasionKind(
        key="custom_date",
        label=_("Date to remember"),
        source=custom_dates,
        default_lead_days=3,
        priority=NORMAL,
        greeting=_("{name}, thinking of you on {label}."),
        order=40,
    ),
    OccasionKind(
        key="commitment",
        label=_("Promise due"),
        source=commitments_due,
        default_lead_days=1,
        priority=HIGH,
        greeting=_("{name}, as promised: {label}"),
        order=80,
    ),
    OccasionKind(
        key="hospital_visit",
        label=_("Hospital visit"),
        source=hospital_visits,
        lead_configurable=False,
        priority=URGENT,
        greeting=_("{name}, I heard you are in hospital. I will come to see you; get well soon."),
        order=90,
    ),
    OccasionKind(
        key="life_event",
        label=_("Life event"),
        source=life_events,
        lead_configurable=False,
        priority=HIGH,
        greeting=_("{name}, I just heard the news and wanted to reach out."),
        order=95,
    ),
    OccasionKind(
        key="neglect",
        label=_("Not contacted for a long time"),
        source=neglected_clients,
        default_lead_days=180,
        priority=NORMAL,
        late_catch=False,  # the lead is the days of silence, not days before an occasion
        greeting=_("{name}, it has been a while! How are you and the family?"),
        order=200,
    ),
)


def _via_client(obj) -> tuple[int, int] | None:
    owner_id = Client.objects.filter(pk=obj.client_id).values_list("owner_id", flat=True).first()
    return (obj.client_id, owner_id) if owner_id else None


def register() -> None:
    for kind in KINDS:
        register_occasion(kind)
    register_client_trigger(Client, lambda client: (client.pk, client.owner_id))
    for model in (FamilyMember, CustomDate, Commitment, LifeEvent):
        register_client_trigger(model, _via_client)
