"""Reads for service touches: queries only (what a row shows is in `rows`). Every query
starts from `touches_for_user`.

The dashboard is a fixed number of queries whatever the number of touches: one for the
counts, one per group (each capped), one for the clients' segments, one for the agent's
greeting templates, and one for the nightly build's last success (a notice if a night was missed).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import TypedChoiceFilter

from agentcrm.accounts.models import User
from agentcrm.core.lists import ListFilterSet
from agentcrm.core.models import JobMarker
from clients.models import Client, Interaction
from policies.models import Policy

from .greetings import DEFAULT_STYLE, built_in_festival_greeting, built_in_greeting
from .models import BUILD_JOB, ContactCadence, FestivalPreference, Touch, TouchPreference
from .registry import occasion_kinds
from .rows import decorate, greeting_templates_for_user, history_labels

# A day plus a margin for the night's build to finish.
BUILD_LATE_AFTER = timedelta(hours=26)
COMING_DAYS = 7
GROUP_LIMIT = 50  # rows per dashboard group; the full list pages the rest

URGENT = Touch.Priority.URGENT
OPEN = Touch.Status.OPEN


@dataclass(frozen=True)
class GroupSpec:
    key: str
    title: str
    order: tuple[str, ...]


# Dashboard groups, in the order shown. Overdue shows the most recent first: a touch
# missed yesterday is still worth making, one missed in spring much less so.
GROUPS = (
    GroupSpec("urgent", _("Urgent"), ("due_date", "occasion_date", "id")),
    GroupSpec("today", _("Due today"), ("priority", "occasion_date", "id")),
    GroupSpec("overdue", _("Overdue"), ("-due_date", "priority", "id")),
    GroupSpec("coming", _("Next 7 days"), ("due_date", "priority", "occasion_date", "id")),
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


def group_q(key: str, today: date) -> Q:
    urgent = Q(priority=URGENT)
    if key == "urgent":
        return urgent & Q(due_date__lte=today)
    if key == "today":
        return ~urgent & Q(due_date=today)
    if key == "overdue":
        return ~urgent & Q(due_date__lt=today)
    if key == "coming":
        return Q(due_date__gt=today, due_date__lte=today + timedelta(days=COMING_DAYS))
    if key == "later":
        return Q(due_date__gt=today + timedelta(days=COMING_DAYS))
    return Q()


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
    """The client and the facts a row shows: last contact and active policies."""
    last_contact = (
        Interaction.objects.filter(client=OuterRef("client_id")).order_by("-date").values("date")
    )
    return qs.select_related("client").annotate(
        last_contact=Subquery(last_contact[:1]), active_policies=_active_policies()
    )


@dataclass
class Group:
    key: str
    title: str
    count: int
    rows: list[Touch] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(self.count - len(self.rows), 0)


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


def group_counts(*, user: User, today: date) -> dict[str, int]:
    """Open touches per dashboard group: one query."""
    horizon = today + timedelta(days=COMING_DAYS)
    counts = (
        open_touches_for_user(user=user)
        .filter(due_date__lte=horizon)
        .aggregate(**{g.key: Count("pk", filter=group_q(g.key, today)) for g in GROUPS})
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


def dashboard(*, user: User, today: date, limit: int = GROUP_LIMIT) -> Dashboard:
    """Today's touches in four groups with their counts; at most `limit` rows each.

    Queries: the counts, one per non-empty group, the segments, the templates.
    """
    counts = group_counts(user=user, today=today)
    base = with_client_facts(open_touches_for_user(user=user))
    groups = []
    for spec in GROUPS:
        rows = []
        if counts[spec.key]:
            rows = list(base.filter(group_q(spec.key, today)).order_by(*spec.order)[:limit])
        groups.append(Group(key=spec.key, title=spec.title, count=counts[spec.key], rows=rows))
    decorate([t for g in groups for t in g.rows], user=user, today=today)
    return Dashboard(today=today, groups=groups)


def list_group_choices() -> list[tuple[str, str]]:
    dashboard_groups = [(g.key, g.title) for g in GROUPS]
    extra = [(key, title) for key, (title, _order) in LIST_GROUPS.items()]
    return [extra[0], *dashboard_groups, *extra[1:]]


def kind_choices() -> list[tuple[str, str]]:
    return [("", _("All occasions")), *((key, k.label) for key, k in occasion_kinds().items())]


class TouchFilter(ListFilterSet):
    """The full list's filters; its form is the list page's filter form. `today` dates the
    dashboard groups."""

    group = TypedChoiceFilter(
        label=_("Show"), choices=list_group_choices, empty_value="open", method="filter_group"
    )
    kind = TypedChoiceFilter(label=_("Occasion"), field_name="kind", choices=kind_choices)

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
        return queryset.filter(group_q(group, self.today), status=OPEN)


def touch_list(*, user: User, today: date, filters: Mapping[str, Any] | None = None) -> QuerySet:
    """The full list behind each dashboard group (and done/skipped history); `filters` are
    TouchFilter's parameters (the list page's query string): all open touches by default."""
    listed = TouchFilter(
        filters,
        queryset=with_client_facts(touches_for_user(user=user).filter(reachable())),
        today=today,
    )
    group = listed.values["group"]
    order = GROUPS_BY_KEY[group].order if group in GROUPS_BY_KEY else LIST_GROUPS[group][1]
    return listed.qs.order_by(*order)


def touch_row(*, user: User, pk: int, today: date) -> Touch:
    """One touch with everything its row shows (after an action); 404 for another agent's."""
    touch = get_object_or_404(
        with_client_facts(touches_for_user(user=user)).select_related("interaction"), pk=pk
    )
    decorate([touch], user=user, today=today)
    return touch


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
