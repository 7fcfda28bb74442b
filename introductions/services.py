"""Writes of introductions. Consent is enforced here, whatever the form or view: no
introduction unless both sides agreed (a dated consent, or a matchmaking opt-in)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from clients.models import Client, FamilyMember, Interaction
from clients.services import client_last_contact_refresh, merge_rows_back, merge_rows_move
from touches.registry import occasion_resolved, touches_rebuild_for_clients

from .models import FOLLOW_UP_KIND, Introduction, MatchProfile, Need, Offer
from .occasions import SOURCE_PREFIX
from .selectors import consented_q


def _check_owned(client: Client, owner: User) -> None:
    if client.owner_id != owner.pk:
        raise ValidationError(_("That client is not one of yours."))


def offer_create(
    *,
    client: Client,
    title: str,
    discount: str = "",
    serves: str = "",
    keywords: str = "",
    segment: str = "",
    consent_on: date | None = None,
) -> Offer:
    if not title.strip():
        raise ValidationError({"title": _("Say what the client sells or does.")})
    return Offer.objects.create(
        client=client,
        title=title.strip(),
        discount=discount.strip(),
        serves=serves,
        keywords=keywords.strip(),
        segment=segment,
        consent_on=consent_on,
    )


def need_create(
    *, client: Client, kind: str, description: str = "", consent_on: date | None = None
) -> Need:
    return Need.objects.create(
        client=client, kind=kind, description=description.strip(), consent_on=consent_on
    )


def consent_set(*, row: Offer | Need, consent_on: date | None) -> Offer | Need:
    """Record the day the client agreed to be introduced for this offer or need, or (None)
    that they withdrew it: suggestions stop at once."""
    row.consent_on = consent_on
    row.save(update_fields=["consent_on"])
    return row


def match_profile_create(
    *,
    client: Client,
    member: FamilyMember | None,
    opted_in_on: date,
    notes: str = "",
) -> MatchProfile:
    if member is not None and member.client_id != client.pk:
        raise ValidationError(_("That family member is not in this client's family."))
    if MatchProfile.objects.filter(client=client, member=member).exists():
        raise ValidationError(_("This person is already on your matchmaking list."))
    return MatchProfile.objects.create(
        client=client, member=member, opted_in_on=opted_in_on, notes=notes.strip()
    )


def _log_both(
    *, introduction: Introduction, summaries: tuple[str, str], owner: User, today: date
) -> None:
    """The introduction on both clients' timelines, and the follow-up touches built."""
    Interaction.objects.bulk_create(
        [
            Interaction(
                client_id=introduction.client_a_id,
                kind=Interaction.Kind.SERVICE,
                date=introduction.introduced_on,
                summary=summaries[0][:500],
                created_by=owner,
            ),
            Interaction(
                client_id=introduction.client_b_id,
                kind=Interaction.Kind.SERVICE,
                date=introduction.introduced_on,
                summary=summaries[1][:500],
                created_by=owner,
            ),
        ]
    )
    # Bulk-created contacts bypass interaction_create: keep Client.last_contact_on true.
    client_last_contact_refresh(client_ids=[introduction.client_a_id, introduction.client_b_id])
    # A bulk write (the timeline rows): the rule of touches.registry section 9.
    touches_rebuild_for_clients(
        client_ids=[introduction.client_a_id, introduction.client_b_id], today=today
    )


@transaction.atomic
def introduction_make(
    *, owner: User, offer: Offer, client: Client, note: str = "", today: date | None = None
) -> Introduction:
    """Introduce `client` to the business of `offer`'s client. Both must have agreed to be
    introduced; neither may be do-not-contact."""
    today = today or timezone.localdate()
    provider = offer.client
    _check_owned(provider, owner)
    _check_owned(client, owner)
    if client.pk == provider.pk:
        raise ValidationError(_("A client cannot be introduced to themselves."))
    if offer.consent_on is None:
        raise ValidationError(
            _("%(name)s has not agreed to be introduced for this offer.") % {"name": provider.name}
        )
    if not Client.objects.filter(pk=client.pk).filter(consented_q()).exists():
        raise ValidationError(
            _("%(name)s has not agreed to be introduced.") % {"name": client.name}
        )
    if provider.do_not_contact or client.do_not_contact:
        raise ValidationError(_("A do-not-contact client cannot be introduced."))
    introduction = Introduction.objects.create(
        owner=owner,
        kind=Introduction.Kind.BUSINESS,
        client_a=provider,
        client_b=client,
        offer=offer,
        introduced_on=today,
        note=note.strip(),
    )
    discount = f"（{offer.discount}）" if offer.discount else ""
    _log_both(
        introduction=introduction,
        summaries=(
            _("Introduced %(other)s as a customer for %(offer)s%(discount)s")
            % {"other": client.name, "offer": offer.title, "discount": discount},
            _("Introduced to %(other)s: %(offer)s%(discount)s")
            % {"other": provider.name, "offer": offer.title, "discount": discount},
        ),
        owner=owner,
        today=today,
    )
    return introduction


