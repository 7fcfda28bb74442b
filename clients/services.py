"""Writes for the client archive. Each service is one transaction: all or nothing."""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateField, Model, OuterRef, ProtectedError, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from agentcrm.core.history import (
    REASON_MERGE,
    REASON_MERGE_UNDONE,
    REASON_MERGED,
    history_record,
)
from touches.registry import merge_movers, occasion_reopened, occasion_resolved

from .models import (
    Client,
    ClientMerge,
    Commitment,
    CustomDate,
    FamilyMember,
    Interaction,
    LifeEvent,
    Segment,
    Tag,
)
from .rules import (
    BIRTHDAY_FIELDS,
    MERGE_GROUPS,
    OTHER,
    birthday_problems,
    client_problems,
    custom_date_problems,
)

# The fields of a client, a family member and a yearly date the services write.
CLIENT_FIELDS = frozenset(
    {
        "name",
        "gender",
        *BIRTHDAY_FIELDS,
        "id_number",
        "mobile",
        "phone_other",
        "wechat_id",
        "salutation",
        "greeting_style",
        "email",
        "address",
        "occupation",
        "employer",
        "industry",
        "marital_status",
        "wedding_date",
        "income_band",
        "interests",
        "vip_tier",
        "is_influence_centre",
        "source",
        "stage",
        "do_not_contact",
        "do_not_contact_reason",
        "notes",
    }
)
FAMILY_FIELDS = frozenset(
    {"relation", "name", "gender", *BIRTHDAY_FIELDS, "is_living", "as_client", "notes"}
)
CUSTOM_DATE_FIELDS = frozenset({"name", "calendar", "year", "month", "day", "leap"})


def tags_get_or_create(*, owner_id: int, names: Iterable[str]) -> list[Tag]:
    """The agent's Tag rows for these names (trimmed to 40 characters, each once, in the
    order given), creating the missing ones."""
    wanted = []
    for raw in names:
        name = raw.strip()[:40]
        if name and name not in wanted:
            wanted.append(name)
    existing = {t.name: t for t in Tag.objects.filter(owner_id=owner_id, name__in=wanted)}
    missing = [Tag(owner_id=owner_id, name=n) for n in wanted if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(owner_id=owner_id, name__in=wanted)}
    return [existing[n] for n in wanted]


