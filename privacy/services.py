"""Erasure of personal data: on a client's request, and the nightly purge of referral contacts
past their retention. Both go through `clients_erase`, set-based (a fixed number of
statements per batch of clients, whatever their number of rows).

What goes: the client's name (it becomes ERASED_NAME), phones, WeChat, e-mail, address, ID
number, birth and wedding dates, work, income, interests, notes, tags and segments; the
family members' names, birth dates and notes; the yearly dates; every free text written
about the client (interaction summaries, life-event notes, promises, policy notes,
beneficiaries' names, service-request descriptions, delivery notes, review findings, the
referral's reason and notes, touch labels, gift and event-invitation notes); open touches;
and every audit-history row (django-simple-history) of the client, the family, their
policies and service requests and the referrals and asks about them, since those rows hold
the old values.

What stays, because the statistics count it and it names no one: the rows themselves with
their owner, kinds, stages, statuses, dates of events and timestamps, premiums, sums
assured, payouts, gift values, the referral chain and its stages (so /team/referrals/ counts
the same), and the policy numbers and products (the contract with the insurer, which the
agent must keep on record; they never leave the system unmasked).
"""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from clients.models import (
    Client,
    Commitment,
    CustomDate,
    FamilyMember,
    Gender,
    Interaction,
    LifeEvent,
)
from events.models import Invitee, InviteeStatusChange
from gifts.models import Gift
from introductions.models import Introduction, MatchProfile, Need, Offer
from policies.models import Beneficiary, Policy, PolicyStatusChange, Rider
from referrals.models import Referral, ReferralRequest, ReferralStageChange
from referrals.retention import referrals_past_retention
from servicing.models import AnnualReview, Delivery, ServiceRequest, ServiceRequestStatusChange
from touches.models import Touch

from .models import ErasureLog

# Stored data, not interface text: the row keeps a readable name in every language.
ERASED_NAME = "已删除客户"
ERASED_PERSON = "已删除"
BATCH = 500

_CLIENT_BLANK = {
    "name": ERASED_NAME,
    "salutation": "",
    "gender": Gender.UNKNOWN,
    "mobile": "",
    "phone_other": "",
    "wechat_id": "",
    "email": "",
    "address": "",
    "id_number": "",
    "id_number_digest": "",
    "occupation": "",
    "employer": "",
    "industry": "",
    "marital_status": "",
    "wedding_date": None,
    "wedding_md": None,
    "income_band": "",
    "interests": "",
    "notes": "",
    "do_not_contact": True,
    "do_not_contact_reason": "",
}
_BIRTHDAY_BLANK = {
    "birth_date": None,
    "birth_md": None,
    "lunar_birth_year": None,
    "lunar_birth_month": None,
    "lunar_birth_day": None,
    "lunar_birth_leap": False,
}


def _history(model):
    return model.history.model.objects


