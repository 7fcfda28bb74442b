"""The client archive's occasion kinds, registered with the touch engine on import (the
engine's `autodiscover_modules("occasions")` imports this module).

Each source answers with querysets over indexed columns (birth_md, the lunar columns,
wedding_md, dates); see touches.registry for the contract.
"""

from datetime import date, timedelta

from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.db.models.functions import Concat, Left
from django.utils.translation import gettext_lazy as _

from agentcrm.core.calendar import (
    MOVED_BOTH,
    MOVED_DAY30,
    MOVED_LEAP,
    lunar_dates_on,
    lunar_moves_on,
    solar_keys_on,
)
from touches.registry import (
    BuildScope,
    OccasionKind,
    Priority,
    occasion_rows,
    register_client_trigger,
    register_occasion,
    source_of,
    touch_done,
    touch_reopened,
)

from .models import Client, Commitment, CustomDate, FamilyMember, LifeEvent
from .selectors import contactable
from .services import (
    COMMITMENT_KIND,
    COMMITMENT_SOURCE_PREFIX,
    commitment_on_touch_done,
    commitment_on_touch_reopened,
)

# Life events and the window in which a touch is still worth making (the deck: visit a
# hospitalised client within 2 days; a baby, a promotion, a bereavement within a week).
HOSPITAL_WINDOW_DAYS = 1
LIFE_EVENT_WINDOW_DAYS = 6
# The deck's irregular-service moments (不定期服务) among them: a complaint (客户不满指责时)
# and a client low in spirits (客户情绪悲观失望时) are answered within the week too.
LIFE_EVENT_KINDS = (
    LifeEvent.Kind.NEW_BABY,
    LifeEvent.Kind.PROMOTION,
    LifeEvent.Kind.BEREAVEMENT,
    LifeEvent.Kind.MARRIAGE,
    LifeEvent.Kind.COMPLAINT,
    LifeEvent.Kind.DISCOURAGED,
)


SOLAR_KEPT = ("solar", "both")  # Celebrates values that keep the solar birthday
LUNAR_KEPT = ("lunar", "both")
# A birthday touch's label when it is the lunar birthday: "lunar", or the rule that moved it
# ("lunar:leap", "lunar:day30", "lunar:leap+day30"); a family member's is "name|lunar…".
LUNAR_LABEL = "lunar"
LABEL_SEPARATOR = "|"


def birthday_q(day: date, prefix: str = "") -> Q:
    """People whose celebrated birthday falls on `day`, solar or lunar as they keep it (or
    both); a solar birthday known without the year matches by its month and day."""
    solar = Q(
        **{
            f"{prefix}birthday_calendar__in": SOLAR_KEPT,
            f"{prefix}birth_md__in": solar_keys_on(day),
        }
    )
    lunar = _lunar_match(day, prefix)
    if not lunar:
        return solar
    return solar | (Q(**{f"{prefix}birthday_calendar__in": LUNAR_KEPT}) & lunar)


def _lunar_match(day: date, prefix: str = "") -> Q:
    lunar = Q()
    for month, lday, leap in lunar_dates_on(day):
        lunar |= _lunar_q(month, lday, leap, prefix)
    return lunar


def _lunar_q(month: int, lday: int, leap: bool, prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}lunar_birth_month": month,
            f"{prefix}lunar_birth_day": lday,
            f"{prefix}lunar_birth_leap": leap,
        }
    )


def lunar_birthday_label(day: date):
    """The label of a birthday on `day`, in SQL: for the lunar birthday of someone who keeps
    both, "lunar"; for a lunar birthday moved to `day` (day 30 in a 29-day month, a leap
    month the year lacks), "lunar:<rule>", so the dashboard row says which rule applied;
    "" otherwise."""
    moves = lunar_moves_on(day)
    whens = [
        When(
            Q(birthday_calendar__in=LUNAR_KEPT) & _lunar_q(*key),
            then=Value(f"{LUNAR_LABEL}:{rule}"),
        )
        for key, rule in moves.items()
    ]
    both = _lunar_match(day)
    if both:
        whens.append(When(Q(birthday_calendar="both") & both, then=Value(LUNAR_LABEL)))
    if not whens:
        return Value("")
    return Case(*whens, default=Value(""), output_field=CharField())


LUNAR_RULES = {
    LUNAR_LABEL: _("lunar birthday"),
    f"{LUNAR_LABEL}:{MOVED_DAY30}": _(
        "lunar birthday: born on the 30th, and this month has 29 days this year, so it is "
        "kept on the 29th"
    ),
    f"{LUNAR_LABEL}:{MOVED_LEAP}": _(
        "lunar birthday: born in a leap month, and this year has no such leap month, so it "
        "is kept in the ordinary month"
    ),
    f"{LUNAR_LABEL}:{MOVED_BOTH}": _(
        "lunar birthday: born on the 30th of a leap month; this year has no such leap month "
        "and the ordinary month has 29 days, so it is kept on the 29th of the ordinary month"
    ),
}


def birthday_display_label(stored: str) -> str:
    """A client's birthday touch: the rule of a moved lunar birthday, as the row shows it."""
    return str(LUNAR_RULES.get(stored, stored))


def family_birthday_display_label(stored: str) -> str:
    """ "王小明|lunar:day30" → "王小明 · 农历生日：…"."""
    name, _sep, rule = stored.partition(LABEL_SEPARATOR)
    return f"{name} · {LUNAR_RULES.get(rule, rule)}" if rule else name


def family_birthday_greeting_label(stored: str) -> str:
    return stored.partition(LABEL_SEPARATOR)[0]


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
    return [
        client_rows(
            Client.objects.filter(birthday_q(day)),
            occasion=day,
            source="client",
            label=lunar_birthday_label(day),
        )
    ]


def family_birthdays(scope: BuildScope) -> list[QuerySet]:
    """Living family members' birthdays, except a member who is a client too (`as_client`,
    contactable): that client's own birthday touch is the one touch for that birthday."""
    day = scope.occasion
    rule = lunar_birthday_label(day)
    label = (
        Concat(
            F("name"),
            Case(
                When(~Q(**{"t_rule": ""}), then=Concat(Value(LABEL_SEPARATOR), F("t_rule"))),
                default=Value(""),
                output_field=CharField(),
            ),
            output_field=CharField(),
        )
        if not isinstance(rule, Value)
        else F("name")
    )
    members = FamilyMember.objects.filter(birthday_q(day), is_living=True).exclude(
        Q(as_client__isnull=False) & contactable("as_client__")
    )
    if not isinstance(rule, Value):
        members = members.annotate(t_rule=rule)
    return [of_client_rows(members, occasion=day, source=source_of("member"), label=label)]


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
            source=source_of(COMMITMENT_SOURCE_PREFIX),
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
        display_label=birthday_display_label,
        greeting_label=lambda stored: "",
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
        display_label=family_birthday_display_label,
        greeting_label=family_birthday_greeting_label,
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
        key=COMMITMENT_KIND,
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
# A promise and its touch stay in step both ways: done on the dashboard keeps the promise
# (and undoing it there reopens the promise); kept on the client page closes the touch.
touch_done.connect(commitment_on_touch_done, weak=False, dispatch_uid="clients-commitment-done")
touch_reopened.connect(
    commitment_on_touch_reopened, weak=False, dispatch_uid="clients-commitment-reopened"
)
