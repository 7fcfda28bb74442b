"""Every extension point of AgentCRM, declared and documented in one module.

This module is a leaf: it imports nothing of the project but `agentcrm.core` (the base), so
any app may import it, including clients, which stands below the touch engine. Apps fill
the registries from `occasions.py` modules (found by `autodiscover_modules("occasions")` in
`TouchesConfig.ready()`) or from their own `AppConfig.ready()`; the apps that run them know
no app by name. The extension points, who fills each and what runs it:

1. **Occasion kinds** (`register_occasion`, `OccasionKind`): a reason to contact a client
   on a day (a birthday, a premium due, a referrer owed feedback). Filled from each app's
   `occasions.py`; run by the nightly build and the rebuilds in `touches.build`. A kind's
   source answers with querysets built by `occasion_rows`, never with Python loops, so the
   build is one INSERT … SELECT per kind. `manage.py touch_kinds` lists them.
2. **Client triggers** (`register_client_trigger`): saving a model instance rebuilds its
   client's touches of the kinds it feeds, after the transaction commits. Filled from
   `occasions.py`; connected to `post_save` by `touches.triggers` once every app is ready.
3. **Touch signals** (`touch_done`, `touch_reopened`, `occasion_resolved`,
   `occasion_reopened`): the touch list tells an app that its touch was done (or that "done"
   was undone); an app tells the touch list that an occasion was dealt with elsewhere (or
   was opened again there). Sent by `touches.services` and by the apps; received by both.
   A promise (clients.Commitment) uses all four: done on the dashboard keeps the promise,
   kept on the client page closes its touch.
4. **Client-page panels** (`register_client_panel`): a template and a context function that
   an app adds to the client page, since clients imports none of the apps above it. Filled
   from `AppConfig.ready()`; rendered by `clients.views.client_detail`.
5. **Nightly steps** (`register_nightly_step`): work for the nightly run, run one by one in
   `order`, each in its own error boundary. Declared in `agentcrm.core.nightly` (the base
   runs them and must not import this app) and re-exported here.
6. **Policy-page parts** (`register_policy_part`): a card an app adds to the policy page
   (delivery, service requests, annual reviews), since policies imports none of the apps
   above it. Filled from `AppConfig.ready()`; rendered by `policies.views.policy_detail`.
7. **Touch actions** (`register_touch_action`, `TouchAction`): a link an app adds to the
   dashboard card of a touch of some kinds ("start the annual review" on a policy
   anniversary). Filled from `occasions.py` or `AppConfig.ready()`; `touches.rows` renders
   them after the built-in actions (done, snooze, skip), in one place for every card.
8. **Client-merge movers** (`register_merge_mover`, `MergeMover`): when an agent merges two
   records of one person, each app moves what it keeps about the absorbed client (policies
   as holder or insured, referrals in either direction, touches, reviews, handovers) to the
   kept one, and moves it back when the merge is undone. Filled from `AppConfig.ready()`;
   run by `clients.services.client_merge` / `client_merge_undo`, inside their transaction,
   since clients imports none of these apps.
9. **Bulk writes** (`touches_rebuild_for_clients`, signal `clients_bulk_written`): THE rule
   for any write that bypasses `post_save` (bulk_create, queryset update, raw SQL: an
   import, a handover, a merge, an admin action). Such a write saves no trigger, so it must
   end, inside its own transaction, with one call of `touches_rebuild_for_clients` for
   every client it wrote: the engine builds, set-based, every touch due from today through
   the last day already built, for those clients only, and returns what it made per kind.
   Days before today are never built this way, so occasions already past when the records
   arrive make no pile of overdue touches. Received by `touches.build`.
10. **Service-page panels** (`register_service_panel`, `ServicePanel`): a card an app adds
   to the agent's own service page (`/service/`) and to the manager's drill-down into one
   agent (the deck's pitfalls: gifts above the cap, introductions, events), since the app
   that serves the page imports none of them. Filled from `AppConfig.ready()`.
11. **Calendar-feed entries** (`register_feed_source`, `FeedEntry`): an app's own entries
   (an appreciation event) in the agent's iCalendar feed. Filled from `AppConfig.ready()`;
   read by `touches.calendar_feed`.
12. **Gift ideas** (`register_gift_ideas`, `gift_ideas_lookup`): the ideas a dashboard card
   of a birthday, anniversary or festival touch shows. The gifts app keeps them (the deck's
   lists by segment and festival, which the agent edits at /gifts/ideas/) and fills this
   from `GiftsConfig.ready()`; `touches.rows` asks once per page for the agent's lookup (one
   query) and calls it for every row (none). With no provider, cards show no ideas.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import CharField, DateField, F, Value
from django.db.models.functions import Cast, Concat
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from agentcrm.core.nightly import NightlyStep, nightly_steps, register_nightly_step

if TYPE_CHECKING:
    from django.db.models import Expression, QuerySet

__all__ = [
    "BuildScope",
    "RebuildCounts",
    "ClientOf",
    "ClientTrigger",
    "FeedEntry",
    "GiftIdeas",
    "GiftIdeasProvider",
    "MergeMover",
    "NightlyStep",
    "OccasionKind",
    "Panel",
    "PolicyPart",
    "Priority",
    "RenderedPanel",
    "RenderedPolicyPart",
    "RenderedServicePanel",
    "ServicePanel",
    "TouchAction",
    "client_panels",
    "client_triggers",
    "merge_movers",
    "feed_entries",
    "register_feed_source",
    "register_gift_ideas",
    "gift_ideas_lookup",
    "clients_bulk_written",
    "nightly_steps",
    "occasion_kind",
    "occasion_kinds",
    "occasion_resolved",
    "occasion_rows",
    "on_day",
    "policy_parts",
    "service_panels",
    "register_client_panel",
    "register_client_trigger",
    "register_merge_mover",
    "register_nightly_step",
    "register_occasion",
    "register_policy_part",
    "register_service_panel",
    "register_touch_action",
    "source_of",
    "touch_actions",
    "touch_done",
    "touch_reopened",
    "occasion_reopened",
    "touches_rebuild_for_clients",
]


# ---------------------------------------------------------------------------------------
# 1. Occasion kinds
# ---------------------------------------------------------------------------------------


class Priority(models.IntegerChoices):
    """A touch's priority; `Touch.priority` stores it."""

    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")