def _assign(instance: Model, values: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(values) - allowed
    if unknown:
        raise TypeError(f"{type(instance).__name__} has no field to set named {sorted(unknown)}")
    for name, value in values.items():
        setattr(instance, name, value)


def _apply_rule(instance: Model, rule, fields: frozenset[str], *, under: str = "") -> None:
    """Check `instance` with a rule of clients.rules and store what the rule fills in; a
    problem raises a ValidationError keyed by its field (or by `under`, for a family member
    or a yearly date)."""
    problems, filled = rule({name: getattr(instance, name) for name in fields})
    if problems:
        errors: dict[str, list] = {}
        for field, message in problems:
            errors.setdefault(under or field, []).append(message)
        raise ValidationError(errors)
    for name, value in filled.items():
        setattr(instance, name, value)


def _rows_save(
    *, client: Client, rows: Iterable[Mapping[str, Any]], related: str, under: str, fields, rule
) -> None:
    """Family members or yearly dates of `client`, as `agentcrm.core.forms.formset_changes`
    gives them: {"id", "delete": True} deletes that row, {"id", **values} changes it, and
    {**values} adds one; in the order given."""
    rows = list(rows)
    manager = getattr(client, related)
    ids = [row["id"] for row in rows if row.get("id") is not None]
    existing = manager.in_bulk(ids) if ids else {}
    for row in rows:
        values = {k: v for k, v in row.items() if k not in ("id", "delete")}
        pk = row.get("id")
        if pk is None:
            instance = manager.model(client=client)
        elif pk in existing:
            instance = existing[pk]
            if row.get("delete"):
                instance.delete()
                continue
        else:
            raise manager.model.DoesNotExist(f"{client} has no {related} row {pk}")
        _assign(instance, values, fields)
        linked = getattr(instance, "as_client", None)
        if linked is not None and (linked.owner_id != client.owner_id or linked.pk == client.pk):
            raise ValidationError({under: [_("Choose one of your other clients.")]})
        _apply_rule(instance, rule, fields, under=under)
        instance.save()


def _client_save(
    client: Client,
    *,
    fields: Mapping[str, Any],
    family: Iterable[Mapping[str, Any]],
    dates: Iterable[Mapping[str, Any]],
    tag_names: Iterable[str] | None,
    segments: Iterable[Segment] | None,
) -> Client:
    _assign(client, fields, CLIENT_FIELDS)
    _apply_rule(client, client_problems, CLIENT_FIELDS)
    client.save()
    if segments is not None:
        client.segments.set(segments)
    if tag_names is not None:
        client.tags.set(tags_get_or_create(owner_id=client.owner_id, names=tag_names))
    _rows_save(
        client=client,
        rows=family,
        related="family",
        under="family",
        fields=FAMILY_FIELDS,
        rule=birthday_problems,
    )
    _rows_save(
        client=client,
        rows=dates,
        related="custom_dates",
        under="dates",
        fields=CUSTOM_DATE_FIELDS,
        rule=custom_date_problems,
    )
    return client


@transaction.atomic
def client_create(
    *,
    owner: User,
    family: Iterable[Mapping[str, Any]] = (),
    dates: Iterable[Mapping[str, Any]] = (),
    tag_names: Iterable[str] = (),
    segments: Iterable[Segment] = (),
    **fields: Any,
) -> Client:
    """A new client of `owner` with their family members and yearly dates (rows of values),
    tags (names; new ones are created) and segments. The rules of clients.rules apply: a
    problem raises a ValidationError and nothing is stored."""
    return _client_save(
        Client(owner=owner),
        fields=fields,
        family=family,
        dates=dates,
        tag_names=tag_names,
        segments=segments,
    )


@transaction.atomic
def client_update(
    *,
    client: Client,
    family: Iterable[Mapping[str, Any]] = (),
    dates: Iterable[Mapping[str, Any]] = (),
    tag_names: Iterable[str] | None = None,
    segments: Iterable[Segment] | None = None,
    **fields: Any,
) -> Client:
    """Change the given fields of `client`; add, change or delete family members and yearly
    dates (see `_rows_save`); replace the tags and segments when given. Always saved (one
    history row), all or nothing, with the rules of clients.rules."""
    return _client_save(
        client,
        fields=fields,
        family=family,
        dates=dates,
        tag_names=tag_names,
        segments=segments,
    )


# Archiving is a conditional UPDATE (archiving twice keeps the first date), which writes
# no history by itself: the history row is written here, from the row as it now is.
@transaction.atomic
def client_archive(*, client: Client) -> None:
    if Client.objects.filter(pk=client.pk, archived_at__isnull=True).update(
        archived_at=timezone.now()
    ):
        client.refresh_from_db()
        history_record(instances=[client])


@transaction.atomic
def client_unarchive(*, client: Client) -> None:
    if Client.objects.filter(pk=client.pk, archived_at__isnull=False).update(archived_at=None):
        client.refresh_from_db()
        history_record(instances=[client])


def client_delete(*, client: Client) -> None:
    """Delete a client without history. Raises ValidationError when another record still
    needs them (a referral chain they started): archive them instead."""
    try:
        with transaction.atomic():
            client.delete()
    except ProtectedError as exc:
        raise ValidationError(_("This client has a history: archive them instead.")) from exc


def client_last_contact_refresh(*, client_ids: Iterable[int]) -> int:
    """Set `Client.last_contact_on` of `client_ids` from their interactions (the latest day,
    None for none), in one UPDATE for any number of clients. Every write that logs, moves or
    removes interactions calls it (the bulk ones with all their clients at once)."""
    ids = sorted({pk for pk in client_ids if pk is not None})
    if not ids:
        return 0
    latest = Interaction.objects.filter(client=OuterRef("pk")).order_by("-date").values("date")
    return Client.objects.filter(pk__in=ids).update(last_contact_on=Subquery(latest[:1]))


def interaction_create(
    *, client: Client, user: User, kind: str, on: date, summary: str, gift_value=None
) -> Interaction:
    interaction = Interaction.objects.create(
        client=client, created_by=user, kind=kind, date=on, summary=summary, gift_value=gift_value
    )
    client_last_contact_refresh(client_ids=[client.pk])
    client.last_contact_on = max(filter(None, (client.last_contact_on, on)))
    return interaction


def life_event_create(*, client: Client, kind: str, on: date, notes: str = "") -> LifeEvent:
    return LifeEvent.objects.create(client=client, kind=kind, date=on, notes=notes)


def commitment_create(*, client: Client, description: str, due_date: date) -> Commitment:
    return Commitment.objects.create(client=client, description=description, due_date=due_date)


# A promise's touches: kind "commitment", source "commitment:<id>" (clients.occasions).
COMMITMENT_KIND = "commitment"
COMMITMENT_SOURCE_PREFIX = "commitment"


def commitment_source(pk: int) -> str:
    return f"{COMMITMENT_SOURCE_PREFIX}:{pk}"


def _commitment_owner_id(commitment: Commitment) -> int | None:
    return Client.objects.filter(pk=commitment.client_id).values_list("owner_id", flat=True).first()


@transaction.atomic
def commitment_complete(*, commitment: Commitment, on: date | None = None) -> bool:
    """Mark a promise kept, and close its open touch on the dashboard (the touch list hears
    `occasion_resolved`). Conditional update: completing twice keeps the first date."""
    done = on or timezone.localdate()
    updated = Commitment.objects.filter(pk=commitment.pk, done_date__isnull=True).update(
        done_date=done
    )
    commitment.refresh_from_db(fields=["done_date"])
    owner_id = _commitment_owner_id(commitment)
    if owner_id is not None:
        # Sent even when the promise was already kept: closing is idempotent, and a touch
        # left open by an earlier failure is closed now.
        occasion_resolved.send(
            sender=Commitment,
            kind=COMMITMENT_KIND,
            source=commitment_source(commitment.pk),
            owner_id=owner_id,
        )
    return bool(updated)


@transaction.atomic
def commitment_reopen(*, commitment: Commitment) -> bool:
    """Mark a kept promise open again; a touch closed as done for it opens again too."""
    updated = Commitment.objects.filter(pk=commitment.pk, done_date__isnull=False).update(
        done_date=None
    )
    commitment.refresh_from_db(fields=["done_date"])
    owner_id = _commitment_owner_id(commitment)
    if updated and owner_id is not None:
        occasion_reopened.send(
            sender=Commitment,
            kind=COMMITMENT_KIND,
            source=commitment_source(commitment.pk),
            owner_id=owner_id,
        )
    return bool(updated)


def _commitment_of_touch(*, source: str, owner_id: int, client_id: int | None):
    prefix, _sep, pk = source.partition(":")
    if prefix != COMMITMENT_SOURCE_PREFIX or not pk.isdigit():
        return None
    found = Commitment.objects.filter(pk=int(pk), client__owner_id=owner_id)
    if client_id is not None:
        found = found.filter(client_id=client_id)
    return found.first()


def commitment_on_touch_done(
    *, kind: str, source: str, owner_id: int, client_id: int | None = None, **kwargs
) -> None:
    """Receiver of `touch_done`: a promise's touch done on the dashboard keeps the promise."""
    if kind != COMMITMENT_KIND:
        return
    commitment = _commitment_of_touch(source=source, owner_id=owner_id, client_id=client_id)
    if commitment is not None:
        commitment_complete(commitment=commitment)


def commitment_on_touch_reopened(
    *, kind: str, source: str, owner_id: int, client_id: int | None = None, **kwargs
) -> None:
    """Receiver of `touch_reopened`: "done" undone on the promise's touch reopens the promise."""
    if kind != COMMITMENT_KIND:
        return
    commitment = _commitment_of_touch(source=source, owner_id=owner_id, client_id=client_id)
    if commitment is not None:
        commitment_reopen(commitment=commitment)


# --- Merging two records of one person ------------------------------------------------------

# The archive's own rows of a client that a merge moves (model, its key to the client).
MERGE_ROWS = (
    (FamilyMember, "client"),
    (FamilyMember, "as_client"),
    (CustomDate, "client"),
    (Interaction, "client"),
    (LifeEvent, "client"),
    (Commitment, "client"),
)


def _stored(value: Any) -> Any:
    """A field value as ClientMerge.overwritten keeps it (JSON)."""
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)  # a phone number


