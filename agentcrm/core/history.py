"""The audit trail (django-simple-history): reading it for a page, and writing rows for the
changes that bypass `save()`.

`history_entries` turns the last records of one or more historical querysets into what
templates/includes/history.html shows: who, when, and each field changed, old → new, under
the field's verbose name. It runs a fixed number of queries whatever the number of records
(the records with their users; one pair of queries per source for the earlier version of
the oldest records; one per related model for changed foreign keys). Phone and ID numbers
are masked.

`history_record` writes history rows for instances whose rows were changed with
QuerySet.update() or bulk_create() (which send no signals).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import ForeignKey, Max, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from .masking import mask_id, mask_phone, mask_text

HISTORY_LIMIT = 20
TEXT_PREVIEW_CHARS = 80
EMPTY = "—"

# history_change_reason values written by this project, and how the page names them.
REASON_BASELINE = "baseline"  # the row each existing record got when the history began
REASON_IMPORT = "import"  # rows created or changed by a spreadsheet import
REASON_MERGE = "merge"  # the kept client of a merge (clients.services.client_merge)
REASON_MERGED = "merged"  # the record merged into another
REASON_MERGE_UNDONE = "merge_undone"
REASON_LABELS = {
    REASON_BASELINE: _("History starts"),
    REASON_IMPORT: _("Imported"),
    REASON_MERGE: _("Merged with another record"),
    REASON_MERGED: _("Merged into another client"),
    REASON_MERGE_UNDONE: _("Merge undone"),
}
ACTION_LABELS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}

PHONE_NAMES = ("phone", "mobile", "tel")
ID_NAMES = ("id_number", "id_no", "id_card", "identity_number", "passport")


def masker_for(model_field) -> Callable | None:
    """How a field's values are shown in the history: phone and ID numbers masked."""
    name = model_field.name.lower()
    if isinstance(model_field, PhoneNumberField) or any(p in name for p in PHONE_NAMES):
        return mask_phone
    if any(p in name for p in ID_NAMES):
        return mask_id
    return None


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime
    who: object  # the user, or None for the system (nightly jobs, a data migration)
    action: str
    subject: str  # "" for the page's own object; e.g. a family member on the client page
    changes: list[FieldChange] = field(default_factory=list)
    sort_key: tuple = ()


@dataclass
class HistorySource:
    """One stream of records shown on a page: a historical queryset (already filtered to
    the objects of the page) and, for records of another object than the page's, a
    function naming it from the record (e.g. "Family member 张三")."""

    records: QuerySet
    subject: Callable[[object], str] | None = None


def _tracked(record) -> list:
    return [f for f in record.tracked_fields if f.editable]


def _differences(prev, record) -> list:
    return [f for f in _tracked(record) if getattr(prev, f.attname) != getattr(record, f.attname)]


def _display(model_field, value, related: dict) -> str:
    if value is None or value == "":
        return EMPTY
    masker = masker_for(model_field)
    if masker is not None:
        return masker(value) or EMPTY
    if isinstance(model_field, ForeignKey):
        obj = related.get((model_field.related_model, value))
        return str(obj) if obj is not None else f"#{value}"
    if model_field.flatchoices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"
    # Free text (notes) can hold a number typed in by hand: masked too.
    return Truncator(mask_text(str(value))).chars(TEXT_PREVIEW_CHARS)


def _previous_records(source: HistorySource, records: list) -> dict[int, object]:
    """history_id → the record before it of the same object, for every fetched record that
    has one: from the fetched records themselves, else one aggregate and one fetch."""
    by_object: dict[object, list] = defaultdict(list)
    for record in records:
        by_object[record.id].append(record)
    previous: dict[int, object] = {}
    missing: dict[object, int] = {}  # object id → the oldest fetched history_id
    for object_id, group in by_object.items():
        group.sort(key=lambda r: r.history_id)
        for earlier, later in zip(group, group[1:], strict=False):
            previous[later.history_id] = earlier
        if group[0].history_type != "+":
            missing[object_id] = group[0].history_id
    if missing:
        model = source.records.model
        condition = Q()
        for object_id, history_id in missing.items():
            condition |= Q(id=object_id, history_id__lt=history_id)
        ids = (
            model.objects.filter(condition).order_by().values("id").annotate(last=Max("history_id"))
        )
        found = {row["last"]: row["id"] for row in ids}
        earlier_records = {r.id: r for r in model.objects.filter(history_id__in=found)}
        for object_id, history_id in missing.items():
            if object_id in earlier_records:
                previous[history_id] = earlier_records[object_id]
    return previous


def _related_objects(wanted: dict) -> dict:
    """(model, pk) → object for every foreign key value shown: one query per model."""
    related = {}
    for model, pks in wanted.items():
        for obj in model._default_manager.filter(pk__in=pks):
            related[(model, obj.pk)] = obj
    return related


def history_entries(
    *, sources: Iterable[HistorySource], limit: int = HISTORY_LIMIT
) -> list[HistoryEntry]:
    """The `limit` most recent changes across `sources`, newest first."""
    fetched = []
    for source in sources:
        records = list(
            source.records.select_related("history_user").order_by("-history_date", "-history_id")[
                :limit
            ]
        )
        if records:
            fetched.append((source, records, _previous_records(source, records)))

    pending = []
    wanted_related: dict = defaultdict(set)
    for source, records, previous in fetched:
        for record in records:
            prev = previous.get(record.history_id)
            changed = _differences(prev, record) if record.history_type == "~" and prev else []
            if record.history_type == "~" and prev is not None and not changed:
                continue  # only untracked columns moved: nothing to show
            for f in changed:
                if isinstance(f, ForeignKey):
                    for value in (getattr(prev, f.attname), getattr(record, f.attname)):
                        if value is not None:
                            wanted_related[f.related_model].add(value)
            pending.append((source, record, prev, changed))
    related = _related_objects(wanted_related)

    entries = []
    for source, record, prev, changed in pending:
        reason = record.history_change_reason or ""
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=record.history_user,
                action=str(REASON_LABELS.get(reason) or ACTION_LABELS[record.history_type]),
                subject=source.subject(record) if source.subject else "",
                changes=[
                    FieldChange(
                        label=str(f.verbose_name),
                        old=_display(f, getattr(prev, f.attname), related),
                        new=_display(f, getattr(record, f.attname), related),
                    )
                    for f in changed
                ],
                sort_key=(record.history_date, record.history_id),
            )
        )
    entries.sort(key=lambda entry: entry.sort_key, reverse=True)
    return entries[:limit]


def history_record(
    *, instances: Iterable, user=None, reason: str = "", created: bool = False
) -> None:
    """Write a history row for each instance, as it is now in memory (call it after the
    UPDATE or bulk_create that changed the rows). The user defaults to the one signed in
    on the current request, as for ordinary saves."""
    instances = list(instances)
    if not instances:
        return
    manager = type(instances[0]).history
    manager.bulk_history_create(
        instances, update=not created, default_user=user, default_change_reason=reason
    )
