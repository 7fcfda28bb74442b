"""Reads for service touches: queries only (what a row shows is in `rows`). Every query
starts from `touches_for_user`.

The dashboard is a fixed number of queries whatever the number of touches: one for the
counts, one per group (each capped), one for the clients' segments, one for the agent's
greeting templates, and one for the nightly build's last success (a notice if a night was missed).
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import DateFilter, TypedChoiceFilter

from agentcrm.accounts.models import User
from agentcrm.core.lists import ListFilterSet
from agentcrm.core.models import JobMarker
from clients.models import Client
from policies.models import Policy

from .festivals import FESTIVALS
from .greetings import DEFAULT_STYLE, built_in_festival_greeting, built_in_greeting
from .models import BUILD_JOB, ContactCadence, FestivalPreference, Touch, TouchPreference
from .registry import occasion_kind, occasion_kinds
from .rows import decorate, decorate_cards, greeting_templates_for_user, history_labels

# A day plus a margin for the night's build to finish.
BUILD_LATE_AFTER = timedelta(hours=26)
# Cards per dashboard group: the day's plan must be short enough to finish (three groups of 6:
# at most 18 things, near the 10–15 agents plan for a morning; the phone page a few screens).
# The rest of a group is one tap away on the full list.
CARDS_PER_GROUP = 6

URGENT = Touch.Priority.URGENT
OPEN = Touch.Status.OPEN
FESTIVAL_KIND = "festival"


@dataclass(frozen=True)
class GroupSpec:
    key: str
    title: str
    # The order of a group's cards (over the card aggregates of `dashboard_cards`).
    order: tuple[str, ...]
    # The order of the group's touches on the full list.
    list_order: tuple[str, ...]


# The day's plan, in the order shown. A touch belongs to a group by its day: the occasion
# itself, or the day it was snoozed to when that is later (a hospital visit, a silence, a
# report owed: occasions that happened before the reminder fall on the reminder's day).
# Today: what happens today. Prepare: what is coming and must be prepared now (the reminder
# is due, the occasion is not there yet). Overdue: occasions past with nothing done, the
# latest first (missed yesterday is still worth making, missed in spring much less so).
GROUPS = (
    GroupSpec(
        "today",
        _("Today"),
        ("-festival_card", "top_priority", "first_id"),
        ("priority", "client__name", "id"),
    ),
    GroupSpec(
        "prepare",
        _("Prepare now"),
        ("card_day", "top_priority", "first_id"),
        ("occasion_date", "priority", "id"),
    ),
    GroupSpec(
        "overdue",
        _("Passed, not done"),
        ("-card_day", "top_priority", "first_id"),
        ("-occasion_date", "priority", "id"),
    ),
)
GROUPS_BY_KEY = {g.key: g for g in GROUPS}
# The full list offers these besides the dashboard groups.
LIST_GROUPS = {
    "open": (_("All open"), ("due_date", "priority", "id")),
    "later": (_("Later"), ("due_date", "priority", "id")),
    "done": (_("Done"), ("-closed_at", "-id")),
    "skipped": (_("Skipped"), ("-closed_at", "-id")),
}


def touches_for_user(*, user: User) -> QuerySet[Touch]:
    """The scoping rule: an agent's own touches about clients they still own. Managers and
    admins see only their own touches too."""
    if not user.is_authenticated:
        return Touch.objects.none()
    return Touch.objects.filter(owner=user, client__owner=user)


def get_touch_for_user(*, user: User, pk: int) -> Touch:
    """The touch if `user` may see it, else 404 (never 403)."""
    return get_object_or_404(touches_for_user(user=user).select_related("client"), pk=pk)


def reachable() -> Q:
    """Touches about clients who may be contacted: not archived, not do-not-contact. The
    build makes none for the others; this hides those made before a client was archived."""
    return Q(client__archived_at__isnull=True, client__do_not_contact=False)


def touch_day() -> Greatest:
    """A touch's day on the plan: its occasion, or the day its reminder falls due when that
    is later (snoozed past the occasion, or an occasion that happened before it was known:
    a hospital stay, a silence, a report owed)."""
    return Greatest("occasion_date", "due_date")


def group_q(key: str, today: date) -> Q:
    """A group of the day's plan, over touches annotated with `day` (`touch_day`)."""
    due = Q(due_date__lte=today)
    if key == "today":
        return due & Q(day=today)
    if key == "prepare":
        return due & Q(day__gt=today)
    if key == "overdue":
        return due & Q(day__lt=today)
    if key == "later":
        return Q(due_date__gt=today)
    return Q()