@dataclass(frozen=True)
class BuildScope:
    """One source call: the day touches fall due and the lead in days, so the occasion is
    on `due + lead`. The engine narrows the answer to the agents and clients being built."""

    due: date
    lead_days: int

    @property
    def occasion(self) -> date:
        return self.due + timedelta(days=self.lead_days)


# A source returns querysets made by `occasion_rows`.
Source = Callable[[BuildScope], "list[QuerySet[Any]]"]


@dataclass(frozen=True)
class OccasionKind:
    key: str
    label: Any  # a lazy translation
    source: Source
    default_lead_days: int = 0
    priority: int = Priority.NORMAL
    # Fixed-lead kinds (a hospital visit, a grace period ending) ignore the agent's lead.
    lead_configurable: bool = True
    # The built-in wording (the formal one); {name} is how the agent addresses the client
    # (the 称呼), {label} what the touch is about as `greeting_label` words it.
    greeting: Any = ""
    # The built-in wording of the other greeting styles ("warm", "elder"; clients.models.
    # GreetingStyle); a style left out uses `greeting`.
    greeting_styles: Mapping[str, Any] = field(default_factory=dict)
    order: int = 100  # position on the settings page
    # A record changed today also gets the occasions nearer than the lead (due today). Off
    # for kinds whose lead is not "days before the occasion" (neglect counts silent days).
    late_catch: bool = True
    # How the stored label reads (the label column holds a key or a name): None shows it as is.
    display_label: Callable[[str], str] | None = None
    # How {label} reads in a greeting, which leaves the CRM by SMS or WeChat: never a policy
    # or ID number (a policy is named by its product). None: as `display_label` shows it.
    greeting_label: Callable[[str], str] | None = None
    # The dashboard shows the open touches of this kind about one client that share this
    # SQL expression (over the touch's columns) as one card, the latest first: the reports
    # owed to a referrer about one prospect, one per stage, are one duty. None: a card per
    # client and day.
    merge_key: "Callable[[], Expression] | None" = None
    # The occasion comes from a date the agent can correct (a birth date, a policy's
    # effective date, a rider's expiry): a client's rebuild retires (deletes) the open
    # touches of the kind that the source no longer gives on their occasion day
    # (`touches.build.touch_retire_moved`); done and skipped ones stay in the history.
    dated: bool = False