def _restored(client: Client, name: str, value: Any) -> Any:
    field = client._meta.get_field(name)
    if value is None:
        return None
    if isinstance(field, DateField):
        return date.fromisoformat(value)
    return value


def _locked(*clients: Client) -> dict[int, Client]:
    ids = [c.pk for c in clients]
    return Client.objects.select_for_update().in_bulk(ids)


@transaction.atomic
def client_merge(
    *, kept: Client, other: Client, by: User | None = None, choices: Mapping[str, str] = {}
) -> ClientMerge:
    """Merge `other` into `kept`: the agent's picks in `choices` ({group of MERGE_GROUPS:
    "kept" or "other"}; a group left out keeps the kept client's values) become the kept
    client's fields; everything attached to `other` (family, dates, interactions, life
    events, promises, tags, segments, and through the registered merge movers policies,
    referrals, reviews, handovers and touches) moves to `kept`; `other` is archived and
    marked merged. One transaction: a mover's refusal (a referral cycle) writes nothing.
    The ClientMerge returned records what moved, for `client_merge_undo`."""
    if kept.pk == other.pk:
        raise ValidationError(_("A client cannot be merged with themself."))
    if kept.owner_id != other.owner_id:
        raise ValidationError(_("Only two clients of the same agent can be merged."))
    locked = _locked(kept, other)
    kept, other = locked[kept.pk], locked[other.pk]
    if kept.merged_into_id or other.merged_into_id:
        raise ValidationError(_("This record was already merged into another client."))
    unknown = set(choices) - set(MERGE_GROUPS) - {"referrer"}
    if unknown:
        raise ValidationError(_("Unknown fields to merge: %(names)s") % {"names": sorted(unknown)})

    overwritten: dict[str, Any] = {}
    for group, fields in MERGE_GROUPS.items():
        if choices.get(group) != OTHER:
            continue
        for name in fields:
            overwritten[name] = _stored(getattr(kept, name))
            setattr(kept, name, getattr(other, name))
    moved: dict[str, Any] = {"clients": {}}
    for model, key in MERGE_ROWS:
        rows = model.objects.filter(**{key: other})
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            model.objects.filter(pk__in=ids).update(**{key: kept})
            moved["clients"][f"{model._meta.label}.{key}"] = ids
    for relation in ("tags", "segments"):
        have = set(getattr(kept, relation).values_list("pk", flat=True))
        added = [
            pk for pk in getattr(other, relation).values_list("pk", flat=True) if pk not in have
        ]
        if added:
            getattr(kept, relation).add(*added)
            moved["clients"][relation] = added
    other_archived_at = other.archived_at
    other.archived_at = other.archived_at or timezone.now()
    other.merged_into = kept
    other._change_reason = REASON_MERGED
    other.save()
    kept._change_reason = REASON_MERGE
    kept.save()
    for mover in merge_movers():
        moved[mover.key] = mover.move(kept, other, choices)
    client_last_contact_refresh(client_ids=[kept.pk, other.pk])
    return ClientMerge.objects.create(
        owner_id=kept.owner_id,
        kept=kept,
        other=other,
        moved=moved,
        overwritten=overwritten,
        other_archived_at=other_archived_at,
    )