def card_group_q(key: str, today: date) -> Q:
    """A group of the plan over the card aggregates (`dashboard_cards`): a card belongs to
    the group of its earliest touch."""
    if key == "today":
        return Q(card_day=today)
    if key == "prepare":
        return Q(card_day__gt=today)
    return Q(card_day__lt=today)


def open_touches_for_user(*, user: User) -> QuerySet[Touch]:
    return touches_for_user(user=user).filter(reachable(), status=OPEN)


def _active_policies() -> Coalesce:
    """A subquery counting the client's policies in force (as holder)."""
    counted = (
        Policy.objects.filter(holder=OuterRef("client_id"), status__in=Policy.ACTIVE_STATUSES)
        .order_by()
        .values("holder")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_client_facts(qs: QuerySet[Touch]) -> QuerySet[Touch]:
    """The client and the facts a row shows: last contact and active policies. The mobile
    comes as its stored string (`mobile_text`, formatted once per number by `rows`): a
    PhoneNumberField parses every row's on load, as the other phone and the encrypted ID
    number, which no row shows, would be parsed and decrypted."""
    return (
        qs.select_related("client")
        .annotate(
            last_contact=F("client__last_contact_on"),
            active_policies=_active_policies(),
            mobile_text=Cast("client__mobile", CharField()),
        )
        .defer("client__mobile", "client__phone_other", "client__id_number")
    )


class _Joined(Func):
    """Strings joined with SQL's `||` (PostgreSQL and SQLite). Concat would wrap each part in
    COALESCE (none of a card key's parts is NULL), and compiling those wrappers was most of
    the dashboard's query building: its key is compiled in five of its queries."""

    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = CharField()


def card_key() -> Case:
    """The dashboard card a touch belongs to, as one SQL string: a festival's greetings on
    one day are one card (its audience); the touches of a kind with a `merge_key` about one
    client and one subject are one card (the reports owed on one prospect); any other
    touches about one client on one day are one card."""

    def text(value) -> Cast:
        return Cast(value, CharField())

    whens = [
        When(
            kind=FESTIVAL_KIND,
            then=_Joined(Value("f|"), "source", Value("|"), text("occasion_date")),
        )
    ]
    for kind in occasion_kinds().values():
        if kind.merge_key is not None:
            subject = Coalesce(text(kind.merge_key()), _Joined(Value("t"), text("id")))
            whens.append(
                When(
                    kind=kind.key,
                    then=_Joined(Value(f"m|{kind.key}|"), text("client_id"), Value("|"), subject),
                )
            )
    return Case(
        *whens,
        default=_Joined(Value("c|"), text("client_id"), Value("|"), text("day")),
        output_field=CharField(),
    )


def plan_touches_for_user(*, user: User, today: date) -> QuerySet[Touch]:
    """The open touches on today's plan (due by today), with their `day` and `card`."""
    return (
        open_touches_for_user(user=user)
        .filter(due_date__lte=today)
        .annotate(day=touch_day())
        .annotate(card=card_key())
    )


class _Ids(Aggregate):
    """A card's touch ids as one string, "12,15,40": in id order in PostgreSQL, in the
    order SQLite (before 3.44) feeds them to GROUP_CONCAT elsewhere."""

    function = "STRING_AGG"
    template = "%(function)s(CAST(%(expressions)s AS TEXT), ',' ORDER BY %(expressions)s)"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            function="GROUP_CONCAT",
            template="%(function)s(%(expressions)s)",
            **extra_context,
        )