_kinds: dict[str, OccasionKind] = {}


def register_occasion(kind: OccasionKind) -> None:
    if kind.key in _kinds and _kinds[kind.key] is not kind:
        raise ValueError(f"occasion kind {kind.key!r} is registered twice")
    _kinds[kind.key] = kind


def occasion_kinds() -> dict[str, OccasionKind]:
    return dict(sorted(_kinds.items(), key=lambda item: (item[1].order, item[0])))


def occasion_kind(key: str) -> OccasionKind | None:
    return _kinds.get(key)


def on_day(day: date) -> Cast:
    """A date constant as a SQL date (the occasion of kinds that fall on the scope's day)."""
    return Cast(Value(day), DateField())


def source_of(prefix: str, column: str = "id") -> Concat:
    """'prefix:<id>' as the touch's source, computed in SQL."""
    return Concat(Value(f"{prefix}:"), Cast(F(column), CharField()), output_field=CharField())


def _expression(value: "str | Expression | date") -> "Expression":
    if isinstance(value, str):
        return F(value)
    if isinstance(value, date):
        return on_day(value)
    return value


def occasion_rows(
    qs: "QuerySet",
    *,
    owner: "str | Expression",
    client: "str | Expression",
    occasion: "str | Expression | date",
    source: "str | Expression",
    label: "str | Expression" = "",
) -> "QuerySet":
    """The occasion-row contract: annotate `qs` with the five columns the engine writes.

    `owner`, `client` and `occasion` are column paths (strings) or expressions; a `date`
    occasion becomes a SQL date constant. `source` and `label` are expressions, or plain
    strings taken as constants ("client", ""), since no source or label is a bare column.
    """
    return qs.annotate(
        t_owner=_expression(owner),
        t_client=_expression(client),
        t_occasion=_expression(occasion),
        t_source=Value(source) if isinstance(source, str) else source,
        t_label=Value(label) if isinstance(label, str) else label,
    )


# ---------------------------------------------------------------------------------------
# 2. Client triggers
# ---------------------------------------------------------------------------------------

# (client id, owner id) of the client whose touches a saved object affects, or None.
ClientOf = Callable[[Any], "tuple[int, int] | None"]


@dataclass(frozen=True)
class ClientTrigger:
    model: Any
    client_of: ClientOf
    # The occasion kinds this model feeds; None: every kind (a client's own record).
    kinds: frozenset[str] | None


_triggers: dict[str, ClientTrigger] = {}


def register_client_trigger(
    model: Any, client_of: ClientOf, *, kinds: Iterable[str] | None = None
) -> None:
    """Saving a `model` instance rebuilds its client's touches of `kinds` (every kind when
    None) for the days already built, after the transaction commits. Apps call this for the
    objects their occasion kinds read, so the engine needs no list of them. This only
    records the trigger; `touches.triggers` connects it."""
    _triggers[model._meta.label] = ClientTrigger(
        model=model, client_of=client_of, kinds=frozenset(kinds) if kinds is not None else None
    )


def client_triggers() -> list[ClientTrigger]:
    return list(_triggers.values())


# ---------------------------------------------------------------------------------------
# 3. Touch signals
# ---------------------------------------------------------------------------------------

# Sent by the touch list when an agent marks a touch done, with kind, source, owner_id,
# client_id and by: an app whose occasion needs bookkeeping (a referrer was reported back to)
# listens for its own kind.
touch_done = Signal()

# Sent by the touch list when an agent undoes "done" on a touch (not on a skipped one), with
# kind, source, owner_id and client_id: the app undoes its bookkeeping of `touch_done`.
touch_reopened = Signal()

