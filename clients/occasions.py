"""The client archive's occasion kinds, registered with the touch engine on import (the
engine's `autodiscover_modules("occasions")` imports this module).

Each source answers with querysets over indexed columns (birth_md, the lunar columns,
wedding_md, dates); see touches.registry for the contract.
"""

from datetime import date, timedelta

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Left
from django.utils.translation import gettext_lazy as _

from agentcrm.core.calendar import lunar_dates_on, solar_keys_on
from touches.registry import (
    BuildScope,
    OccasionKind,
    Priority,
    occasion_rows,
    register_client_trigger,
    register_occasion,
    source_of,
)

from .models import Client, Commitment, CustomDate, FamilyMember, LifeEvent
from .selectors import contactable

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


def client_rows(qs: QuerySet, *, occasion, source: str, label="") -> QuerySet:
    """Occasion rows of a Client queryset, one per contactable client (the client's own
    occasions: a birthday, a wedding anniversary, a festival, a silence)."""
    return occasion_rows(
        qs.filter(contactable()),
        owner="owner_id",
        client="id",
        occasion=occasion,
        source=source,
        label=label,
    )


def of_client_rows(qs: QuerySet, *, occasion, source, label="") -> QuerySet:
    """Occasion rows of a queryset of a model with a `client` key (a family member, a date)."""
    return occasion_rows(
        qs.filter(contactable("client__")),
        owner="client__owner_id",
        client="client_id",
        occasion=occasion,
        source=source,
        label=label,
    )


def client_birthdays(scope: BuildScope) -> list[QuerySet]:
    day = scope.occasion
    return [client_rows(Client.objects.filter(birthday_q(day)), occasion=day, source="client")]


def family_birthdays(scope: BuildScope) -> list[QuerySet]:
    day = scope.occasion
    return [
        of_client_rows(
            FamilyMember.objects.filter(birthday_q(day), is_living=True),
            occasion=day,
            source=source_of("member"),
            label=F("name"),
        )
    ]


