"""Writes for the delivery checklist (递交保单) of a policy. Each service is one transaction;
validation errors are django ValidationErrors keyed by field."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from agentcrm.core.forms import check_year_range
from policies.models import Policy

from ..models import APPOINTMENT_YEARS, Delivery, DeliveryItem, DeliveryTick


def delivery_get_or_create(*, policy: Policy) -> Delivery:
    """The policy's delivery record, created on first use (one per policy)."""
    delivery, _created = Delivery.objects.get_or_create(policy=policy)
    return delivery


@transaction.atomic
def delivery_update(
    *, policy: Policy, appointment_at: datetime | None, place: str = "", notes: str = ""
) -> Delivery:
    """Set the delivery appointment, its place and notes. The appointment's year is within
    APPOINTMENT_YEARS (0001-01-01 00:00 in Shanghai is year 0 in UTC: stored, it made the
    page and `dumpdata` fail for good)."""
    if appointment_at is not None:
        first, last = APPOINTMENT_YEARS
        try:
            check_year_range(appointment_at, first=first, last=last)
        except ValidationError as exc:
            raise ValidationError({"appointment_at": exc}) from exc
    delivery = delivery_get_or_create(policy=policy)
    delivery.appointment_at = appointment_at
    delivery.place = (place or "").strip()
    delivery.notes = (notes or "").strip()
    delivery.full_clean(exclude=["policy"])
    delivery.save(update_fields=["appointment_at", "place", "notes"])
    return delivery


def _delivery_item(item: str) -> DeliveryItem:
    try:
        return DeliveryItem(item)
    except ValueError as exc:
        raise ValidationError(
            {"item": _("This is not an item of the delivery checklist.")}
        ) from exc


@transaction.atomic
def delivery_tick(*, policy: Policy, item: str, by: User | None = None) -> DeliveryTick:
    """Mark an item done, by `by`, now. Ticking an item already done keeps who and when it was
    first ticked (one row per item: the unique constraint makes a double click harmless)."""
    item = _delivery_item(item)
    delivery = delivery_get_or_create(policy=policy)
    tick, _created = DeliveryTick.objects.get_or_create(
        delivery=delivery, item=item, defaults={"by": by, "at": timezone.now()}
    )
    return tick


@transaction.atomic
def delivery_untick(*, policy: Policy, item: str) -> bool:
    """Mark an item not done; unticking an item that is not done changes nothing."""
    item = _delivery_item(item)
    deleted, _rows = DeliveryTick.objects.filter(delivery__policy=policy, item=item).delete()
    return bool(deleted)