# Sent by an app, with kind, source and owner_id, when the occasion behind its touches was
# dealt with outside the touch list: the touch list closes the open touches of that source.
# Receivers must be idempotent: a touch already closed is left as it is.
occasion_resolved = Signal()

# Sent by an app, with kind, source and owner_id, when an occasion it had resolved is open
# again (a promise marked not kept after all): the touch list opens again the touches of
# that source it had closed as done.
occasion_reopened = Signal()


# ---------------------------------------------------------------------------------------
# 4. Client-page panels
# ---------------------------------------------------------------------------------------

# The client -> the panel template's context; it should run a fixed number of queries.
PanelContext = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Panel:
    template_name: str
    context_fn: PanelContext
    order: int


@dataclass(frozen=True)
class RenderedPanel:
    template_name: str
    context: dict[str, Any]


_panels: list[Panel] = []


def register_client_panel(template_name: str, context_fn: PanelContext, *, order: int) -> None:
    """Add a panel at `order` on the page (touch history 10, policies 20, reviews 25,
    referrals 30, handover 40); registering a template again replaces it."""
    _panels[:] = [p for p in _panels if p.template_name != template_name]
    _panels.append(Panel(template_name=template_name, context_fn=context_fn, order=order))
    _panels.sort(key=lambda p: p.order)


def client_panels(*, client: Any) -> list[RenderedPanel]:
    """Each registered panel with its context for `client`, in page order."""
    return [RenderedPanel(p.template_name, p.context_fn(client)) for p in _panels]


# ---------------------------------------------------------------------------------------
# 5. Nightly steps: `register_nightly_step`, `nightly_steps` and `NightlyStep` above, from
# agentcrm.core.nightly.
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# 6. Policy-page parts
# ---------------------------------------------------------------------------------------

# (policy, today) -> what the part's template reads. The page merges every part's context
# into its own, so the keys must not clash; it should run a fixed number of queries.
PolicyPartContext = Callable[[Any, date], dict[str, Any]]

# Where a part goes on the policy page: after the premium card (left column) or after the
# payouts card (right column).
POLICY_PART_COLUMNS = ("left", "right")


@dataclass(frozen=True)
class PolicyPart:
    template_name: str
    context_fn: PolicyPartContext
    column: str
    order: int


@dataclass(frozen=True)
class RenderedPolicyPart:
    template_name: str
    column: str
    context: dict[str, Any]


_policy_parts: list[PolicyPart] = []


def register_policy_part(
    template_name: str, context_fn: PolicyPartContext, *, column: str, order: int
) -> None:
    """Add a card to the policy page in `column` at `order` (left: delivery 10; right:
    service requests 10, annual reviews 20); registering a template again replaces it."""
    if column not in POLICY_PART_COLUMNS:
        raise ValueError(f"policy-page column {column!r} is not one of {POLICY_PART_COLUMNS}")
    _policy_parts[:] = [p for p in _policy_parts if p.template_name != template_name]
    _policy_parts.append(
        PolicyPart(template_name=template_name, context_fn=context_fn, column=column, order=order)
    )
    _policy_parts.sort(key=lambda p: p.order)


def policy_parts(*, policy: Any, today: date) -> list[RenderedPolicyPart]:
    """Each registered part with its context for `policy`, in page order."""
    return [
        RenderedPolicyPart(p.template_name, p.column, p.context_fn(policy, today))
        for p in _policy_parts
    ]


# ---------------------------------------------------------------------------------------
# 7. Touch actions
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TouchAction:
    """A link on the dashboard card of a touch of `kinds`: `label` (lazy), and `url`, the
    touch -> the page that starts the action ("" when it does not apply to that touch).
    The touch is decorated: `client_id`, `source`, `label`, `occasion_date` are there."""

    key: str
    label: Any
    url: Callable[[Any], str]
    kinds: frozenset[str]
    order: int = 100
    # Also offered on the row once the touch is done ("log the gift" after a birthday
    # greeting was sent); otherwise only while it is open.
    after_done: bool = False


_touch_actions: dict[str, TouchAction] = {}