def clients_erase(*, client_ids: Iterable[int], by: User | None, reason: str) -> dict[str, int]:
    """Erase the personal data of these clients (see the module docstring), log one
    ErasureLog row each, and return how many rows of each kind were blanked or deleted.
    Call inside a transaction."""
    ids = list(client_ids)
    counts: dict[str, int] = {}

    def count(key: str, n: int | tuple) -> None:
        n = n[0] if isinstance(n, tuple) else n
        counts[key] = counts.get(key, 0) + n

    now = timezone.now()
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        policies = Policy.objects.filter(Q(holder_id__in=batch) | Q(insured_client_id__in=batch))
        policy_ids = list(policies.values_list("id", flat=True))
        requests = ServiceRequest.objects.filter(policy_id__in=policy_ids)
        request_ids = list(requests.values_list("id", flat=True))
        referral_ids = list(
            Referral.objects.filter(referred_id__in=batch).values_list("id", flat=True)
        )
        ask_ids = list(
            ReferralRequest.objects.filter(client_id__in=batch).values_list("id", flat=True)
        )

        # History first: these rows hold the old values of everything below.
        count("history", _history(Client).filter(id__in=batch).delete())
        count("history", _history(FamilyMember).filter(client_id__in=batch).delete())
        count("history", _history(Policy).filter(id__in=policy_ids).delete())
        count("history", _history(Beneficiary).filter(policy_id__in=policy_ids).delete())
        count("history", _history(Rider).filter(policy_id__in=policy_ids).delete())
        count("history", _history(ServiceRequest).filter(id__in=request_ids).delete())
        count("history", _history(Referral).filter(id__in=referral_ids).delete())
        count("history", _history(ReferralRequest).filter(id__in=ask_ids).delete())

        # The client archive.
        count(
            "clients",
            Client.objects.filter(id__in=batch).update(
                **_CLIENT_BLANK,
                **_BIRTHDAY_BLANK,
                archived_at=Coalesce("archived_at", now),
                erased_at=now,
            ),
        )
        Client.tags.through.objects.filter(client_id__in=batch).delete()
        Client.segments.through.objects.filter(client_id__in=batch).delete()
        count(
            "family",
            FamilyMember.objects.filter(client_id__in=batch).update(
                name=ERASED_PERSON, notes="", gender=Gender.UNKNOWN, **_BIRTHDAY_BLANK
            ),
        )
        count("dates", CustomDate.objects.filter(client_id__in=batch).delete())
        count("texts", Interaction.objects.filter(client_id__in=batch).update(summary=""))
        count("texts", LifeEvent.objects.filter(client_id__in=batch).update(notes=""))
        count("texts", Commitment.objects.filter(client_id__in=batch).update(description=""))

        # Policies and servicing: the free text only; the figures stay.
        count("texts", Policy.objects.filter(id__in=policy_ids).update(notes=""))
        count("texts", PolicyStatusChange.objects.filter(policy_id__in=policy_ids).update(note=""))
        count(
            "texts",
            Beneficiary.objects.filter(policy_id__in=policy_ids).update(name=ERASED_PERSON),
        )
        count("texts", Delivery.objects.filter(policy_id__in=policy_ids).update(place="", notes=""))
        count(
            "texts",
            ServiceRequest.objects.filter(id__in=request_ids).update(
                description="", next_action=""
            ),
        )
        count(
            "texts",
            ServiceRequestStatusChange.objects.filter(request_id__in=request_ids).update(note=""),
        )
        count(
            "texts",
            AnnualReview.objects.filter(household_id__in=batch).update(findings="", needs=""),
        )

        # Referrals: the reasons and notes about the person; stages and chain stay.
        count(
            "texts",
            Referral.objects.filter(id__in=referral_ids).update(reason="", lost_reason=""),
        )
        count(
            "texts",
            ReferralStageChange.objects.filter(referral_id__in=referral_ids).update(note=""),
        )
        count("texts", ReferralRequest.objects.filter(id__in=ask_ids).update(notes=""))

        # Introductions: what the client sells and needs, and the notes about them; the
        # matchmaking profiles go (a private wish, no figure counts it); the introductions
        # stay as counted rows without their notes.
        count(
            "texts",
            Offer.objects.filter(client_id__in=batch).update(title="", discount="", keywords=""),
        )
        count("texts", Need.objects.filter(client_id__in=batch).update(description=""))
        count("matchmaking", MatchProfile.objects.filter(client_id__in=batch).delete())
        count(
            "texts",
            Introduction.objects.filter(Q(client_a_id__in=batch) | Q(client_b_id__in=batch)).update(
                note="", outcome_note=""
            ),
        )

        # Gifts and event invitations: the notes go; what, cost, dates and states stay.
        count("texts", Gift.objects.filter(client_id__in=batch).update(notes=""))
        count("texts", Invitee.objects.filter(client_id__in=batch).update(notes=""))
        count(
            "texts",
            InviteeStatusChange.objects.filter(invitee__client_id__in=batch).update(note=""),
        )

        # Touches: the open ones go (no one is to be contacted); the done ones are counted.
        count(
            "touches",
            Touch.objects.filter(client_id__in=batch, status=Touch.Status.OPEN).delete(),
        )
        count("texts", Touch.objects.filter(client_id__in=batch).update(label="", note=""))

        ErasureLog.objects.bulk_create(
            [ErasureLog(client_id=pk, user=by, reason=reason, created_at=now) for pk in batch]
        )
    return {key: value for key, value in counts.items() if value}


@transaction.atomic
def client_erase(*, client: Client, by: User) -> ErasureLog:
    """The client asked for their personal data to be erased: erase it, once."""
    locked = Client.objects.select_for_update().get(pk=client.pk)
    if locked.erased_at is not None:
        raise ValidationError(_("This client's personal data was already erased."))
    counts = clients_erase(client_ids=[client.pk], by=by, reason=ErasureLog.Reason.REQUEST)
    log = ErasureLog.objects.filter(client_id=client.pk).latest("created_at", "id")
    ErasureLog.objects.filter(pk=log.pk).update(counts=counts)
    log.counts = counts
    client.refresh_from_db()
    return log


@transaction.atomic
def referral_contacts_purge(*, today: date) -> int:
    """Erase the referred people whose referral was not won within the retention
    (referrals.retention), mark their referrals purged, and return how many. Idempotent: a
    purged referral is never selected again. The referral rows and stages stay, so the
    team figures count exactly as before."""
    due = referrals_past_retention(today=today).select_for_update(of=("self",))
    rows = list(due.values_list("id", "referred_id"))
    if not rows:
        return 0
    clients_erase(
        client_ids=[referred for _pk, referred in rows],
        by=None,
        reason=ErasureLog.Reason.REFERRAL_RETENTION,
    )
    Referral.objects.filter(id__in=[pk for pk, _referred in rows]).update(
        contact_purged_at=timezone.now()
    )
    return len(rows)


def referral_contacts_purge_step(day: date) -> None:
    """The nightly step (registered in PrivacyConfig.ready())."""
    referral_contacts_purge(today=day)