def dashboard_cards(*, user: User, today: date) -> QuerySet:
    """One row per dashboard card (GROUP BY card): its day (the earliest of its touches),
    the number of touches (a festival's audience), the highest priority and its ids (the
    first, and all of them: the dashboard loads its cards' touches by id, where matching
    the card key again compiled that CASE over the kinds a second time per request)."""
    return (
        plan_touches_for_user(user=user, today=today)
        .values("card")
        .annotate(
            card_day=Min("day"),
            touches=Count("pk"),
            top_priority=Min("priority"),
            first_id=Min("pk"),
            festival_card=Max(Case(When(kind=FESTIVAL_KIND, then=1), default=0)),
            ids=_Ids("pk"),
        )
        .order_by()
    )


@dataclass
class Card:
    """What the agent does about one thing: one client's touches of one day, one subject's
    touches (merged, the latest first), or one festival's greetings (`count` clients, the
    first of them in `touches` to name the festival and word the greeting)."""

    key: str
    day: date
    count: int
    touches: list[Touch]
    festival: bool = False

    @property
    def lead(self) -> Touch:
        return self.touches[0]

    @property
    def merged(self) -> bool:
        return self.key.startswith("m|") and self.count > 1


@dataclass
class Group:
    key: str
    title: str
    count: int
    cards: list[Card] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(self.count - len(self.cards), 0)

    @property
    def rows(self) -> list[Touch]:
        """The touches on the group's cards (a festival card by its first touch)."""
        return [t for card in self.cards for t in card.touches]


@dataclass
class Dashboard:
    today: date
    groups: list[Group]

    @property
    def counts(self) -> dict[str, int]:
        return {g.key: g.count for g in self.groups}

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def day_done(self) -> bool:
        """Nothing left to do today: nothing happening today, nothing overdue."""
        return not (self.counts["today"] or self.counts["overdue"])


def group_counts(*, user: User, today: date) -> dict[str, int]:
    """Cards per group of the day's plan: one query."""
    counts = dashboard_cards(user=user, today=today).aggregate(
        **{g.key: Count("card", filter=card_group_q(g.key, today)) for g in GROUPS}
    )
    return {key: counts[key] or 0 for key in GROUPS_BY_KEY}


def touch_build_missed_since() -> date | None:
    """The day of the nightly build's last success when a night has been missed since (beat
    or the workers were down), else None. The build runs nightly: a success older than
    BUILD_LATE_AFTER means the last night's build did not happen. One query."""
    last = (
        JobMarker.objects.filter(name=BUILD_JOB).values_list("last_success_at", flat=True).first()
    )
    if last is None or last >= timezone.now() - BUILD_LATE_AFTER:
        return None
    return timezone.localdate(last)


def _group_order(index: int, term: str) -> str:
    """A GroupSpec.order term as SQL over the card aggregates, NULL in the other groups' rows
    (so equal there: one window orders each group its own way)."""
    column = term.lstrip("-")
    assert column in ("festival_card", "card_day", "top_priority", "first_id")
    direction = "DESC" if term.startswith("-") else "ASC"
    return f"CASE WHEN grp = {index} THEN {column} END {direction}"


# Two (agent, day) pairs no request has: the cards' SQL is compiled with each, and what
# differs between the two compilations is where a request's agent and day go.
_PROBES = ((-7_654_321, date(1901, 2, 3)), (-7_654_322, date(1902, 3, 4)))
_CARDS_SQL: dict[tuple, tuple | None] = {}


