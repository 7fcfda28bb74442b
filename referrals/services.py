"""Writes for referrals, with the rules they keep: asking for names, recording who was
referred, moving a prospect through the pipeline, and reporting back to and thanking the
referrer (also when the report-back touch is marked done on the dashboard: `on_touch_done`).
A refusal is a ValidationError; the ones about a single input (the refusal reason, the
won policy, the lost reason) are keyed by its field, so `add_service_errors` places them
beside it.

Every service is one transaction: a request with three names writes the request, three
prospects and three referrals, or nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from agentcrm.core.history import REASON_MERGE, REASON_MERGE_UNDONE, history_record
from agentcrm.core.transitions import status_move
from clients.models import Client, Interaction
from clients.services import interaction_create, merge_rows_back, merge_rows_move
from policies.models import Policy
from touches.registry import occasion_resolved

from .models import (
    CLOSED_STAGES,
    FEEDBACK_STAGES,
    ContactBasis,
    Context,
    Referral,
    ReferralRequest,
    ReferralStageChange,
    RefusalReason,
    Relationship,
    Stage,
)
from .selectors.chains import ancestor_ids, descendant_levels
from .summary import referral_months_touch

# 转介绍后 3 天内给介绍人反馈.
FEEDBACK_DAYS = 3
FEEDBACK_KIND = "referral_feedback"
# Stages a prospect has been contacted in (or beyond).
CONTACTED_STAGES = (Stage.CONTACTED, Stage.MET, Stage.PROPOSAL, Stage.WON)


@dataclass(frozen=True)
class Person:
    """A name the referrer gave: a new prospect, or `existing` when the agent chose to link
    the record that already has this phone number."""

    name: str = ""
    mobile: str = ""
    occupation: str = ""
    relationship: str = Relationship.FRIEND
    reason: str = ""
    existing: Client | None = None
    # The basis for holding the details (PIPL): by default the referrer gave them, now, and
    # no privacy reassurance was recorded.
    contact_basis: str = ContactBasis.REFERRER
    privacy_reassured: bool = False


def feedback_source(change_id: int) -> str:
    return f"refstage:{change_id}"


# --- Prospects and referrals ---------------------------------------------------------------


def _prospect_create(*, owner: User, person: Person) -> Client:
    client = Client(
        owner=owner,
        name=person.name.strip(),
        mobile=person.mobile,
        occupation=person.occupation.strip(),
        source=Client.Source.REFERRAL,
        stage=Client.Stage.PROSPECT,
    )
    client.full_clean(exclude=["owner"])
    client.save()
    return client


def _check_same_agent(owner: User, *clients: Client) -> None:
    if any(c.owner_id != owner.pk for c in clients):
        raise ValidationError(_("Referrer and referred person must both be in your archive."))


def _check_chain(*, referrer: Client, referred: Client) -> None:
    if referred.pk == referrer.pk:
        raise ValidationError(_("A person cannot refer themself."))
    if Referral.objects.filter(referred=referred).exists():
        raise ValidationError(
            _("%(name)s was already referred by %(referrer)s.")
            % {"name": referred.name, "referrer": referred.referral.referrer.name}
        )
    if referred.pk in ancestor_ids(referrer.pk):
        raise ValidationError(
            _(
                "%(referred)s is already above %(referrer)s in the referral chain: "
                "a person cannot be their own ancestor."
            )
            % {"referred": referred.name, "referrer": referrer.name}
        )


def _referral_add(
    *,
    owner: User,
    referrer: Client,
    referred: Client,
    relationship: str,
    reason: str,
    given_on: date,
    context: str,
    request: ReferralRequest | None,
    by: User,
    contact_basis: str = ContactBasis.REFERRER,
    privacy_reassured: bool = False,
) -> Referral:
    _check_same_agent(owner, referrer, referred)
    # Lock both ends so two requests cannot close a cycle between them.
    list(Client.objects.select_for_update().filter(pk__in=[referrer.pk, referred.pk]))
    _check_chain(referrer=referrer, referred=referred)
    if relationship not in Relationship.values:
        raise ValidationError(_("Choose the relationship to the referrer."))
    parent = Referral.objects.filter(referred=referrer).values_list("depth", flat=True).first()
    depth = (parent or 0) + 1
    now = timezone.now()
    referral = Referral(
        owner=owner,
        referrer=referrer,
        referred=referred,
        request=request,
        relationship=relationship,
        reason=reason.strip(),
        given_on=given_on,
        context=context,
        depth=depth,
        stage=Stage.NEW,
        stage_changed_at=now,
        contact_basis=contact_basis,
        contact_given_at=now,
        privacy_reassured=privacy_reassured,
    )
    referral.full_clean(exclude=["owner", "referrer", "referred", "request", "won_policy"])
    referral.save()
    # The referred person may have referred people before being linked: their chain
    # now hangs `depth` levels lower.
    below = descendant_levels(referred.pk)
    if below:
        Referral.objects.filter(referred_id__in=below).update(depth=F("depth") + depth)
    # A referral dated back, and deeper chains below it, change past months' team figures.
    _months_touch(referred_ids=[referred.pk, *below])
    ReferralStageChange.objects.create(
        referral=referral, owner=owner, from_stage="", to_stage=Stage.NEW, changed_at=now, by=by
    )
    if referred.source != Client.Source.REFERRAL:
        Client.objects.filter(pk=referred.pk, stage=Client.Stage.PROSPECT).update(
            source=Client.Source.REFERRAL
        )
    return referral


@transaction.atomic
def referral_create(
    *,
    owner: User,
    referrer: Client,
    person: Person,
    given_on: date,
    context: str = Context.OTHER,
    by: User,
) -> Referral:
    """One referral: the person becomes a prospect (or the linked existing record)."""
    referred = person.existing or _prospect_create(owner=owner, person=person)
    return _referral_add(
        owner=owner,
        referrer=referrer,
        referred=referred,
        relationship=person.relationship,
        reason=person.reason,
        given_on=given_on,
        context=context,
        request=None,
        by=by,
        contact_basis=person.contact_basis,
        privacy_reassured=person.privacy_reassured,
    )


@transaction.atomic
def referral_request_record(
    *,
    owner: User,
    client: Client,
    asked_on: date,
    context: str,
    people: list[Person],
    refusal_reason: str = "",
    notes: str = "",
    policy: Policy | None = None,
    by: User,
) -> ReferralRequest:
    """Record one ask and every name it gave, all or nothing."""
    _check_same_agent(owner, client)
    if policy is not None and policy.owner_id != owner.pk:
        raise ValidationError(_("That policy is not in your book."))
    if not people and refusal_reason not in RefusalReason.values:
        raise ValidationError(
            {"refusal_reason": _("No names were given: choose the reason the client gave.")}
        )
    if people:
        refusal_reason = ""
    request = ReferralRequest(
        owner=owner,
        client=client,
        asked_on=asked_on,
        context=context,
        policy=policy,
        names_given=len(people),
        refusal_reason=refusal_reason,
        notes=notes.strip(),
    )
    request.full_clean(exclude=["owner", "client", "policy"])
    request.save()
    referral_months_touch(rows=[(owner.pk, asked_on)])
    for person in people:
        referred = person.existing or _prospect_create(owner=owner, person=person)
        _referral_add(
            owner=owner,
            referrer=client,
            referred=referred,
            relationship=person.relationship,
            reason=person.reason,
            given_on=asked_on,
            context=context,
            request=request,
            by=by,
            contact_basis=person.contact_basis,
            privacy_reassured=person.privacy_reassured,
        )
    return request


# --- Pipeline -------------------------------------------------------------------------------


def _stage_refused(current: str, to: str) -> str:
    """Why a step is not in Referral.TRANSITIONS."""
    if to not in Stage.values:
        return _("Unknown stage.")
    if to == current:
        return _("The prospect is already at this stage.")
    return _("A won referral is closed: its stage cannot change.")


@transaction.atomic
def referral_stage_change(
    *,
    referral: Referral,
    to_stage: str,
    by: User,
    note: str = "",
    policy: Policy | None = None,
    lost_reason: str = "",
    at: datetime | None = None,
) -> ReferralStageChange:
    """Move the prospect to `to_stage`, timestamped. Won needs the prospect's first policy,
    lost a reason. A change the referrer must hear about gets a report-back deadline."""
    at = at or timezone.now()

    def extra() -> dict:
        """What the stage needs (won: the policy; lost: a reason) and writes beside it."""
        fields: dict = {}
        if to_stage == Stage.WON:
            if policy is None:
                raise ValidationError({"policy": _("Choose the policy the prospect took out.")})
            if policy.owner_id != referral.owner_id or referral.referred_id not in (
                policy.holder_id,
                policy.insured_client_id,
            ):
                raise ValidationError({"policy": _("Choose a policy held by the referred person.")})
            if policy.sold_by_others:
                raise ValidationError(
                    {"policy": _("A policy sold by another agent or company is not a win.")}
                )
            fields["won_policy"] = policy
        if to_stage == Stage.LOST:
            reason = lost_reason.strip()
            if not reason:
                raise ValidationError({"lost_reason": _("Say why the prospect was lost.")})
            fields["lost_reason"] = reason[:255]
        if to_stage in CLOSED_STAGES:
            fields["closed_at"] = at
        else:
            fields.update(closed_at=None, lost_reason="")
        if to_stage in CONTACTED_STAGES and referral.contacted_at is None:
            fields["contacted_at"] = at
        return fields

    # Conditional on the stage we read: a second tab moving the same prospect fails cleanly.
    change = status_move(
        obj=referral,
        field="stage",
        to=to_stage,
        transitions=Referral.TRANSITIONS,
        refused=_stage_refused,
        stale=_("The prospect was changed meanwhile; reload and try again."),
        by=by,
        note=note.strip()[:500],
        log_model=ReferralStageChange,
        log_fields={
            "referral": referral,
            "owner_id": referral.owner_id,
            "feedback_due": (
                timezone.localdate(at) + timedelta(days=FEEDBACK_DAYS)
                if to_stage in FEEDBACK_STAGES
                else None
            ),
        },
        extra=extra,
        stamp="stage_changed_at",
        at=at,
    )
    if to_stage == Stage.WON:
        Client.objects.filter(pk=referral.referred_id).update(stage=Client.Stage.CLIENT)
    # The referral's month (contacted, won) and the deadline's month (a step dated back).
    referral_months_touch(
        rows=[(referral.owner_id, referral.given_on), (referral.owner_id, change.feedback_due)]
    )
    return change


# --- The referrer ---------------------------------------------------------------------------


def _stage_text(change: ReferralStageChange) -> str:
    return f"{change.referral.referred.name}: {Stage(change.to_stage).label}"


@transaction.atomic
def referral_feedback_report(
    *,
    change: ReferralStageChange,
    by: User,
    channel: str = Interaction.Kind.MESSAGE,
    note: str = "",
    on: date | None = None,
    log_contact: bool = True,
) -> bool:
    """The referrer heard how it went. Logs the contact on the referrer's timeline and closes
    the report-back touch. False when it had already been reported."""
    updated = ReferralStageChange.objects.filter(
        pk=change.pk, feedback_due__isnull=False, reported_at__isnull=True
    ).update(reported_at=timezone.now())
    if not updated:
        return False
    referral = change.referral
    referral_months_touch(rows=[(change.owner_id, change.feedback_due)])
    if log_contact:
        summary = " · ".join(p for p in (_("Reported back"), _stage_text(change), note) if p)
        interaction_create(
            client=referral.referrer,
            user=by,
            kind=channel,
            on=on or timezone.localdate(),
            summary=summary[:500],
        )
        occasion_resolved.send(
            sender=ReferralStageChange,
            kind=FEEDBACK_KIND,
            source=feedback_source(change.pk),
            owner_id=referral.owner_id,
        )
    return True


@transaction.atomic
def referral_thank(
    *,
    referral: Referral,
    by: User,
    channel: str = Interaction.Kind.GIFT,
    note: str = "",
    gift_value=None,
    on: date | None = None,
) -> bool:
    """Thank the referrer (a message, a call, a small gift); once per referral."""
    updated = Referral.objects.filter(pk=referral.pk, thanked_at__isnull=True).update(
        thanked_at=timezone.now()
    )
    if not updated:
        return False
    summary = " · ".join(
        p
        for p in (_("Thanked for referring %(name)s") % {"name": referral.referred.name}, note)
        if p
    )
    interaction_create(
        client=referral.referrer,
        user=by,
        kind=channel,
        on=on or timezone.localdate(),
        summary=summary[:500],
        gift_value=gift_value,
    )
    referral.refresh_from_db()
    history_record(instances=[referral], user=by)
    return True


def on_touch_done(*, kind: str, source: str, owner_id: int, **kwargs) -> None:
    """A report-back touch marked done on the dashboard: the referrer was reported to (the
    touch list already logged the contact)."""
    if kind != FEEDBACK_KIND or not source.startswith("refstage:"):
        return
    change = (
        ReferralStageChange.objects.filter(pk=source.split(":", 1)[1], owner_id=owner_id)
        .select_related("referral__referrer", "referral__referred")
        .first()
    )
    if change is not None:
        referral_feedback_report(change=change, by=kwargs.get("by"), log_contact=False)


# --- A client merge (clients.services.client_merge) -------------------------------------------


def _months_touch(*, referred_ids) -> None:
    """Mark the past months of the referrals into these people (their depth or their
    existence changed the team figures of the month they were given)."""
    referral_months_touch(
        rows=Referral.objects.filter(referred_id__in=referred_ids).values_list(
            "owner_id", "given_on"
        )
    )


def _depths_recompute(client_id: int) -> None:
    """The stored depth of the edge into `client_id` and of every edge below it, after edges
    moved: the edge into a person is as deep as the number of their referrers above."""
    own = len(ancestor_ids(client_id))
    Referral.objects.filter(referred_id=client_id).update(depth=own)
    by_level: dict[int, list[int]] = {}
    below = descendant_levels(client_id)
    for referred_id, level in below.items():
        by_level.setdefault(level, []).append(referred_id)
    for level, ids in by_level.items():
        Referral.objects.filter(referred_id__in=ids).update(depth=own + level)
    _months_touch(referred_ids=[client_id, *below])


def referrals_merge_move(kept: Client, other: Client, choices) -> dict:
    """The absorbed client's referrals in either direction and asks move to the kept client
    (a merge mover, registered in ReferralsConfig.ready()). The kept client keeps one
    referrer: their own if they have one, else the absorbed client's; a referral between the
    two, or a move that would make someone their own ancestor, refuses the merge."""
    between = Referral.objects.filter(referrer=kept, referred=other) | Referral.objects.filter(
        referrer=other, referred=kept
    )
    edge = between.select_related("referrer", "referred").first()
    if edge is not None:
        raise ValidationError(
            _(
                "%(referrer)s referred %(referred)s: merged, they would be their own referrer. "
                "The merge was refused; delete that referral first if they are one person."
            )
            % {"referrer": edge.referrer.name, "referred": edge.referred.name}
        )
    moved: dict[str, list[int]] = {}
    if not Referral.objects.filter(referred=kept).exists():
        moved["referred"] = merge_rows_move(
            Referral.objects.filter(referred=other), key="referred", kept=kept
        )
    moved["referrer"] = merge_rows_move(
        Referral.objects.filter(referrer=other), key="referrer", kept=kept
    )
    moved["requests"] = merge_rows_move(
        ReferralRequest.objects.filter(client=other), key="client", kept=kept
    )
    if kept.pk in ancestor_ids(kept.pk):
        raise ValidationError(
            _(
                "Merging these records would make %(name)s their own referrer further up "
                "the chain (a cycle): the merge was refused."
            )
            % {"name": kept.name}
        )
    _depths_recompute(kept.pk)
    history_record(
        instances=Referral.objects.filter(pk__in=moved.get("referred", []) + moved["referrer"]),
        reason=REASON_MERGE,
    )
    return moved


def referrals_merge_undo(kept: Client, other: Client, moved) -> None:
    merge_rows_back(Referral, key="referred", ids=moved.get("referred"), kept=kept, other=other)
    merge_rows_back(Referral, key="referrer", ids=moved.get("referrer"), kept=kept, other=other)
    merge_rows_back(
        ReferralRequest, key="client", ids=moved.get("requests"), kept=kept, other=other
    )
    _depths_recompute(kept.pk)
    _depths_recompute(other.pk)
    ids = list(moved.get("referred", [])) + list(moved.get("referrer", []))
    history_record(instances=Referral.objects.filter(pk__in=ids), reason=REASON_MERGE_UNDONE)
