"""Reads for the client archive. Every client query starts from `clients_for_user`."""

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import CharFilter, TypedChoiceFilter

from agentcrm.accounts.models import User
from agentcrm.core.calendar import month_day_key
from agentcrm.core.history import HistoryEntry, HistorySource, history_entries
from agentcrm.core.lists import CheckboxFilter, ListFilterSet, OptionFilter

from .models import (
    Client,
    Commitment,
    FamilyMember,
    Segment,
    Tag,
    id_number_digest_for,
    segment_label,
)
from .rules import KEPT, MERGE_GROUPS, OTHER

SORTS = {
    "name": ("name", "id"),
    "-created": ("-created_at", "-id"),
    "birthday": (F("birth_md").asc(nulls_last=True), "name"),
    # Longest without contact first; never contacted at the very top.
    "last_contact": (F("last_contact").asc(nulls_first=True), "name"),
}
SORT_LABELS = {
    "name": gettext_lazy("Name"),
    "-created": gettext_lazy("Newest"),
    "birthday": gettext_lazy("Birthday"),
    "last_contact": gettext_lazy("Last contact"),
}
ALL = ("", gettext_lazy("All"))
# The columns a client list row reads (clients.rows and the list template); the other
# forty (the encrypted ID number, both phone numbers parsed on load, the notes) are left
# in the database. The mobile comes as its stored string (`mobile_text`).
LIST_ROW_FIELDS = ("id", "name", "stage", "vip_tier", "archived_at", "do_not_contact")


def clients_for_user(*, user: User, include_archived: bool = True) -> QuerySet[Client]:
    """The one scoping rule: an agent sees only the clients they own.

    Managers see team aggregates elsewhere, never the private archive of their agents.
    """
    if not user.is_authenticated:
        return Client.objects.none()
    qs = Client.objects.filter(owner=user)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs


def get_client_for_user(*, user: User, pk: int) -> Client:
    """The client if `user` may see it, else 404 (never 403: existence is not leaked)."""
    return get_object_or_404(clients_for_user(user=user), pk=pk)


def phone_digits_q(text: str, *fields: str) -> Q:
    """Phone fields containing the digits typed in a search (3 or more, so a name with a
    stray digit matches no phone); an empty Q otherwise."""
    digits = re.sub(r"\D", "", text)
    if len(digits) < 3:
        return Q()
    match = Q()
    for field in fields:
        match |= Q(**{f"{field}__contains": digits})
    return match


class ClientFilter(ListFilterSet):
    """The client list's filters; its form is the list page's filter form."""

    q = CharFilter(label=gettext_lazy("Search"), max_length=100, method="filter_search")
    segment = TypedChoiceFilter(
        label=gettext_lazy("Segment"),
        field_name="segments__code",
        choices=[ALL, *Segment.Code.choices],
    )
    source = TypedChoiceFilter(
        label=gettext_lazy("Source"), field_name="source", choices=[ALL, *Client.Source.choices]
    )
    tier = TypedChoiceFilter(
        label=gettext_lazy("VIP tier"), field_name="vip_tier", choices=[ALL, *Client.Tier.choices]
    )
    stage = TypedChoiceFilter(
        label=gettext_lazy("Stage"), field_name="stage", choices=[ALL, *Client.Stage.choices]
    )
    birthday_month = TypedChoiceFilter(
        label=gettext_lazy("Birthday month"),
        choices=[ALL, *((m, str(m)) for m in range(1, 13))],
        coerce=int,
        empty_value=None,
        method="filter_birthday_month",
    )
    tag = CharFilter(label=gettext_lazy("Tag"), field_name="tags__name", max_length=40)
    archived = CheckboxFilter(label=gettext_lazy("Archived clients"), method="filter_archived")
    # client_list orders by it, after adding the annotations some orders use.
    sort = OptionFilter(
        label=gettext_lazy("Sort by"),
        choices=[(key, SORT_LABELS[key]) for key in SORTS],
        empty_value="name",
    )

    class Meta:
        model = Client
        fields = []

    def filter_search(self, queryset, name, value):
        match = Q(name__icontains=value) | Q(tags__name__iexact=value) | Q(wechat_id__iexact=value)
        match |= phone_digits_q(value, "mobile", "phone_other")
        return queryset.filter(pk__in=self.queryset.filter(match).values("pk"))

    def filter_birthday_month(self, queryset, name, month):
        return queryset.filter(
            Q(birth_md__gte=month * 100, birth_md__lt=(month + 1) * 100)
            & ~Q(birthday_calendar="lunar", lunar_birth_month__isnull=False)
            | Q(birthday_calendar="lunar", lunar_birth_month=month)
        )

    def filter_archived(self, queryset, name, archived):
        return queryset.filter(archived_at__isnull=not archived)