def _cards_sql(*, user: User, today: date) -> tuple[str, tuple]:
    """`dashboard_cards(user, today)` as SQL and parameters, compiled once per process and
    set of occasion kinds (the card key, a CASE over the kinds, was most of the dashboard's
    query building). The shape is checked when first compiled: compiled for two probe
    pairs, the SQL must be the same text and the parameters differ only where the agent or
    the day goes; otherwise (a shape that depends on them) every request compiles its own."""
    key = (connection.alias, connection.vendor, tuple(map(id, occasion_kinds().values())))
    if key not in _CARDS_SQL:
        compiled = [
            dashboard_cards(user=User(pk=owner), today=day).query.sql_with_params()
            for owner, day in _PROBES
        ]
        (sql_a, params_a), (sql_b, params_b) = compiled
        adapt = connection.ops.adapt_datefield_value
        (owner_a, day_a), (owner_b, day_b) = _PROBES
        slots: list | None = []
        if sql_a != sql_b or len(params_a) != len(params_b):
            slots = None
        else:
            for a, b in zip(params_a, params_b, strict=True):
                if a == b:
                    slots.append(("value", a))
                elif (a, b) == (owner_a, owner_b):
                    slots.append(("owner", None))
                elif (a, b) == (adapt(day_a), adapt(day_b)):
                    slots.append(("day", None))
                else:
                    slots = None
                    break
        _CARDS_SQL[key] = (sql_a, tuple(slots)) if slots is not None else None
    entry = _CARDS_SQL[key]
    if entry is None or not user.is_authenticated:
        return dashboard_cards(user=user, today=today).query.sql_with_params()
    sql, slots = entry
    day = connection.ops.adapt_datefield_value(today)
    values = {"owner": user.pk, "day": day}
    return sql, tuple(values[kind] if kind != "value" else value for kind, value in slots)


def dashboard_heads(
    *, user: User, today: date, limit: int
) -> tuple[dict[str, int], dict[str, list[dict]]]:
    """Each group's number of cards and its first `limit` cards in the group's order, in one
    query: the cards' aggregate (`dashboard_cards`) compiled once and ranked per group by a
    window. (A count and a query per group compiled the card key, a CASE over the kinds,
    four times: most of the dashboard's CPU.)"""
    cards_sql, params = _cards_sql(user=user, today=today)
    day = connection.ops.adapt_datefield_value(today)
    order = ", ".join(_group_order(i, term) for i, spec in enumerate(GROUPS) for term in spec.order)
    sql = f"""
        SELECT card, card_day, touches, top_priority, first_id, festival_card, ids, grp, n FROM (
            SELECT g.*, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY {order}) AS pos,
                COUNT(*) OVER (PARTITION BY grp) AS n
            FROM (
                SELECT c.*, CASE WHEN c.card_day = %s THEN 0 WHEN c.card_day > %s THEN 1
                    ELSE 2 END AS grp
                FROM ({cards_sql}) c
            ) g
        ) ranked
        WHERE pos <= %s
        ORDER BY grp, pos"""
    counts = dict.fromkeys(GROUPS_BY_KEY, 0)
    heads: dict[str, list[dict]] = {key: [] for key in GROUPS_BY_KEY}
    with connection.cursor() as cursor:
        cursor.execute(sql, [day, day, *params, limit])
        for card, card_day, touches, top, first_id, festival, ids, group, n in cursor.fetchall():
            key = GROUPS[group].key
            counts[key] = n
            heads[key].append(
                {
                    "card": card,
                    "card_day": _as_date(card_day),
                    "touches": touches,
                    "top_priority": top,
                    "first_id": first_id,
                    "festival_card": festival,
                    "ids": ids,
                }
            )
    return counts, heads


