"""Writes for gifts: logging a gift (with the cap warnings the agent must confirm),
deleting one, the agent's caps per tier, their own gift ideas, and the merge mover.

`gift_log` refuses (ValidationError, nothing written) a gift that trips a warning unless
`confirmed`: the view shows the warnings and the agent confirms, which is a warning, not a
block."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from clients.models import Client

from .ideas import DEFAULT_IDEAS
from .models import OCCASION_KEYS, Gift, GiftCap, GiftIdeas
from .rules import DEFAULT_CAPS, gift_warnings
from .selectors import caps_for_client, client_year_total, last_gift

MAX_COST = Decimal("1000000")


class GiftNeedsConfirmation(ValidationError):
    """The gift trips a warning: `warnings` lists them; log it again with confirmed=True."""

    def __init__(self, warnings: list[str]):
        super().__init__(warnings)
        self.warnings = warnings


@dataclass(frozen=True)
class GiftInput:
    what: str
    occasion: str
    cost: Decimal
    given_on: date
    notes: str = ""


def gift_check(*, client: Client, data: GiftInput) -> list[str]:
    """The warnings a gift would get (empty: none)."""
    caps = caps_for_client(client=client)
    previous = last_gift(client=client)
    return gift_warnings(
        cost=data.cost,
        caps=caps,
        year_before=client_year_total(client=client, year=data.given_on.year),
        previous_what=previous.what if previous else None,
        what=data.what,
        tier_label=client.get_vip_tier_display(),
    )


def _validate(data: GiftInput) -> None:
    errors = {}
    if not data.what.strip():
        errors["what"] = _("Say what the gift is.")
    if data.occasion not in OCCASION_KEYS:
        errors["occasion"] = _("Choose the occasion.")
    if data.cost is None or data.cost < 0:
        errors["cost"] = _("The cost cannot be negative.")
    elif data.cost > MAX_COST:
        errors["cost"] = _("Check the cost: that is more than ¥1,000,000.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def gift_log(*, owner: User, client: Client, data: GiftInput, confirmed: bool = False) -> Gift:
    if client.owner_id != owner.pk:
        raise ValidationError(_("Only gifts to your own clients can be logged."))
    _validate(data)
    # One gift at a time per client: the year's total and "the last gift" stay true.
    Client.objects.select_for_update().filter(pk=client.pk).first()
    warnings = gift_check(client=client, data=data)
    if warnings and not confirmed:
        raise GiftNeedsConfirmation(warnings)
    caps = caps_for_client(client=client)
    year_total = client_year_total(client=client, year=data.given_on.year) + data.cost
    return Gift.objects.create(
        owner=owner,
        client=client,
        what=data.what.strip(),
        occasion=data.occasion,
        cost=data.cost,
        given_on=data.given_on,
        notes=data.notes.strip(),
        gift_cap=caps.per_gift,
        year_cap=caps.per_year,
        year_total=year_total,
        warning_confirmed=bool(warnings),
    )


@transaction.atomic
def gift_delete(*, gift: Gift) -> None:
    gift.delete()


@transaction.atomic
def gift_caps_save(*, owner: User, caps: dict[str, tuple[Decimal, Decimal]]) -> None:
    """The agent's caps per tier; a tier set back to its default keeps no row."""
    for tier, (per_gift, per_year) in caps.items():
        if tier not in DEFAULT_CAPS:
            raise ValidationError(_("Unknown tier."))
        if per_gift is None or per_year is None or per_gift < 0 or per_year < 0:
            raise ValidationError(_("A cap cannot be negative or empty."))
        if per_year < per_gift:
            raise ValidationError(
                {f"{tier}_per_year": _("The cap per year cannot be below the cap per gift.")}
            )
        if (per_gift, per_year) == DEFAULT_CAPS[tier]:
            GiftCap.objects.filter(owner=owner, tier=tier).delete()
        else:
            GiftCap.objects.update_or_create(
                owner=owner, tier=tier, defaults={"per_gift": per_gift, "per_year": per_year}
            )


@transaction.atomic
def gift_ideas_save(*, owner: User, topic: str, ideas: str) -> None:
    """The agent's own list for a topic; an empty list goes back to the defaults."""
    if topic not in DEFAULT_IDEAS:
        raise ValidationError(_("Unknown topic."))
    text = "\n".join(line.strip() for line in ideas.splitlines() if line.strip())
    if len(text) > 2000:
        raise ValidationError(_("Keep the list under 2,000 characters."))
    if not text:
        GiftIdeas.objects.filter(owner=owner, topic=topic).delete()
        return
    GiftIdeas.objects.update_or_create(owner=owner, topic=topic, defaults={"ideas": text})


def gifts_merge_move(kept: Client, other: Client, choices) -> dict:
    ids = list(Gift.objects.filter(client=other).values_list("pk", flat=True))
    if ids:
        Gift.objects.filter(pk__in=ids).update(client=kept)
    return {"gifts": ids} if ids else {}


def gifts_merge_undo(kept: Client, other: Client, moved) -> None:
    ids = list(moved.get("gifts", ()))
    if ids:
        Gift.objects.filter(pk__in=ids, client=kept).update(client=other)