def client_filter(*, user: User, filters: Mapping[str, Any] | None = None) -> ClientFilter:
    """The client list's filter set over the clients it lists (its form is the page's)."""
    # A record merged into another is reached from the kept client, not listed.
    return ClientFilter(
        filters, queryset=clients_for_user(user=user).filter(merged_into__isnull=True)
    )


def client_list(
    *, user: User, filters: Mapping[str, Any] | None = None, listed: ClientFilter | None = None
) -> QuerySet[Client]:
    """The filtered, annotated client list; `filters` are ClientFilter's parameters (the
    list page's query string), or `listed` the page's `client_filter` (one form built, not
    two). A fixed number of queries whatever its length."""
    if listed is None:
        listed = client_filter(user=user, filters=filters)
    today = timezone.localdate()
    qs = listed.qs.annotate(
        last_contact=F("last_contact_on"),
        has_overdue=Exists(
            Commitment.objects.filter(
                client=OuterRef("pk"), done_date__isnull=True, due_date__lt=today
            )
        ),
        # The stored string: the row formats it once per number (clients.rows), where a
        # PhoneNumberField parses every row's on load.
        mobile_text=Cast("mobile", CharField()),
    ).only(*LIST_ROW_FIELDS)
    qs = qs.order_by(*SORTS[listed.values["sort"]])
    # Only a filter through tags can list a client twice (a segment's code is unique): the
    # DISTINCT otherwise costs the page's count a subquery of every column.
    return qs.distinct() if listed.values.get("tag") else qs


