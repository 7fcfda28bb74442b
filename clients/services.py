"""Writes for the client archive. Each service is one transaction: all or nothing."""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from agentcrm.core.history import history_record

from .models import Client, Commitment, Interaction, LifeEvent, Segment, Tag
from .rules import BIRTHDAY_FIELDS, birthday_problems, client_problems, custom_date_problems

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
FAMILY_FIELDS = frozenset({"relation", "name", "gender", *BIRTHDAY_FIELDS, "is_living", "notes"})
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


def interaction_create(
    *, client: Client, user: User, kind: str, on: date, summary: str, gift_value=None
) -> Interaction:
    return Interaction.objects.create(
        client=client, created_by=user, kind=kind, date=on, summary=summary, gift_value=gift_value
    )


def life_event_create(*, client: Client, kind: str, on: date, notes: str = "") -> LifeEvent:
    return LifeEvent.objects.create(client=client, kind=kind, date=on, notes=notes)


def commitment_create(*, client: Client, description: str, due_date: date) -> Commitment:
    return Commitment.objects.create(client=client, description=description, due_date=due_date)


def commitment_complete(*, commitment: Commitment, on: date | None = None) -> bool:
    """Mark a promise kept. Conditional update: completing twice keeps the first date."""
    done = on or timezone.localdate()
    updated = Commitment.objects.filter(pk=commitment.pk, done_date__isnull=True).update(
        done_date=done
    )
    commitment.refresh_from_db(fields=["done_date"])
    return bool(updated)


def commitment_reopen(*, commitment: Commitment) -> None:
    Commitment.objects.filter(pk=commitment.pk).update(done_date=None)
    commitment.refresh_from_db(fields=["done_date"])