def _as_date(value) -> date:
    """A date column read by a raw cursor (SQLite gives its text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def dashboard(*, user: User, today: date, limit: int = CARDS_PER_GROUP) -> Dashboard:
    """The day's plan: today, prepare now, overdue, each with its count of cards and at most
    `limit` cards, whatever the number of touches (a festival for 178 clients is one card).

    Queries: the groups' counts and first cards (one), their touches with the clients'
    facts, the segments and the templates.
    """
    counts, heads = dashboard_heads(user=user, today=today, limit=limit)
    # Each shown touch's card: a festival card shows its first touch only.
    card_of: dict[int, str] = {}
    for head in (h for group in heads.values() for h in group):
        ids = [head["first_id"]] if head["festival_card"] else str(head["ids"]).split(",")
        card_of.update((int(pk), head["card"]) for pk in ids)
    by_card: dict[str, list[Touch]] = defaultdict(list)
    if card_of:
        touches = with_client_facts(open_touches_for_user(user=user).filter(pk__in=card_of))
        # The latest first: a merged card leads with the latest stage.
        for touch in touches.order_by("-occasion_date", "priority", "-id"):
            by_card[card_of[touch.pk]].append(touch)
    groups = []
    for spec in GROUPS:
        group_cards = [
            Card(
                key=h["card"],
                day=h["card_day"],
                count=h["touches"],
                touches=by_card[h["card"]],
                festival=bool(h["festival_card"]),
            )
            for h in heads[spec.key]
            if by_card[h["card"]]
        ]
        for card in group_cards:
            if not card.key.startswith("m|"):  # one client's day: by priority, then kind
                card.touches.sort(key=lambda t: (t.priority, t.occasion_date, t.pk))
        groups.append(
            Group(key=spec.key, title=spec.title, count=counts[spec.key], cards=group_cards)
        )
    decorate_cards([c for g in groups for c in g.cards], user=user, today=today)
    return Dashboard(today=today, groups=groups)


def list_group_choices() -> list[tuple[str, str]]:
    dashboard_groups = [(g.key, g.title) for g in GROUPS]
    extra = [(key, title) for key, (title, _order) in LIST_GROUPS.items()]
    return [extra[0], *dashboard_groups, *extra[1:]]


def kind_choices() -> list[tuple[str, str]]:
    return [("", _("All occasions")), *((key, k.label) for key, k in occasion_kinds().items())]


def festival_choices() -> list[tuple[str, str]]:
    return [("", _("All festivals")), *((f.key, f.label) for f in FESTIVALS)]


class TouchFilter(ListFilterSet):
    """The full list's filters; its form is the list page's filter form. `today` dates the
    plan's groups. `festival` and `occasion` narrow it to one festival card's audience."""

    group = TypedChoiceFilter(
        label=_("Show"), choices=list_group_choices, empty_value="open", method="filter_group"
    )
    kind = TypedChoiceFilter(label=_("Occasion"), field_name="kind", choices=kind_choices)
    festival = TypedChoiceFilter(
        label=_("Festival"), choices=festival_choices, method="filter_festival"
    )
    occasion = DateFilter(label=_("Occasion date"), field_name="occasion_date")

    class Meta:
        model = Touch
        fields = []

    def __init__(self, data=None, queryset=None, *, today: date | None = None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.today = today or timezone.localdate()

    def filter_group(self, queryset, name, group):
        if group == "done":
            return queryset.filter(status=Touch.Status.DONE).select_related("interaction")
        if group == "skipped":
            return queryset.filter(status=Touch.Status.SKIPPED)
        return queryset.annotate(day=touch_day()).filter(group_q(group, self.today), status=OPEN)

    def filter_festival(self, queryset, name, festival):
        if not festival:
            return queryset
        return queryset.filter(kind=FESTIVAL_KIND, source=f"festival:{festival}")


def touch_list(*, user: User, today: date, filters: Mapping[str, Any] | None = None) -> QuerySet:
    """The full list behind each group of the plan (and done/skipped history); `filters` are
    TouchFilter's parameters (the list page's query string): all open touches by default."""
    listed = TouchFilter(
        filters,
        queryset=with_client_facts(touches_for_user(user=user).filter(reachable())),
        today=today,
    )
    group = listed.values["group"]
    order = GROUPS_BY_KEY[group].list_order if group in GROUPS_BY_KEY else LIST_GROUPS[group][1]
    return listed.qs.order_by(*order)


def touch_row(*, user: User, pk: int, today: date) -> Touch:
    """One touch with everything its row shows (after an action); 404 for another agent's."""
    touch = get_object_or_404(
        with_client_facts(touches_for_user(user=user)).select_related("interaction"), pk=pk
    )
    decorate([touch], user=user, today=today)
    return touch


