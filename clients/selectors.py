"""Reads for the client archive. Every client query starts from `clients_for_user`."""

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import CharFilter, TypedChoiceFilter

from agentcrm.accounts.models import User
from agentcrm.core.calendar import month_day_key
from agentcrm.core.history import HistoryEntry, HistorySource, history_entries
from agentcrm.core.lists import CheckboxFilter, ListFilterSet, OptionFilter

from .models import Client, Commitment, FamilyMember, Segment

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


def client_list(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Client]:
    """The filtered, annotated client list; `filters` are ClientFilter's parameters (the
    list page's query string). A fixed number of queries whatever its length."""
    listed = ClientFilter(filters, queryset=clients_for_user(user=user))
    today = timezone.localdate()
    qs = listed.qs.annotate(
        last_contact=Max("interactions__date"),
        has_overdue=Exists(
            Commitment.objects.filter(
                client=OuterRef("pk"), done_date__isnull=True, due_date__lt=today
            )
        ),
    ).prefetch_related("segments", "tags")
    return qs.order_by(*SORTS[listed.values["sort"]]).distinct()


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
        ]
    )


def contactable(prefix: str = "") -> Q:
    """Clients who may be contacted: not archived and not marked do-not-contact. `prefix`
    reaches the client from another model ("client__", "holder__")."""
    return Q(**{f"{prefix}archived_at__isnull": True, f"{prefix}do_not_contact": False})
