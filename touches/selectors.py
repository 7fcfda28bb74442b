"""Reads for service touches. Every query starts from `touches_for_user`.

The dashboard is a fixed number of queries whatever the number of touches: one for the
counts, one per group (each capped), one for the clients' segments, one for the agent's
greeting templates, and one for the nightly build's last success (a notice if a night was missed).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from agentcrm.accounts.models import User
from agentcrm.core.calendar import age_on
from agentcrm.core.models import JobMarker
from clients.models import Client, Interaction, Segment

from .greetings import (
    festival_key,
    gift_ideas,
    greeting_for,
    kind_label,
    sms_href,
    touch_label,
)
from .models import BUILD_JOB, FestivalPreference, GreetingTemplate, Touch, TouchPreference
from .registry import occasion_kinds

ROW_ACTIONS = ("done", "snooze", "skip", "reopen")
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


def _active_policies() -> Coalesce | Value:
    """A subquery counting the client's policies in force (as holder).

    Touches sit below policies (policies registers occasion kinds here), so the model is
    looked up when the query is built, never imported at module level.
    """
    if not apps.is_installed("policies"):
        return Value(0, output_field=IntegerField())
    policy = apps.get_model("policies", "Policy")
    counted = (
        policy.objects.filter(holder=OuterRef("client_id"), status__in=policy.ACTIVE_STATUSES)
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


def greeting_templates_for_user(*, user: User) -> dict[tuple[str, str], str]:
    return {
        (kind, festival): text
        for kind, festival, text in GreetingTemplate.objects.filter(owner=user).values_list(
            "kind", "festival", "text"
        )
    }


def _age(birth: date | None, on: date) -> int | None:
    return age_on(birth, on) if birth else None


_PK = 2_147_483_647  # stands for the pk in a reversed URL


def _url_makers() -> dict[str, Callable[[int], str]]:
    """Each row's links, reversed once per page rather than once per row."""
    patterns = {name: reverse(f"touches:{name}", kwargs={"pk": _PK}) for name in ROW_ACTIONS}
    patterns["client"] = reverse("clients:detail", kwargs={"pk": _PK})
    return {
        name: (lambda pk, pattern=pattern: pattern.replace(str(_PK), str(pk)))
        for name, pattern in patterns.items()
    }


class _Texts:
    """The row's sentences, built here rather than by {% blocktranslate %} in the template
    (on a page of 200 rows that was most of the rendering time). Rows share few distinct
    numbers and dates, so each phrase is translated and formatted once per page."""

    def __init__(self) -> None:
        self._plural: dict[tuple[object, int], str] = {}
        self._dates: dict[tuple[date, str], str] = {}

    def plural(self, translate: Callable[[int], str], n: int, **values) -> str:
        """`translate` is a lambda around ngettext with literal strings (so makemessages
        finds them); its code object tells the phrases apart."""
        key = (translate.__code__, n)
        if key not in self._plural:
            self._plural[key] = translate(n)
        return self._plural[key] % {"n": n, **values}

    def date(self, value: date, fmt: str) -> str:
        key = (value, fmt)
        if key not in self._dates:
            self._dates[key] = date_format(value, fmt)
        return self._dates[key]

    def when(self, days: int) -> str:
        """The occasion relative to today: "today", "in 3 days", "2 days ago"."""
        if days == 0:
            return gettext("today")
        if days > 0:
            return self.plural(lambda n: ngettext("in %(n)d day", "in %(n)d days", n), days)
        return self.plural(lambda n: ngettext("%(n)d day ago", "%(n)d days ago", n), -days)

    def fill(self, touch: Touch) -> None:
        touch.occasion_text = self.date(touch.occasion_date, "MONTH_DAY_FORMAT")
        touch.when_text = self.when(touch.days_to_occasion)
        touch.turns_text = (
            self.plural(lambda n: ngettext("turns %(n)d", "turns %(n)d", n), touch.turns)
            if touch.turns
            else ""
        )
        if touch.days_overdue > 0:
            touch.due_text = self.plural(
                lambda n: ngettext("%(n)d day overdue", "%(n)d days overdue", n),
                touch.days_overdue,
            )
        elif touch.days_overdue < 0:
            touch.due_text = gettext("due %(date)s") % {
                "date": self.date(touch.due_date, "MONTH_DAY_FORMAT")
            }
        else:
            touch.due_text = ""
        facts = []
        if touch.age is not None:
            facts.append(
                self.plural(lambda n: ngettext("%(n)d year old", "%(n)d years old", n), touch.age)
            )
        facts.append(
            self.plural(
                lambda n: ngettext("%(n)d policy in force", "%(n)d policies in force", n),
                touch.active_policies,
            )
        )
        if touch.last_contact:
            facts.append(
                self.plural(
                    lambda n: ngettext(
                        "last contact %(date)s (%(n)d day ago)",
                        "last contact %(date)s (%(n)d days ago)",
                        n,
                    ),
                    touch.days_since_contact,
                    date=self.date(touch.last_contact, "SHORT_DATE_FORMAT"),
                )
            )
        else:
            facts.append(gettext("never contacted"))
        touch.facts_text = " · ".join(facts)