@transaction.atomic
def client_merge_undo(*, merge: ClientMerge, by: User | None = None) -> ClientMerge:
    """Put back what `client_merge` moved and the kept client's overwritten values, and make
    the other record active again; within ClientMerge.UNDO_DAYS days, once. Rows added or
    changed since the merge stay where they are."""
    merge = ClientMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError(_("This merge was already undone."))
    if timezone.now() > merge.undo_until:
        raise ValidationError(
            _("A merge can be undone within %(days)d days; this one is older.")
            % {"days": ClientMerge.UNDO_DAYS}
        )
    locked = _locked(merge.kept, merge.other)
    kept, other = locked[merge.kept_id], locked[merge.other_id]
    if kept.merged_into_id:
        raise ValidationError(
            _("%(name)s was merged into another client since: undo that merge first.")
            % {"name": kept.name}
        )
    for mover in reversed(merge_movers()):
        mover.undo(kept, other, merge.moved.get(mover.key, {}))
    own = merge.moved.get("clients", {})
    for model, key in MERGE_ROWS:
        ids = own.get(f"{model._meta.label}.{key}")
        if ids:
            model.objects.filter(pk__in=ids, **{key: kept}).update(**{key: other})
    for relation in ("tags", "segments"):
        if own.get(relation):
            getattr(kept, relation).remove(*own[relation])
    for name, value in merge.overwritten.items():
        setattr(kept, name, _restored(kept, name, value))
    kept._change_reason = REASON_MERGE_UNDONE
    kept.save()
    other.archived_at = merge.other_archived_at
    other.merged_into = None
    other._change_reason = REASON_MERGE_UNDONE
    other.save()
    client_last_contact_refresh(client_ids=[kept.pk, other.pk])
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    return merge


def merge_rows_move(rows: QuerySet, *, key: str, kept: Client) -> list[int]:
    """For merge movers: point `rows` (another app's rows of the absorbed client) at `kept`
    through their foreign key `key`; returns the ids moved, for the undo."""
    ids = list(rows.values_list("pk", flat=True))
    if ids:
        rows.model.objects.filter(pk__in=ids).update(**{key: kept})
    return ids


def merge_rows_back(model, *, key: str, ids: Iterable[int], kept: Client, other: Client) -> None:
    """For merge movers' undo: the rows `merge_rows_move` moved, still on `kept`, back."""
    ids = list(ids or ())
    if ids:
        model.objects.filter(pk__in=ids, **{key: kept}).update(**{key: other})