def register_touch_action(
    key: str,
    label: Any,
    url: Callable[[Any], str],
    *,
    kinds: Iterable[str],
    order: int = 100,
    after_done: bool = False,
) -> None:
    """Add a link to the cards of touches of `kinds`; registering `key` again replaces it."""
    _touch_actions[key] = TouchAction(
        key=key, label=label, url=url, kinds=frozenset(kinds), order=order, after_done=after_done
    )


def touch_actions(kind: str) -> list[TouchAction]:
    """The registered actions of a touch kind, in order."""
    return sorted(
        (a for a in _touch_actions.values() if kind in a.kinds), key=lambda a: (a.order, a.key)
    )


# 8. Client-merge movers
# ---------------------------------------------------------------------------------------

# (kept, other, choices) -> {name: [ids]} of what moved, JSON-able; `choices` holds the
# agent's picks of the merge page that concern the app (e.g. {"referrer": "other"}). It runs
# inside the merge's transaction, after the archive's own rows moved; a ValidationError
# refuses the whole merge (a referral cycle) and nothing is written.
MergeMove = Callable[[Any, Any, Mapping[str, str]], dict[str, list[int]]]
# (kept, other, moved) -> None: put back what `MergeMove` recorded, inside the undo's
# transaction. Rows deleted or changed since the merge are left as they are.
MergeUndo = Callable[[Any, Any, Mapping[str, list[int]]], None]


@dataclass(frozen=True)
class MergeMover:
    key: str  # the app's name: its record in ClientMerge.moved is stored under it
    move: MergeMove
    undo: MergeUndo
    order: int  # run order of the moves; undo runs in the reverse order


_merge_movers: dict[str, MergeMover] = {}


def register_merge_mover(key: str, *, move: MergeMove, undo: MergeUndo, order: int) -> None:
    """Declare how an app moves its rows of an absorbed client to the kept one, and back
    (policies 10, servicing 20, referrals 30, handover 40, touches 90: last, since the
    other moves may trigger rebuilds). Registering a key again replaces it."""
    _merge_movers[key] = MergeMover(key=key, move=move, undo=undo, order=order)


def merge_movers() -> list[MergeMover]:
    return sorted(_merge_movers.values(), key=lambda m: (m.order, m.key))


# 9. Bulk writes
# ---------------------------------------------------------------------------------------

# Sent by `touches_rebuild_for_clients` with client_ids (a list of ids, or a queryset of
# client ids for a set too large to list), kinds (None: every kind) and today (None: the
# local date); the engine's receiver builds the touches and answers {kind: touches made}.
clients_bulk_written = Signal()

# {occasion kind: touches made}, kinds with none left out.
RebuildCounts = dict[str, int]


def touches_rebuild_for_clients(
    *,
    client_ids: "Iterable[int] | QuerySet[Any]",
    kinds: Iterable[str] | None = None,
    today: date | None = None,
) -> RebuildCounts:
    """The one rule for bulk writes (section 9 above): call it once, inside the write's
    transaction, with every client the write created or changed. Builds every touch due from
    `today` through the last day the nightly build has built, for these clients only, of
    `kinds` (None: every kind; a write that changed only grace ends passes
    ["grace_ending"]). Only adds: touches already made stay as they are. Returns the
    touches made per kind, for the write's summary ("新建提醒 12 条：生日 3、保单周年日 9")."""
    counts: RebuildCounts = {}
    responses = clients_bulk_written.send(
        sender=None,
        client_ids=client_ids,
        kinds=list(kinds) if kinds is not None else None,
        today=today,
    )
    for _receiver, answer in responses:
        for kind, made in (answer or {}).items():
            counts[kind] = counts.get(kind, 0) + made
    return counts


# ---------------------------------------------------------------------------------------
# 10. Service-page panels
# ---------------------------------------------------------------------------------------

# (agent, start, end) -> what the panel's template reads, for the agent's own service page
# (`/service/`) over the period [start, end]; it should run a fixed number of queries,
# whatever the size of the book. The same function serves the manager's drill-down into
# one agent (`/team/service/<agent_id>/`), so it must show only what a manager may see of
# that agent's work (counts, masked phones), never a client's file.
ServicePanelContext = Callable[[Any, date, date], dict[str, Any]]


