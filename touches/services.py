"""Writes for service touches: the agent's actions on a touch (done, snooze, skip, reopen)
and their settings (lead times, festivals, greeting wording, the morning email).

Each service is one transaction. State changes are conditional updates (`WHERE status = …`),
so a double click, a second tab or a retried request changes a touch once.
"""

from collections.abc import Iterable, Mapping
from datetime import date, time, timedelta
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agentcrm.accounts.models import User
from clients.models import Client, Interaction
from clients.services import client_last_contact_refresh, interaction_create

from .festival_occasions import AUDIENCES
from .festivals import FESTIVALS_BY_KEY
from .greetings import (
    DEFAULT_STYLE,
    FESTIVAL_KIND,
    STYLES,
    kind_label,
    reader_placeholders,
    text_for_storage,
    touch_label,
    unknown_placeholders,
)
from .models import (
    ContactCadence,
    DigestPreference,
    FestivalPreference,
    GreetingTemplate,
    Touch,
    TouchPreference,
)
from .occasions import CADENCE_TIERS, TIER_CADENCE_DAYS
from .registry import occasion_kinds
from .registry import touch_done as touch_done_signal
from .registry import touch_reopened as touch_reopened_signal
from .selectors import CADENCE_DAYS, greeting_default, lead_days_range

OPEN, DONE, SKIPPED = Touch.Status.OPEN, Touch.Status.DONE, Touch.Status.SKIPPED

# How a touch was made; the interaction it logs has this kind.
DONE_CHANNELS = (
    Interaction.Kind.MESSAGE,
    Interaction.Kind.CALL,
    Interaction.Kind.VISIT,
    Interaction.Kind.GIFT,
)
NOTE_MAX = 500  # Touch.note
SNOOZE_MAX_DAYS = 365
FESTIVAL_LEAD_DAYS = (0, 60)
GREETING_MAX = 1000


# --- Actions on one touch -------------------------------------------------------------------


def _note(text: str, *, field: str, required: bool = False) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError({field: _("Please give a reason.")})
    if len(text) > NOTE_MAX:
        raise ValidationError({field: _("At most %(max)d characters, please.") % {"max": NOTE_MAX}})
    return text


@transaction.atomic
def touch_done(
    *,
    touch: Touch,
    by: User,
    note: str = "",
    channel: str = Interaction.Kind.MESSAGE,
    on: date | None = None,
) -> bool:
    """Mark an open touch done and log the contact on the client's timeline.

    Returns False (and logs nothing) when the touch was no longer open.
    """
    note = _note(note, field="note")
    if channel not in DONE_CHANNELS:
        raise ValidationError({"channel": _("Choose how you made contact.")})
    updated = Touch.objects.filter(pk=touch.pk, status=OPEN).update(
        status=DONE, note=note, closed_at=timezone.now()
    )
    if updated:
        summary = " · ".join(
            part for part in (kind_label(touch.kind), touch_label(touch), note) if part
        )
        interaction = interaction_create(
            client=touch.client,
            user=by,
            kind=channel,
            on=on or timezone.localdate(),
            summary=summary[:500],
        )
        Touch.objects.filter(pk=touch.pk).update(interaction=interaction)
        touch_done_signal.send(
            sender=Touch,
            kind=touch.kind,
            source=touch.source,
            owner_id=touch.owner_id,
            client_id=touch.client_id,
            by=by,
        )
    touch.refresh_from_db()
    return bool(updated)


def touches_done_for_card(*, owner: User, ids: Iterable[int], by: User) -> int:
    """Mark done every open touch of one dashboard card (one client's day, or the reports
    owed on one prospect): each as `touch_done`, so each is logged and its app told.
    Touches that are not the owner's, or no longer open, are left alone. Returns how many
    were done."""
    touches = Touch.objects.filter(
        owner=owner, client__owner=owner, pk__in=list(ids), status=OPEN
    ).select_related("client")
    with transaction.atomic():
        return sum(touch_done(touch=touch, by=by) for touch in touches.order_by("pk"))


