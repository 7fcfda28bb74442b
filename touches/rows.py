"""What a touch row shows: the words, the facts, the greeting and the links.

Presentation, kept out of the selectors (which only query): `decorate` takes the touches a
selector loaded and attaches each row's texts, in three queries for any number of rows (the
clients' segments, the agent's greeting templates and gift ideas). The row's sentences are
built here rather than by {% blocktranslate %} in the template: on a page of 200 rows that
was most of the rendering time. Rows share few distinct numbers and dates, so each phrase
is translated and formatted once per page.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from agentcrm.accounts.models import User
from agentcrm.core.calendar import age_on
from agentcrm.core.phones import phone_texts
from agentcrm.core.templatetags.display import lunar
from clients.models import Calendar, Client, Segment

from .greetings import (
    Templates,
    festival_greeting,
    festival_key,
    greeting_for,
    guidance,
    kind_label,
    sms_href,
    touch_label,
)
from .models import GreetingTemplate, Touch
from .registry import gift_ideas_lookup, touch_actions

ROW_ACTIONS = ("done", "snooze", "skip", "reopen")
# The forms a row reveals (app.js copies them from the page's templates), in order; the
# registered actions of the touch's kind (registry.register_touch_action) follow them.
FORM_ACTIONS = ("done", "snooze", "skip")

# The row's plural phrases; each takes n (and the named values of its sentence).
IN_DAYS = ngettext_lazy("in %(n)d day", "in %(n)d days", "n")
DAYS_AGO = ngettext_lazy("%(n)d day ago", "%(n)d days ago", "n")
DAYS_TO_GO = ngettext_lazy("%(n)d day to go", "%(n)d days to go", "n")
TURNS = ngettext_lazy("turns %(n)d", "turns %(n)d", "n")
DAYS_OVERDUE = ngettext_lazy("%(n)d day overdue", "%(n)d days overdue", "n")
YEARS_OLD = ngettext_lazy("%(n)d year old", "%(n)d years old", "n")
POLICIES_IN_FORCE = ngettext_lazy("%(n)d policy in force", "%(n)d policies in force", "n")
LAST_CONTACT = ngettext_lazy(
    "last contact %(date)s (%(n)d day ago)", "last contact %(date)s (%(n)d days ago)", "n"
)


def row_labels() -> dict[str, str]:
    """The fixed words of a touch row, translated once per page: a {% translate %} tag in
    the row template runs once per row, and on a full dashboard that was a third of the
    rendering time. Strings, not the lazy translations: each print of a lazy one translates
    it again, as often as the rows print it."""
    labels = {
        "urgent": _("Urgent"),
        "high": _("High"),
        "done": _("Done"),
        "skipped": _("Skipped"),
        "copy": _("Copy"),
        "copied": _("Copied"),
        "sms": _("SMS"),
        "call": _("Call"),
        "gift_ideas": _("Gift ideas:"),
        "done_note": _("Done, with a note…"),
        "snooze": _("Snooze…"),
        "skip": _("Skip…"),
        "reason": _("Reason:"),
        "undo": _("Undo"),
        "more": _("More…"),
        "all_done": _("All done"),
        "greeting": _("Greeting"),
        "mark_all_done": _("Mark done for all"),
        "open_list": _("Open the list"),
        "copy_greeting": _("Copy greeting"),
    }
    return {key: str(label) for key, label in labels.items()}


def greeting_templates_for_user(*, user: User) -> dict[tuple[str, str, str], str]:
    """(kind, festival, style) -> the agent's own wording."""
    return {
        (kind, festival, style): text
        for kind, festival, style, text in GreetingTemplate.objects.filter(owner=user).values_list(
            "kind", "festival", "style", "text"
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
    """The row's sentences, each phrase translated and each date formatted once per page."""

    def __init__(self) -> None:
        self._plural: dict[tuple[int, int], str] = {}
        self._dates: dict[tuple[date, str], str] = {}
        self._lunar: dict[date, str] = {}

    def plural(self, phrase, n: int, **values) -> str:
        key = (id(phrase), n)
        if key not in self._plural:
            # A lazy plural resolves its form when formatted with n; keep the placeholders of
            # the other values for the per-row formatting below.
            self._plural[key] = phrase % {"n": n, **{k: f"%({k})s" for k in values}}
        return self._plural[key] % values if values else self._plural[key]

    def date(self, value: date, fmt: str) -> str:
        key = (value, fmt)
        if key not in self._dates:
            self._dates[key] = date_format(value, fmt)
        return self._dates[key]

    def lunar(self, value: date) -> str:
        if value not in self._lunar:
            self._lunar[value] = lunar(value)
        return self._lunar[value]

    def when(self, days: int) -> str:
        """The occasion relative to today: "today", "in 3 days", "2 days ago"."""
        if days == 0:
            return gettext("today")
        if days > 0:
            return self.plural(IN_DAYS, days)
        return self.plural(DAYS_AGO, -days)

    def plan_day(self, day: date, today: date) -> str:
        """A card's day on the plan: "today", "12月7日 · 还有3天", "12月2日 · 3天前"."""
        days = (day - today).days
        if days == 0:
            return gettext("today")
        phrase = DAYS_TO_GO if days > 0 else DAYS_AGO
        return f"{self.date(day, 'MONTH_DAY_FORMAT')} · {self.plural(phrase, abs(days))}"

    def fill(self, touch: Touch) -> None:
        touch.occasion_text = self.date(touch.occasion_date, "MONTH_DAY_FORMAT")
        if touch.kind == "birthday" and (
            touch.client.birthday_calendar == Calendar.LUNAR or touch.label.startswith("lunar")
        ):
            # A lunar birthday reads as the client keeps it: 2月17日 农历正月初一.
            touch.occasion_text += " " + self.lunar(touch.occasion_date)
        touch.when_text = self.when(touch.days_to_occasion)
        touch.turns_text = self.plural(TURNS, touch.turns) if touch.turns else ""
        if touch.days_overdue > 0:
            touch.due_text = self.plural(DAYS_OVERDUE, touch.days_overdue)
        elif touch.days_overdue < 0:
            touch.due_text = gettext("due %(date)s") % {
                "date": self.date(touch.due_date, "MONTH_DAY_FORMAT")
            }
        else:
            touch.due_text = ""
        facts = []
        if touch.age is not None:
            facts.append(self.plural(YEARS_OLD, touch.age))
        elif touch.client.birth_year_unknown:
            facts.append(gettext("age unknown"))
        facts.append(self.plural(POLICIES_IN_FORCE, touch.active_policies))
        if touch.last_contact:
            facts.append(
                self.plural(
                    LAST_CONTACT,
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


def decorate(
    touches: list[Touch], *, user: User, today: date, templates: Templates | None = None
) -> list[Touch]:
    """Attach what a row shows to each touch: three queries for any number of rows (the
    clients' segments, the agent's greeting templates unless given and, when a row goes
    with a gift, the agent's gift ideas)."""
    if not touches:
        return touches
    urls = _url_makers()
    segments = _segments_by_client({t.client_id for t in touches})
    if templates is None:
        templates = greeting_templates_for_user(user=user)
    # The agent's own gift ideas (the gifts app's, registry section 12): one query at most.
    gift_ideas = gift_ideas_lookup(owner=user, kinds={t.kind for t in touches})
    texts = _Texts()
    labels: dict[str, str] = {}
    registered: dict[str, list] = {}
    for touch in touches:
        client: Client = touch.client
        touch.pk_text = str(touch.pk)
        touch.segment_list = segments.get(client.pk, [])
        if touch.kind not in labels:
            labels[touch.kind] = kind_label(touch.kind)
        touch.kind_label = labels[touch.kind]
        touch.display_label = touch_label(touch)
        touch.days_to_occasion = (touch.occasion_date - today).days
        touch.days_overdue = (today - touch.due_date).days
        touch.age = _age(client.birth_date, today)
        touch.turns = (
            _age(client.birth_date, touch.occasion_date) if touch.kind == "birthday" else None
        )
        touch.festival = festival_key(touch)
        touch.gifts = gift_ideas(touch.kind, touch.festival, [s.code for s in touch.segment_list])
        touch.greeting = greeting_for(touch, templates)
        touch.guidance = guidance(touch)
        # The stored string (selectors.with_client_facts), formatted once per number.
        e164 = phone_texts(touch.mobile_text or "").e164
        touch.sms_href = sms_href(e164, touch.greeting)
        touch.tel_href = f"tel:{e164}" if e164 else ""
        touch.urls = {
            name: make(touch.client_id if name == "client" else touch.pk)
            for name, make in urls.items()
        }
        touch.days_since_contact = (today - touch.last_contact).days if touch.last_contact else None
        touch.actions = row_actions(touch, registered=registered)
        # The row prints the forms' buttons rendered once per page, then these.
        touch.links = [a for a in touch.actions if "form" not in a]
        day = max(touch.occasion_date, touch.due_date)
        touch.plan_text = texts.plan_day(day, today)
        touch.plan_overdue = day < today
        texts.fill(touch)
    return touches


def form_actions() -> list[dict]:
    """The built-in forms behind every row's "More…": done with a note, snooze, skip."""
    labels = {"done": _("Done, with a note…"), "snooze": _("Snooze…"), "skip": _("Skip…")}
    return [{"form": name, "label": labels[name]} for name in FORM_ACTIONS]


def row_actions(touch: Touch, *, registered: dict[str, list] | None = None) -> list[dict]:
    """The actions behind a row's "More…", in one place for every card: the built-in forms
    (`form_actions`) and the links other apps register for the kind. `registered` caches
    the registry's actions per kind across the rows of one page."""
    actions = form_actions()
    if registered is None:
        registered = {}
    if touch.kind not in registered:
        registered[touch.kind] = touch_actions(touch.kind)
    for action in registered[touch.kind]:
        url = action.url(touch)
        if url:
            actions.append(
                {
                    "key": action.key,
                    "label": str(action.label),
                    "url": url,
                    "after_done": action.after_done,
                }
            )
    return actions


def decorate_cards(cards: list, *, user: User, today: date) -> list:
    """Attach what a dashboard card shows (selectors.Card): its touches decorated as rows
    (three queries in all), its day on the plan and, for a festival, the audience's
    greeting, the bulk action and the link to the full list."""
    if not cards:
        return cards
    # One read of the agent's templates for the rows and the festival cards' greetings.
    templates = greeting_templates_for_user(user=user)
    decorate(
        [t for card in cards for t in card.touches], user=user, today=today, templates=templates
    )
    texts = _Texts()
    festival_done = reverse("touches:festival_done")
    touch_list = reverse("touches:list")
    for card in cards:
        lead = card.lead
        card.day_text = texts.plan_day(card.day, today)
        card.is_today = card.day == today
        card.is_overdue = card.day < today
        card.client = lead.client
        card.dom_id = f"card-{lead.pk}"
        if card.festival:
            card.title = lead.display_label
            card.greeting = festival_greeting(lead, templates)
            card.festival_key = lead.festival
            card.done_url = festival_done
            group = "today" if card.is_today else "overdue" if card.is_overdue else "prepare"
            card.list_url = touch_list + "?" + festival_list_query(lead, group)
        else:
            # A merged card shows its latest touch; done closes all of them.
            card.rows = card.touches[:1] if card.key.startswith("m|") else card.touches
            card.ids = ",".join(str(t.pk) for t in card.touches)
    return cards


def festival_list_query(touch: Touch, group: str) -> str:
    """The full list's query string for one festival card's audience."""
    return urlencode(
        {"group": group, "festival": touch.festival, "occasion": touch.occasion_date.isoformat()}
    )


def history_labels(touches: list[Touch]) -> list[Touch]:
    """The words of the client page's touch history rows."""
    for touch in touches:
        touch.kind_label = kind_label(touch.kind)
        touch.display_label = touch_label(touch)
    return touches