@dataclass(frozen=True)
class ServicePanel:
    key: str
    template_name: str
    context_fn: ServicePanelContext
    order: int


@dataclass(frozen=True)
class RenderedServicePanel:
    key: str
    template_name: str
    context: dict[str, Any]


_service_panels: dict[str, ServicePanel] = {}


def register_service_panel(
    key: str, *, template_name: str, context_fn: ServicePanelContext, order: int
) -> None:
    """Add a panel to the service page at `order` (the page's own figures first: touches
    and promises 10, contacts by premium band 20; gifts 50, introductions 60, events 70);
    registering a key again replaces it. Filled from `AppConfig.ready()`; rendered by the
    app that serves `/service/`, which knows no panel's app by name."""
    _service_panels[key] = ServicePanel(key, template_name, context_fn, order)


def service_panels(*, agent: Any, start: date, end: date) -> list[RenderedServicePanel]:
    """Each registered panel with its context for `agent` over [start, end], in page order."""
    panels = sorted(_service_panels.values(), key=lambda p: (p.order, p.key))
    return [
        RenderedServicePanel(p.key, p.template_name, p.context_fn(agent, start, end))
        for p in panels
    ]


# ---------------------------------------------------------------------------------------
# 11. Calendar-feed entries
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    """One calendar entry: `uid` unique across the feed ("event-12"), `start` a date (an
    all-day entry) or an aware datetime, `end` likewise (None: all day, or an hour)."""

    uid: str
    summary: str
    start: Any
    end: Any = None
    description: str = ""
    location: str = ""


# (agent, first day, last day) -> the app's entries in [first, last]; a fixed number of
# queries, whatever the size of the book.
FeedSource = Callable[[Any, date, date], Iterable[FeedEntry]]

_feed_sources: dict[str, FeedSource] = {}


def register_feed_source(key: str, source: FeedSource) -> None:
    """Add an app's entries to the iCalendar feed; registering `key` again replaces it."""
    _feed_sources[key] = source


def feed_entries(*, owner: Any, start: date, end: date) -> list[FeedEntry]:
    """Every registered source's entries for `owner` in [start, end], by key."""
    entries: list[FeedEntry] = []
    for key in sorted(_feed_sources):
        entries.extend(_feed_sources[key](owner, start, end))
    return entries


# ---------------------------------------------------------------------------------------
# 12. Gift ideas
# ---------------------------------------------------------------------------------------

# (touch kind, festival key or "", the client's segment codes) -> the ideas to show, in
# order, each once; [] for a kind that is no occasion for a gift. Pure: no queries.
GiftIdeas = Callable[[str, str, Sequence[str]], list[str]]
# The agent -> their `GiftIdeas`, loaded in one query (their own lists, else the defaults).
GiftIdeasLoader = Callable[[Any], GiftIdeas]


@dataclass(frozen=True)
class GiftIdeasProvider:
    load: GiftIdeasLoader
    # The touch kinds a gift goes with (birthdays, anniversaries, festivals): a page with
    # none of them never loads the ideas.
    kinds: frozenset[str]


_gift_ideas: list[GiftIdeasProvider] = []


def register_gift_ideas(load: GiftIdeasLoader, *, kinds: Iterable[str]) -> None:
    """Declare where gift ideas come from (one provider: registering again replaces it)."""
    _gift_ideas[:] = [GiftIdeasProvider(load=load, kinds=frozenset(kinds))]


def _no_ideas(kind: str, festival: str, segments: Sequence[str]) -> list[str]:
    return []


def gift_ideas_lookup(*, owner: Any, kinds: Iterable[str]) -> GiftIdeas:
    """The agent's gift ideas for a page whose touches are of `kinds`: one query when one of
    them goes with a gift, none otherwise; the answer is [] for the other kinds."""
    if not _gift_ideas:
        return _no_ideas
    provider = _gift_ideas[0]
    if not provider.kinds.intersection(kinds):
        return _no_ideas
    ideas = provider.load(owner)

    def lookup(kind: str, festival: str, segments: Sequence[str]) -> list[str]:
        return ideas(kind, festival, segments) if kind in provider.kinds else []

    return lookup