@transaction.atomic
def matchmaking_make(
    *,
    owner: User,
    first: MatchProfile,
    second: MatchProfile,
    note: str = "",
    today: date | None = None,
) -> Introduction:
    """Introduce two people who both opted in to matchmaking (做个红娘)."""
    today = today or timezone.localdate()
    for profile in (first, second):
        _check_owned(profile.client, owner)
        if not profile.active:
            raise ValidationError(
                _("%(name)s is no longer looking.") % {"name": profile.person_name}
            )
    if first.client_id == second.client_id:
        raise ValidationError(_("Choose two people from two different families."))
    introduction = Introduction.objects.create(
        owner=owner,
        kind=Introduction.Kind.MATCHMAKING,
        client_a=first.client,
        client_b=second.client,
        profile_a=first,
        profile_b=second,
        introduced_on=today,
        note=note.strip(),
    )
    _log_both(
        introduction=introduction,
        summaries=(
            _("Matchmaking: introduced %(person)s to %(other)s")
            % {"person": first.person_name, "other": second.person_name},
            _("Matchmaking: introduced %(person)s to %(other)s")
            % {"person": second.person_name, "other": first.person_name},
        ),
        owner=owner,
        today=today,
    )
    return introduction


@transaction.atomic
def introduction_outcome_set(
    *, introduction: Introduction, outcome: str, note: str = ""
) -> Introduction:
    """Record how it went; the follow-up touches of both clients close."""
    if outcome not in Introduction.Outcome.values or not outcome:
        raise ValidationError(_("Choose how it went."))
    introduction.outcome = outcome
    introduction.outcome_note = note.strip()
    introduction.save(update_fields=["outcome", "outcome_note"])
    occasion_resolved.send(
        sender=Introduction,
        kind=FOLLOW_UP_KIND,
        source=f"{SOURCE_PREFIX}:{introduction.pk}",
        owner_id=introduction.owner_id,
    )
    return introduction


def _profiles_to_move(kept: Client, other: Client):
    profiles = MatchProfile.objects.filter(client=other)
    if MatchProfile.objects.filter(client=kept, member__isnull=True).exists():
        profiles = profiles.exclude(member__isnull=True)
    return profiles


def introductions_merge_move(kept: Client, other: Client, choices) -> dict:
    """Merge mover: the absorbed client's offers, needs, matchmaking profiles and
    introductions (either side) move to the kept client."""
    return {
        "offers": merge_rows_move(Offer.objects.filter(client=other), key="client", kept=kept),
        "needs": merge_rows_move(Need.objects.filter(client=other), key="client", kept=kept),
        # The kept client's own profile wins over the absorbed one's (one per person).
        "profiles": merge_rows_move(_profiles_to_move(kept, other), key="client", kept=kept),
        "intro_a": merge_rows_move(
            Introduction.objects.filter(client_a=other), key="client_a", kept=kept
        ),
        "intro_b": merge_rows_move(
            Introduction.objects.filter(client_b=other), key="client_b", kept=kept
        ),
    }


def introductions_merge_undo(kept: Client, other: Client, moved) -> None:
    merge_rows_back(Offer, key="client", ids=moved.get("offers"), kept=kept, other=other)
    merge_rows_back(Need, key="client", ids=moved.get("needs"), kept=kept, other=other)
    merge_rows_back(MatchProfile, key="client", ids=moved.get("profiles"), kept=kept, other=other)
    merge_rows_back(Introduction, key="client_a", ids=moved.get("intro_a"), kept=kept, other=other)
    merge_rows_back(Introduction, key="client_b", ids=moved.get("intro_b"), kept=kept, other=other)
