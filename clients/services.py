"""Writes for the client archive. Each service is one transaction: all or nothing."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from agentcrm.core.history import history_record

from .models import Client, Commitment, Interaction, LifeEvent, Tag


def tags_from_text(*, owner: User, text: str) -> list[Tag]:
    """Comma- or space-separated tag names to the owner's Tag rows, creating new ones."""
    names = []
    for raw in text.replace("，", ",").replace("、", ",").split(","):
        name = raw.strip()[:40]
        if name and name not in names:
            names.append(name)
    existing = {t.name: t for t in Tag.objects.filter(owner=owner, name__in=names)}
    missing = [Tag(owner=owner, name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(owner=owner, name__in=names)}
    return [existing[n] for n in names]


@transaction.atomic
def client_save(*, owner: User, form, formsets=()) -> Client:
    """Save a validated client form and its inline formsets together.

    The caller has validated everything first, so either every part is stored or nothing is.
    """
    client = form.save(commit=False)
    if client.pk is None:
        client.owner = owner
    client.save()
    form.save_m2m()
    client.tags.set(tags_from_text(owner=owner, text=form.cleaned_data.get("tag_names", "")))
    for formset in formsets:
        formset.instance = client
        formset.save()
    return client


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