def client_row_lists(*, client_ids) -> dict[int, tuple[list[str], list[str]]]:
    """Each client's segment labels (in Segment's order, by id) and tag names (in Tag's
    order, by name) as plain strings, in one query: a page of the client list shows them.
    Plain SQL over the two link tables, as the ORM cannot say it in one query without
    compiling both joins and the union per request (prefetching them built a model per
    segment and per tag, and two ORM queries were a tenth of the page)."""
    lists: dict[int, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    ids = [int(pk) for pk in client_ids]
    if not ids:
        return lists
    q = connection.ops.quote_name
    segment_links = q(Client.segments.through._meta.db_table)
    tag_links = q(Client.tags.through._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    # Segments (kind 0) by id; tags (kind 1, no segment id) by name, then id.
    sql = f"""
        SELECT l.client_id, 0, s.code, s.id, CAST(NULL AS INTEGER)
        FROM {segment_links} l JOIN {q(Segment._meta.db_table)} s ON s.id = l.segment_id
        WHERE l.client_id IN ({marks})
        UNION ALL
        SELECT l.client_id, 1, t.name, CAST(NULL AS INTEGER), t.id
        FROM {tag_links} l JOIN {q(Tag._meta.db_table)} t ON t.id = l.tag_id
        WHERE l.client_id IN ({marks})
        ORDER BY 2, 4, 3, 5"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, *ids])
        for client_id, kind, text, _segment_id, _tag_id in cursor.fetchall():
            if kind == 0:
                lists[client_id][0].append(segment_label(text))
            else:
                lists[client_id][1].append(text)
    return lists


def commitments_open_for_user(*, user: User) -> QuerySet[Commitment]:
    return (
        Commitment.objects.filter(
            client__in=clients_for_user(user=user, include_archived=False),
            done_date__isnull=True,
        )
        .select_related("client")
        .order_by("due_date", "id")
    )


def client_detail_context(*, client: Client) -> dict:
    """Everything the client page shows, loaded with a fixed number of queries."""
    today = timezone.localdate()
    commitments = list(client.commitments.all())
    return {
        "family": list(client.family.all()),
        "custom_dates": list(client.custom_dates.all()),
        "interactions": list(client.interactions.select_related("created_by")[:50]),
        "life_events": list(client.life_events.all()[:50]),
        "open_commitments": [c for c in commitments if c.done_date is None],
        "done_commitments": [c for c in commitments if c.done_date is not None][:20],
        "today": today,
        "segments": list(client.segments.all()),
        "tags": list(client.tags.all()),
    }


def client_has_history(*, client: Client) -> bool:
    """A client with any timeline entry is archived, never deleted, and so is one whose
    personal data was erased (the row stays for the figures). (Records other apps protect,
    such as the people a client referred, stop the delete in `client_delete`.)"""
    return (
        client.erased_at is not None
        or client.interactions.exists()
        or client.life_events.exists()
        or client.commitments.exists()
    )


# Used by no page: kept as the oracle tests/test_seed_demo.py checks the demo's birthdays with
# (a plain birth_md match, independent of the touch engine's birthday occasions).
def upcoming_birthdays(*, user: User, start: date, days: int) -> QuerySet[Client]:
    """Active clients whose solar birthday key falls within `days` from `start`."""
    keys = {month_day_key(d.month, d.day) for d in (start + timedelta(days=i) for i in range(days))}
    return clients_for_user(user=user, include_archived=False).filter(birth_md__in=keys)


def client_audit_history(*, client: Client) -> list[HistoryEntry]:
    """The last changes to the client record and to their family members, newest first."""
    return history_entries(
        sources=[
            HistorySource(records=client.history.all()),
            HistorySource(
                records=FamilyMember.history.filter(client_id=client.pk),
                subject=lambda record: _("Family member %(name)s") % {"name": record.name},
            ),
            # The records merged into this one keep their own history rows: shown here.
            HistorySource(
                records=Client.history.filter(
                    id__in=Client.objects.filter(merged_into=client).values("pk")
                ),
                subject=lambda record: _("Merged record %(name)s") % {"name": record.name},
            ),
        ]
    )


def contactable(prefix: str = "") -> Q:
    """Clients who may be contacted: not archived and not marked do-not-contact. `prefix`
    reaches the client from another model ("client__", "holder__")."""
    return Q(**{f"{prefix}archived_at__isnull": True, f"{prefix}do_not_contact": False})


def overdue_commitments_by_owner(*, owner_ids, today: date) -> dict[int, int]:
    """{agent id: promises past their due date and not kept} for the given agents, clients
    archived left out. For a manager's team figures: counts only, never the promises
    themselves. One grouped query."""
    rows = (
        Commitment.objects.filter(
            client__owner_id__in=owner_ids,
            client__archived_at__isnull=True,
            done_date__isnull=True,
            due_date__lt=today,
        )
        .values("client__owner_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["client__owner_id"]: row["n"] for row in rows}


# --- Possible duplicates and merges ---------------------------------------------------------

DUPLICATE_REASONS = {
    "mobile": gettext_lazy("same mobile"),
    "id_number": gettext_lazy("same ID number"),
    "name_birth": gettext_lazy("same name and birth date"),
}
DUPLICATES_SHOWN = 5


@dataclass(frozen=True)
class PersonKeys:
    """What a new record says about a person, for `duplicates_in_book`."""

    name: str = ""
    mobile: Any = None
    birth_date: date | None = None
    id_number: str = ""


def duplicates_in_book(
    *, user: User, people: Sequence[PersonKeys], exclude_pk: int | None = None
) -> list[list[tuple[Client, list[str]]]]:
    """THE duplicate rule, for any number of people at once (client entry, a referral's
    names, an import's rows): for each person, the agent's own clients (never another
    agent's, never one merged away) who may be the same person, oldest first, each with the
    keys that matched: "mobile", "id_number" (the keyed digest of the normalised number),
    "name_birth" (the same name and the same birth date). A name alone never matches. One
    query for all the people."""
    wanted = []
    for person in people:
        name = (person.name or "").strip()
        wanted.append(
            (
                str(person.mobile) if person.mobile else "",
                id_number_digest_for(person.id_number) if person.id_number else "",
                (name, person.birth_date) if name and person.birth_date else None,
            )
        )
    mobiles = {m for m, _d, _p in wanted if m}
    digests = {d for _m, d, _p in wanted if d}
    pairs = {p for _m, _d, p in wanted if p}
    match = Q()
    if mobiles:
        match |= Q(mobile__in=mobiles)
    if digests:
        match |= Q(id_number_digest__in=digests)
    if pairs:  # a superset (names × dates); the exact pairs are picked below
        match |= Q(name__in={n for n, _b in pairs}, birth_date__in={b for _n, b in pairs})
    if not match:
        return [[] for _p in people]
    found = list(
        clients_for_user(user=user)
        .filter(match, merged_into__isnull=True)
        .exclude(pk=exclude_pk)
        .order_by("id")
    )
    by_mobile: dict[str, list[Client]] = {}
    by_digest: dict[str, list[Client]] = {}
    by_pair: dict[tuple, list[Client]] = {}
    for client in found:
        if client.mobile:
            by_mobile.setdefault(str(client.mobile), []).append(client)
        if client.id_number_digest:
            by_digest.setdefault(client.id_number_digest, []).append(client)
        if client.birth_date:
            by_pair.setdefault((client.name, client.birth_date), []).append(client)
    answers = []
    for mobile, digest, pair in wanted:
        keys: dict[int, tuple[Client, list[str]]] = {}
        for key, clients in (
            ("mobile", by_mobile.get(mobile, []) if mobile else []),
            ("id_number", by_digest.get(digest, []) if digest else []),
            ("name_birth", by_pair.get(pair, []) if pair else []),
        ):
            for client in clients:
                keys.setdefault(client.pk, (client, []))[1].append(key)
        answers.append([keys[pk] for pk in sorted(keys)])
    return answers


def possible_duplicates(
    *,
    user: User,
    name: str = "",
    mobile: Any = None,
    birth_date: date | None = None,
    id_number: str = "",
    exclude_pk: int | None = None,
) -> list[dict[str, Any]]:
    """The agent's own clients who may be the same person (`duplicates_in_book`: the same
    mobile, the same ID number, or the same name with the same birth date; a name alone
    never matches), at most DUPLICATES_SHOWN. One query. Each item: {"client", "keys",
    "reasons" (words), "text" ("可能与已有客户重复：王芳（手机相同）")}."""
    person = PersonKeys(name=name, mobile=mobile, birth_date=birth_date, id_number=id_number)
    (found,) = duplicates_in_book(user=user, people=[person], exclude_pk=exclude_pk)
    rows = []
    for client, keys in found[:DUPLICATES_SHOWN]:
        reasons = "、".join(str(DUPLICATE_REASONS[k]) for k in keys)
        rows.append(
            {
                "client": client,
                "keys": keys,
                "reasons": reasons,
                "text": _("Possibly the same person as your client %(name)s (%(reasons)s)")
                % {"name": client.name, "reasons": reasons},
            }
        )
    return rows


def merge_field_rows(*, kept: Client, other: Client) -> list[dict[str, Any]]:
    """The merge page's rows: each group of fields (clients.rules.MERGE_GROUPS) with both
    records' values as shown, whether they differ, and the side picked by default (the
    other's when only it has a value)."""
    rows = []
    for group, fields in MERGE_GROUPS.items():
        first = Client._meta.get_field(fields[0])

        def shown(client: Client, first=first, fields=fields) -> str:
            if fields[0] == "birth_date":
                return birthday_text(client)
            parts = [_field_text(client, name) for name in fields]
            return " · ".join(p for p in parts if p) or "—"

        kept_text, other_text = shown(kept), shown(other)
        empty = kept_text == "—"
        rows.append(
            {
                "group": group,
                "label": str(first.verbose_name),
                "kept": kept_text,
                "other": other_text,
                "differs": kept_text != other_text,
                "default": OTHER if empty and other_text != "—" else KEPT,
            }
        )
    return rows


def _field_text(client: Client, name: str) -> str:
    field = Client._meta.get_field(name)
    value = getattr(client, name)
    if value in (None, "") or (value is False and name != "is_influence_centre"):
        return ""
    if field.choices:
        return str(getattr(client, f"get_{name}_display")())
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def birthday_text(person) -> str:
    """A person's birthday as the merge page shows it: 1985-03-08, 3/8 (year unknown), the
    lunar birthday, and which one is celebrated."""
    from agentcrm.core.calendar import lunar_text

    parts = []
    if person.birth_date:
        parts.append(person.birth_date.isoformat())
    elif person.birth_year_unknown:
        parts.append(
            _("%(month)s/%(day)s, age unknown")
            % {"month": person.birth_month, "day": person.birth_day}
        )
    if person.has_lunar_birthday:
        parts.append(
            lunar_text(
                month=person.lunar_birth_month,
                day=person.lunar_birth_day,
                leap=person.lunar_birth_leap,
            )
        )
    if not parts:
        return "—"
    return " · ".join([*parts, str(person.get_birthday_calendar_display())])


def merges_for_client(*, client: Client) -> list:
    """The merges into this client and out of it that can still be undone, newest first."""
    from .models import ClientMerge

    now = timezone.now()
    return list(
        ClientMerge.objects.filter(Q(kept=client) | Q(other=client), undone_at__isnull=True)
        .filter(merged_at__gte=now - timedelta(days=ClientMerge.UNDO_DAYS))
        .select_related("kept", "other")
    )


def get_merge_for_user(*, user: User, pk: int):
    from .models import ClientMerge

    if not user.is_authenticated:
        raise Http404
    return get_object_or_404(ClientMerge.objects.select_related("kept", "other"), pk=pk, owner=user)