def _segments_by_client(client_ids) -> dict[int, list[Segment]]:
    """The clients' segments in one query, without a related manager per row."""
    rows = (
        Client.segments.through.objects.filter(client_id__in=client_ids)
        .select_related("segment")
        .order_by("segment_id")
    )
    by_client: dict[int, list[Segment]] = defaultdict(list)
    for row in rows:
        by_client[row.client_id].append(row.segment)
    return by_client


def decorate(touches: list[Touch], *, user: User, today: date) -> list[Touch]:
    """Attach what a row shows to each touch: two queries for any number of rows
    (the clients' segments and the agent's greeting templates)."""
    if not touches:
        return touches
    urls = _url_makers()
    segments = _segments_by_client({t.client_id for t in touches})
    templates = greeting_templates_for_user(user=user)
    texts = _Texts()
    labels: dict[str, str] = {}
    for touch in touches:
        client: Client = touch.client
        touch.segment_list = segments.get(client.pk, [])
        if touch.kind not in labels:
            labels[touch.kind] = kind_label(touch.kind)
        touch.kind_label = labels[touch.kind]
        touch.display_label = touch_label(touch)
        touch.festival = festival_key(touch)
        touch.days_to_occasion = (touch.occasion_date - today).days
        touch.days_overdue = (today - touch.due_date).days
        touch.age = _age(client.birth_date, today)
        touch.turns = (
            _age(client.birth_date, touch.occasion_date) if touch.kind == "birthday" else None
        )
        touch.gifts = gift_ideas(touch.kind, [s.code for s in touch.segment_list])
        touch.greeting = greeting_for(touch, templates)
        touch.sms_href = sms_href(client.mobile, touch.greeting)
        touch.tel_href = f"tel:{client.mobile.as_e164}" if client.mobile else ""
        touch.urls = {
            name: make(touch.client_id if name == "client" else touch.pk)
            for name, make in urls.items()
        }
        touch.days_since_contact = (today - touch.last_contact).days if touch.last_contact else None
        texts.fill(touch)
    return touches


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


def touch_list(*, user: User, today: date, group: str = "open", kind: str = "") -> QuerySet:
    """The full list behind each dashboard group (and done/skipped history)."""
    qs = with_client_facts(touches_for_user(user=user).filter(reachable()))
    if group == "done":
        qs = qs.filter(status=Touch.Status.DONE).select_related("interaction")
    elif group == "skipped":
        qs = qs.filter(status=Touch.Status.SKIPPED)
    else:
        qs = qs.filter(group_q(group, today), status=OPEN)
    if kind:
        qs = qs.filter(kind=kind)
    order = GROUPS_BY_KEY[group].order if group in GROUPS_BY_KEY else LIST_GROUPS[group][1]
    return qs.order_by(*order)


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
    for touch in rows:
        touch.kind_label = kind_label(touch.kind)
        touch.display_label = touch_label(touch)
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


def touch_settings_for_user(*, user: User) -> TouchSettings:
    """The agent's stored settings (three queries); missing rows mean the defaults."""
    return TouchSettings(
        kinds={p.kind: p for p in TouchPreference.objects.filter(owner=user)},
        festivals={p.festival: p for p in FestivalPreference.objects.filter(owner=user)},
        greetings=greeting_templates_for_user(user=user),
    )


# The lead an agent may set for a kind, in days ahead; "neglect" counts days without contact.
LEAD_DAYS = (0, 365)
NEGLECT_DAYS = (30, 730)


def lead_days_range(kind: str) -> tuple[int, int]:
    return NEGLECT_DAYS if kind == "neglect" else LEAD_DAYS


def greeting_default(kind: str, festival: str = "") -> str:
    """The wording used when the agent has none: the kind's built-in greeting; a single
    festival falls back to the festival kind's wording, so it has no default of its own."""
    if festival:
        return ""
    registered = occasion_kinds().get(kind)
    return str(registered.greeting) if registered else ""