@transaction.atomic
def festival_done_for_all(
    *,
    owner: User,
    festival: str,
    occasion: date,
    today: date,
    exclude: Iterable[int] = (),
    channel: str = Interaction.Kind.MESSAGE,
) -> int:
    """Mark done, in one conditional UPDATE, the owner's open greetings for `festival` on
    `occasion` that are on today's plan (due by `today`), about clients who may be
    contacted, except the touches in `exclude` (the clients the agent greets otherwise, or
    not at all). Each client gets the contact on their timeline (one INSERT for all).
    Returns how many were done; a second call does nothing."""
    if festival not in FESTIVALS_BY_KEY:
        raise ValidationError({"festival": _("Unknown festival: %s") % festival})
    if channel not in DONE_CHANNELS:
        raise ValidationError({"channel": _("Choose how you made contact.")})
    closed_at = timezone.now()
    mine = Touch.objects.filter(
        owner=owner,
        client__owner=owner,
        client__archived_at__isnull=True,
        client__do_not_contact=False,
        kind=FESTIVAL_KIND,
        source=f"festival:{festival}",
        occasion_date=occasion,
        due_date__lte=today,
    )
    updated = (
        mine.filter(status=OPEN)
        .exclude(pk__in=list(exclude))
        .update(status=DONE, note="", closed_at=closed_at)
    )
    if not updated:
        return 0
    done = list(mine.filter(status=DONE, closed_at=closed_at, interaction__isnull=True))
    summary = " · ".join((kind_label(FESTIVAL_KIND), str(FESTIVALS_BY_KEY[festival].label)))
    interactions = Interaction.objects.bulk_create(
        Interaction(
            client_id=touch.client_id,
            created_by=owner,
            kind=channel,
            date=timezone.localdate(),
            summary=summary,
        )
        for touch in done
    )
    for touch, interaction in zip(done, interactions, strict=True):
        touch.interaction = interaction
    Touch.objects.bulk_update(done, ["interaction"])
    client_last_contact_refresh(client_ids=[t.client_id for t in done])
    return updated


def touches_close_for_source(*, kind: str, source: str, owner_id: int, **kwargs) -> int:
    """Close the open touches of an occasion that was dealt with outside the touch list
    (receiver of `registry.occasion_resolved`). The app that resolved it logged the contact.
    Touches already closed are left alone, so a second signal changes nothing."""
    return Touch.objects.filter(kind=kind, source=source, owner_id=owner_id, status=OPEN).update(
        status=DONE, closed_at=timezone.now()
    )


@transaction.atomic
def touches_reopen_for_source(*, kind: str, source: str, owner_id: int, **kwargs) -> int:
    """Open again the touches of an occasion that is open again outside the touch list
    (receiver of `registry.occasion_reopened`): those closed as done, as `touch_reopen`
    would, with the contact they logged taken off the timeline. Skipped ones stay skipped
    (the agent gave a reason); open ones are left as they are. Sends no signal back."""
    done = Touch.objects.filter(kind=kind, source=source, owner_id=owner_id, status=DONE)
    interaction_ids = [pk for pk in done.values_list("interaction_id", flat=True) if pk]
    reopened = done.update(status=OPEN, note="", closed_at=None, interaction=None)
    if interaction_ids:
        clients = set(
            Interaction.objects.filter(pk__in=interaction_ids).values_list("client_id", flat=True)
        )
        Interaction.objects.filter(pk__in=interaction_ids).delete()
        client_last_contact_refresh(client_ids=clients)
    return reopened


@transaction.atomic
def touch_snooze(*, touch: Touch, until: date, today: date | None = None) -> bool:
    """Move an open touch's due day to a later date; it stays open."""
    today = today or timezone.localdate()
    if until is None or until <= today:
        raise ValidationError({"until": _("Snooze to a day after today.")})
    if until > today + timedelta(days=SNOOZE_MAX_DAYS):
        raise ValidationError({"until": _("Snooze for at most a year.")})
    updated = Touch.objects.filter(pk=touch.pk, status=OPEN).update(due_date=until)
    touch.refresh_from_db()
    if not updated:
        raise ValidationError({NON_FIELD_ERRORS: _("Only an open touch can be snoozed.")})
    return True


@transaction.atomic
def touch_skip(*, touch: Touch, reason: str) -> bool:
    """Close an open touch without contact; the reason is kept as its note.

    Returns False when the touch was no longer open.
    """
    reason = _note(reason, field="reason", required=True)
    updated = Touch.objects.filter(pk=touch.pk, status=OPEN).update(
        status=SKIPPED, note=reason, closed_at=timezone.now()
    )
    touch.refresh_from_db()
    return bool(updated)


@transaction.atomic
def touch_reopen(*, touch: Touch) -> bool:
    """Undo done or skipped. Undoing "done" also removes the interaction it logged: the
    timeline must not show a contact that did not happen."""
    interaction_id, was = (
        Touch.objects.select_for_update()
        .filter(pk=touch.pk)
        .values_list("interaction_id", "status")
        .first()
    ) or (None, None)
    updated = Touch.objects.filter(pk=touch.pk, status__in=(DONE, SKIPPED)).update(
        status=OPEN, note="", closed_at=None, interaction=None
    )
    if updated and interaction_id:
        Interaction.objects.filter(pk=interaction_id, client_id=touch.client_id).delete()
        client_last_contact_refresh(client_ids=[touch.client_id])
    if updated and was == DONE:
        # An app that kept books on "done" (a promise kept) undoes them.
        touch_reopened_signal.send(
            sender=Touch,
            kind=touch.kind,
            source=touch.source,
            owner_id=touch.owner_id,
            client_id=touch.client_id,
        )
    touch.refresh_from_db()
    return bool(updated)