def card_of_touches(*, user: User, ids: list[int], today: date) -> Card | None:
    """A dashboard card again after "all done": the user's touches in `ids` (any status),
    decorated; None when none is theirs."""
    touches = list(
        with_client_facts(touches_for_user(user=user).filter(pk__in=ids))
        .select_related("interaction")
        .order_by("-occasion_date", "priority", "-id")
    )
    if not touches:
        return None
    kind = occasion_kind(touches[0].kind)
    merged = (
        len(touches) > 1
        and kind is not None
        and kind.merge_key is not None
        and all(t.kind == kind.key for t in touches)
    )
    if not merged:
        touches.sort(key=lambda t: (t.priority, t.occasion_date, t.pk))
    day = min(max(t.occasion_date, t.due_date) for t in touches)
    card = Card(
        key=("m|" if merged else "c|") + ",".join(str(t.pk) for t in touches),
        day=day,
        count=len(touches),
        touches=touches,
    )
    decorate_cards([card], user=user, today=today)
    return card


def touch_history_for_client(*, client: Client, limit: int = 40) -> dict:
    """The client page's panel in one query: open touches (soonest first), then the latest
    closed ones; `limit` rows in all."""
    is_open = Q(status=OPEN)
    rows = list(
        Touch.objects.filter(client=client, owner_id=client.owner_id)
        .select_related("interaction")
        .order_by(
            Case(When(is_open, then=0), default=1),
            Case(When(is_open, then=F("due_date"))).asc(nulls_last=True),
            F("closed_at").desc(nulls_last=True),
            "-id",
        )[:limit]
    )
    history_labels(rows)
    return {
        "client": client,
        "open": [t for t in rows if t.status == OPEN],
        "closed": [t for t in rows if t.status != OPEN],
    }


@dataclass(frozen=True)
class TouchSettings:
    kinds: dict[str, TouchPreference]
    festivals: dict[str, FestivalPreference]
    greetings: dict[tuple[str, str], str]
    cadences: dict[str, int] = field(default_factory=dict)


def touch_settings_for_user(*, user: User) -> TouchSettings:
    """The agent's stored settings (four queries); missing rows mean the defaults."""
    return TouchSettings(
        kinds={p.kind: p for p in TouchPreference.objects.filter(owner=user)},
        festivals={p.festival: p for p in FestivalPreference.objects.filter(owner=user)},
        greetings=greeting_templates_for_user(user=user),
        cadences=dict(ContactCadence.objects.filter(owner=user).values_list("tier", "days")),
    )


# The lead an agent may set for a kind, in days ahead; "neglect" counts days without contact.
LEAD_DAYS = (0, 365)
NEGLECT_DAYS = (30, 730)
# Days without contact per client tier (ContactCadence): a Diamond client may be called
# every week or two.
CADENCE_DAYS = (7, 730)


def lead_days_range(kind: str) -> tuple[int, int]:
    return NEGLECT_DAYS if kind == "neglect" else LEAD_DAYS


def greeting_default(kind: str, festival: str = "", style: str = DEFAULT_STYLE) -> str:
    """The wording used when the agent has none: the kind's built-in greeting in `style`; a
    single festival has its own built-in wording (除夕 …) or falls back to the festival
    kind's, so it has no default of its own."""
    if festival:
        return built_in_festival_greeting(festival, style)
    return built_in_greeting(kind, style)