def wedding_anniversaries(scope: BuildScope) -> list[QuerySet]:
    day = scope.occasion
    return [
        client_rows(
            Client.objects.filter(wedding_md__in=solar_keys_on(day), wedding_date__lt=day),
            occasion=day,
            source="wedding",
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
        of_client_rows(
            CustomDate.objects.filter(match).filter(Q(year__isnull=True) | Q(year__lt=day.year)),
            occasion=day,
            source=source_of("date"),
            label=F("name"),
        )
    ]


def commitments_due(scope: BuildScope) -> list[QuerySet]:
    day = scope.occasion
    return [
        of_client_rows(
            Commitment.objects.filter(due_date=day, done_date__isnull=True),
            occasion="due_date",
            source=source_of("commitment"),
            label=Left("description", 200),
        )
    ]


def _life_events(scope: BuildScope, kinds, window: int) -> list[QuerySet]:
    # The occasion is the event's own date: a touch is made on any build day within the
    # window, once (the unique constraint), so an event recorded late is still caught.
    return [
        of_client_rows(
            LifeEvent.objects.filter(
                kind__in=kinds,
                date__gte=scope.due - timedelta(days=window),
                date__lte=scope.due,
            ),
            occasion="date",
            source=source_of("event"),
            label=F("kind"),
        )
    ]


def hospital_visits(scope: BuildScope) -> list[QuerySet]:
    return _life_events(scope, (LifeEvent.Kind.HOSPITALISED,), HOSPITAL_WINDOW_DAYS)


def life_events(scope: BuildScope) -> list[QuerySet]:
    return _life_events(scope, LIFE_EVENT_KINDS, LIFE_EVENT_WINDOW_DAYS)


HIGH, NORMAL, URGENT = Priority.HIGH, Priority.NORMAL, Priority.URGENT
KINDS = (
    OccasionKind(
        key="birthday",
        dated=True,
        label=_("Birthday"),
        source=client_birthdays,
        default_lead_days=3,
        priority=HIGH,
        greeting=_("{name}, happy birthday! Wishing you health and happiness in the year ahead."),
        greeting_styles={
            "warm": _(
                "{name}, happy birthday! Treat yourself today, and may the year ahead bring you "
                "everything you hope for."
            ),
            "elder": _(
                "{name}, happy birthday! Wishing you good health, a long life and a happy family."
            ),
        },
        order=10,
    ),
    OccasionKind(
        key="family_birthday",
        dated=True,
        label=_("Family birthday"),
        source=family_birthdays,
        default_lead_days=3,
        priority=NORMAL,
        greeting=_("{name}, please pass on my best wishes to {label} for the birthday!"),
        greeting_styles={
            "warm": _("{name}, it's {label}'s birthday soon! Please give them my warmest wishes."),
            "elder": _(
                "{name}, please pass on my best wishes to {label} for the birthday, and good "
                "health to the whole family."
            ),
        },
        order=20,
    ),
    OccasionKind(
        key="wedding_anniversary",
        dated=True,
        label=_("Wedding anniversary"),
        source=wedding_anniversaries,
        default_lead_days=3,
        priority=NORMAL,
        greeting=_("{name}, happy wedding anniversary to you both!"),
        greeting_styles={
            "warm": _(
                "{name}, happy anniversary to you both! Wishing you many more sweet years together."
            ),
            "elder": _(
                "{name}, congratulations to you both on your wedding anniversary! Wishing you "
                "good health and a long life together."
            ),
        },
        order=30,
    ),
    OccasionKind(
        key="custom_date",
        dated=True,
        label=_("Date to remember"),
        source=custom_dates,
        default_lead_days=3,
        priority=NORMAL,
        greeting=_("{name}, thinking of you on {label}."),
        greeting_styles={
            "warm": _("{name}, {label} is coming up; just wanted to say I'm thinking of you."),
            "elder": _(
                "{name}, {label} is coming up and I wanted to send you my regards. Please take "
                "good care of yourself."
            ),
        },
        order=40,
    ),
    OccasionKind(
        key="commitment",
        label=_("Promise due"),
        source=commitments_due,
        default_lead_days=1,
        priority=HIGH,
        greeting=_("{name}, as promised: {label}"),
        greeting_styles={
            "warm": _(
                "{name}, I haven't forgotten what I promised: {label}. Anything else, just ask!"
            ),
            "elder": _(
                "{name}, as I promised you: {label}. If there is anything else you need, just "
                "tell me."
            ),
        },
        order=80,
    ),
    OccasionKind(
        key="hospital_visit",
        label=_("Hospital visit"),
        source=hospital_visits,
        lead_configurable=False,
        priority=URGENT,
        greeting=_("{name}, I heard you are in hospital. I will come to see you; get well soon."),
        greeting_styles={
            "warm": _(
                "{name}, I just heard you're in hospital. Rest well; I'll come and see you in "
                "a day or two."
            ),
            "elder": _(
                "{name}, I heard you are in hospital. Please rest and recover; I will come to "
                "visit you in a day or two. Wishing you a speedy recovery."
            ),
        },
        order=90,
    ),
    OccasionKind(
        key="life_event",
        label=_("Life event"),
        source=life_events,
        lead_configurable=False,
        priority=HIGH,
        greeting=_("{name}, I just heard the news and wanted to reach out."),
        greeting_styles={
            "warm": _(
                "{name}, I just heard your news. How are you? If there's anything I can do, "
                "just say."
            ),
            "elder": _(
                "{name}, I just heard your news and wanted to send you my regards. Please take "
                "care of yourself."
            ),
        },
        order=95,
    ),
)


def _via_client(obj) -> tuple[int, int] | None:
    owner_id = Client.objects.filter(pk=obj.client_id).values_list("owner_id", flat=True).first()
    return (obj.client_id, owner_id) if owner_id else None


for _kind in KINDS:
    register_occasion(_kind)
# A client's own record feeds every kind (its name, its archiving, its birthday …).
register_client_trigger(Client, lambda client: (client.pk, client.owner_id))
# Family feeds festival audiences too (mothers, parents of young children, elders).
register_client_trigger(FamilyMember, _via_client, kinds=["family_birthday", "festival"])
register_client_trigger(CustomDate, _via_client, kinds=["custom_date"])
register_client_trigger(Commitment, _via_client, kinds=["commitment"])
register_client_trigger(LifeEvent, _via_client, kinds=["hospital_visit", "life_event"])