# --- Settings -------------------------------------------------------------------------------


def _in_range(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


@transaction.atomic
def preferences_save(*, owner: User, rows: Iterable[Mapping[str, Any]]) -> None:
    """Store the agent's setting for each given kind: {kind, enabled, lead_days}.

    A row equal to the kind's defaults is stored as no row at all (the build treats agents
    without a setting together). Kinds whose lead is fixed keep their default lead.
    """
    kinds = occasion_kinds()
    keep: list[TouchPreference] = []
    given: list[str] = []
    errors: list[ValidationError] = []
    for row in rows:
        key = row.get("kind")
        if key not in kinds or key in given:
            raise ValidationError({"kind": _("Unknown or repeated occasion: %s") % key})
        given.append(key)
        kind = kinds[key]
        enabled = bool(row.get("enabled", True))
        lead = row.get("lead_days")
        if not kind.lead_configurable or lead is None:
            lead = kind.default_lead_days
        low, high = lead_days_range(key)
        if not _in_range(lead, low, high):
            errors.append(
                ValidationError(
                    _("%(kind)s: between %(low)d and %(high)d days, please."),
                    params={"kind": kind.label, "low": low, "high": high},
                )
            )
            continue
        if enabled and lead == kind.default_lead_days:
            continue
        keep.append(TouchPreference(owner=owner, kind=key, enabled=enabled, lead_days=lead))
    if errors:
        raise ValidationError({"lead_days": errors})
    TouchPreference.objects.filter(owner=owner, kind__in=given).delete()
    TouchPreference.objects.bulk_create(keep)


@transaction.atomic
def festival_preferences_save(*, owner: User, rows: Iterable[Mapping[str, Any]]) -> None:
    """Store the agent's setting for each given festival: {festival, enabled, audience,
    lead_days}. A row equal to the festival's defaults is stored as no row."""
    keep: list[FestivalPreference] = []
    given: list[str] = []
    errors: dict[str, list] = {}
    low, high = FESTIVAL_LEAD_DAYS
    for row in rows:
        key = row.get("festival")
        festival = FESTIVALS_BY_KEY.get(key)
        if festival is None or key in given:
            raise ValidationError({"festival": _("Unknown or repeated festival: %s") % key})
        given.append(key)
        enabled = bool(row.get("enabled", True))
        audience = row.get("audience") or festival.audience
        lead = row.get("lead_days")
        lead = festival.gift_lead_days if lead is None else lead
        if audience not in AUDIENCES:
            errors.setdefault("audience", []).append(
                _("%(festival)s: choose an audience from the list.") % {"festival": festival.label}
            )
        if not _in_range(lead, low, high):
            errors.setdefault("lead_days", []).append(
                _("%(festival)s: between %(low)d and %(high)d days, please.")
                % {"festival": festival.label, "low": low, "high": high}
            )
        if errors:
            continue
        default = (True, festival.audience, festival.gift_lead_days)
        if (enabled, audience, lead) == default:
            continue
        keep.append(
            FestivalPreference(
                owner=owner, festival=key, enabled=enabled, audience=audience, lead_days=lead
            )
        )
    if errors:
        raise ValidationError(errors)
    FestivalPreference.objects.filter(owner=owner, festival__in=given).delete()
    FestivalPreference.objects.bulk_create(keep)


def greeting_clean(*, kind: str, festival: str = "", style: str = DEFAULT_STYLE, text: str) -> str:
    """The text to store: stripped, checked, placeholders in their internal spelling."""
    if kind not in occasion_kinds():
        raise ValidationError({"kind": _("Unknown occasion: %s") % kind})
    if festival and (kind != FESTIVAL_KIND or festival not in FESTIVALS_BY_KEY):
        raise ValidationError({"festival": _("Unknown festival: %s") % festival})
    if style not in STYLES:
        raise ValidationError({"style": _("Unknown greeting style: %s") % style})
    text = (text or "").strip()
    if len(text) > GREETING_MAX:
        raise ValidationError(
            {"text": _("At most %(max)d characters, please.") % {"max": GREETING_MAX}}
        )
    unknown = unknown_placeholders(text)
    if unknown:
        raise ValidationError(
            {
                "text": _("Unknown placeholder %(unknown)s; you can use %(known)s.")
                % {
                    "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                    "known": ", ".join(reader_placeholders()),
                }
            }
        )
    return text_for_storage(text)


@transaction.atomic
def greeting_save(
    *, owner: User, kind: str, festival: str = "", style: str = DEFAULT_STYLE, text: str
) -> GreetingTemplate | None:
    """Store the agent's wording for a kind (or one festival) in one greeting style. Blank
    text, or the built-in wording itself, removes the agent's own so the built-in is used
    (and follows any later change to it)."""
    text = greeting_clean(kind=kind, festival=festival, style=style, text=text)
    mine = GreetingTemplate.objects.filter(owner=owner, kind=kind, festival=festival, style=style)
    if not text or text == greeting_default(kind, festival, style):
        mine.delete()
        return None
    template, _created = GreetingTemplate.objects.update_or_create(
        owner=owner, kind=kind, festival=festival, style=style, defaults={"text": text}
    )
    return template


@transaction.atomic
def contact_cadences_save(*, owner: User, days: Mapping[str, int]) -> None:
    """Store the agent's days without contact per client tier ({tier: days}) for the "not
    contacted for a long time" touch. A tier at its default is stored as no row; tiers not
    given are left as they are. Standard's days are the neglect kind's lead."""
    low, high = CADENCE_DAYS
    errors = []
    for tier, value in days.items():
        if tier not in CADENCE_TIERS:
            raise ValidationError({"tier": _("Unknown tier: %s") % tier})
        if not _in_range(value, low, high):
            errors.append(
                ValidationError(
                    _("%(tier)s: between %(low)d and %(high)d days, please."),
                    params={"tier": Client.Tier(tier).label, "low": low, "high": high},
                )
            )
    if errors:
        raise ValidationError({"cadence": errors})
    ContactCadence.objects.filter(owner=owner, tier__in=list(days)).delete()
    ContactCadence.objects.bulk_create(
        ContactCadence(owner=owner, tier=tier, days=value)
        for tier, value in days.items()
        if value != TIER_CADENCE_DAYS[tier]
    )


@transaction.atomic
def touch_settings_save(
    *,
    owner: User,
    kinds: Iterable[Mapping[str, Any]] = (),
    festivals: Iterable[Mapping[str, Any]] = (),
    greetings: Iterable[Mapping[str, Any]] = (),
    cadences: Mapping[str, int] | None = None,
) -> None:
    """The settings page in one transaction: all of it is saved or none."""
    preferences_save(owner=owner, rows=kinds)
    if cadences is not None:
        contact_cadences_save(owner=owner, days=cadences)
    festival_preferences_save(owner=owner, rows=festivals)
    for row in greetings:
        greeting_save(
            owner=owner,
            kind=row["kind"],
            festival=row.get("festival", ""),
            style=row.get("style") or DEFAULT_STYLE,
            text=row["text"],
        )


# --- The morning email ----------------------------------------------------------------------


@transaction.atomic
def digest_preference_save(
    *, owner: User, enabled: bool, email: str, send_at: time
) -> DigestPreference:
    """When and where the user's morning email goes. The account's own address is stored as
    blank, so the mail follows a later change of it; with the email on, some address is
    needed."""
    email = (email or "").strip()
    if email.lower() == (owner.email or "").lower():
        email = ""
    if enabled and not (email or owner.email):
        raise ValidationError(
            {"email": _("Your account has no email address: give one for the morning email.")}
        )
    preference = DigestPreference.objects.filter(owner=owner).first() or DigestPreference(
        owner=owner
    )
    preference.enabled = enabled
    preference.email = email
    preference.send_at = send_at.replace(second=0, microsecond=0)
    preference.full_clean()
    preference.save()
    return preference


# --- A client merge (clients.services.client_merge) -------------------------------------------


def touches_merge_move(kept: Client, other: Client, choices) -> dict:
    """The absorbed client's touches move to the kept client (a merge mover, registered in
    TouchesConfig.ready()), except one the kept client already has (same kind, day and
    source: the same birthday): an open one is dropped, a closed one stays in the merged
    record's history. The kept client's rebuild after the merge retires what no longer
    holds (the birthday the agent did not keep)."""
    same = Touch.objects.filter(
        client=kept,
        owner_id=OuterRef("owner_id"),
        kind=OuterRef("kind"),
        occasion_date=OuterRef("occasion_date"),
        source=OuterRef("source"),
    )
    ids = list(
        Touch.objects.filter(client=other).exclude(Exists(same)).values_list("pk", flat=True)
    )
    Touch.objects.filter(pk__in=ids).update(client=kept)
    Touch.objects.filter(client=other, status=Touch.Status.OPEN).delete()
    return {"touches": ids}


def touches_merge_undo(kept: Client, other: Client, moved) -> None:
    """The touches moved back, unless the kept client has the same one again by now."""
    same = Touch.objects.filter(
        client=other,
        owner_id=OuterRef("owner_id"),
        kind=OuterRef("kind"),
        occasion_date=OuterRef("occasion_date"),
        source=OuterRef("source"),
    )
    Touch.objects.filter(pk__in=moved.get("touches", ()), client=kept).exclude(Exists(same)).update(
        client=other
    )
