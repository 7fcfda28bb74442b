"""Writes for the policy itself: create and update it with the riders and beneficiaries given
with it (the shares total 100), keep the premium dates stored on it in step, and move its
status (by hand, and nightly into grace or lapse). Each service is one transaction: all or
nothing. The rows dated against a policy (premium payments, payouts) are in `schedule`.

Validation errors are raised as django ValidationError keyed by field (or `beneficiaries`,
`riders`, `status`), so a form can show each message beside the input it concerns.
"""

from collections.abc import Collection, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from agentcrm.core.transitions import status_move
from clients.models import Client, FamilyMember
from touches.registry import touches_rebuild_for_clients

from .. import dates
from ..models import Beneficiary, Insurer, Policy, PolicyStatusChange, PremiumPayment, Rider
from ..models.schedule import rider_type_from_name

Status = Policy.Status

# Fields policy_update may change. Owner and status are not among them: the owner never
# changes hands here, and status moves only through policy_set_status so history is kept.
EDITABLE_FIELDS = (
    "insurer",
    "product_name",
    "policy_type",
    "number",
    "holder",
    "insured_client",
    "insured_member",
    "sum_assured",
    "premium",
    "currency",
    "payment_frequency",
    "payment_term_years",
    "coverage_kind",
    "coverage_value",
    "application_date",
    "effective_date",
    "delivery_date",
    "receipt_signed_date",
    "cooling_off_end",
    "sold_by_others",
    "sold_through",
    "notes",
)

# (earlier, later): each pair, when both are set, must be in this order.
DATE_ORDER = (
    ("application_date", "effective_date"),
    ("application_date", "delivery_date"),
    ("delivery_date", "receipt_signed_date"),
    ("receipt_signed_date", "cooling_off_end"),
    ("effective_date", "premium_paid_to"),
)

# Where a status may go next: the table is the model's (kept here for importers).
TRANSITIONS = Policy.TRANSITIONS


def beneficiary_shares_validate(*, shares: Iterable[Decimal]) -> None:
    """The shares of one policy total exactly 100%. No beneficiaries at all is allowed: the
    benefit then goes to the legal heirs (法定继承人). Shared with the inline formset."""
    shares = list(shares)
    if not shares:
        return
    if any(share is None or share <= 0 for share in shares):
        raise ValidationError(_("Every beneficiary needs a share above 0%."))
    total = sum(shares, Decimal(0))
    if total != 100:
        raise ValidationError(
            _("Beneficiary shares total %(total)s%%; they must total 100%%."),
            params={"total": f"{total.normalize():f}"},  # 90, not 9E+1
        )


def _add(errors: dict[str, list], key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


POLICY_DATES = (
    "application_date",
    "effective_date",
    "delivery_date",
    "receipt_signed_date",
    "cooling_off_end",
    "premium_paid_to",
)


def plausible_day(value: date | None) -> bool:
    return value is not None and dates.plausible(value)


def policy_range_errors(*, policy: Policy) -> dict[str, list[str]]:
    """Dates outside dates.EARLIEST–LATEST and a premium term over dates.MAX_TERM_YEARS:
    typos, whose derived dates would overflow. The import's row check uses it too."""
    errors: dict[str, list] = {}
    for name in POLICY_DATES:
        if not dates.plausible(getattr(policy, name)):
            _add(
                errors,
                name,
                _("Enter a date between %(first)s and %(last)s.")
                % {"first": dates.EARLIEST.year, "last": dates.LATEST.year},
            )
    if (policy.payment_term_years or 0) > dates.MAX_TERM_YEARS:
        _add(
            errors,
            "payment_term_years",
            _("A premium is paid for at most %(years)s years.") % {"years": dates.MAX_TERM_YEARS},
        )
    return errors


def _policy_validate(
    *, policy: Policy, beneficiaries: Sequence[Beneficiary] | None, riders: Sequence[Rider] | None
) -> None:
    """All of a policy's rules at once, so the agent sees every problem in one go."""
    errors: dict[str, list] = {}
    holder: Client = policy.holder
    if holder.owner_id != policy.owner_id:
        _add(errors, "holder", _("The holder must be one of your clients."))
    if (policy.insured_client_id is None) == (policy.insured_member_id is None):
        _add(errors, "insured_client", _("Choose the insured: a client or a family member."))
    elif policy.insured_client_id and policy.insured_client.owner_id != policy.owner_id:
        _add(errors, "insured_client", _("The insured must be one of your clients."))
    elif policy.insured_member_id and policy.insured_member.client_id != holder.pk:
        _add(errors, "insured_member", _("The insured must be one of the holder's family."))
    for key, messages in policy_range_errors(policy=policy).items():
        errors.setdefault(key, []).extend(messages)
    for earlier, later in DATE_ORDER:
        first, second = getattr(policy, earlier), getattr(policy, later)
        if first and second and second < first:
            _add(
                errors,
                later,
                _("%(later)s cannot be before %(earlier)s.")
                % {
                    "later": Policy._meta.get_field(later).verbose_name,
                    "earlier": Policy._meta.get_field(earlier).verbose_name,
                },
            )
    if policy.payment_frequency != Policy.Frequency.SINGLE and policy.payment_term_years < 1:
        _add(errors, "payment_term_years", _("A regular premium is paid for at least a year."))
    if beneficiaries is not None:
        try:
            beneficiary_shares_validate(shares=[b.share for b in beneficiaries])
        except ValidationError as exc:
            errors.setdefault("beneficiaries", []).extend(exc.messages)
    for rider in riders or ():
        if rider.start_date and rider.expiry_date and rider.expiry_date < rider.start_date:
            _add(errors, "riders", _("Rider %(name)s expires before it starts.") % vars(rider))
    try:
        policy.full_clean(exclude=["owner"])
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(m for m in messages if m not in errors.get(key, []))
    if errors:
        raise ValidationError(errors)


def _children_with_unknown(
    existing, given: Sequence | None, known: Collection[int] | None
) -> list | None:
    """The set to store: the rows given plus, when `known` names the rows the caller's form
    was shown, the stored rows it never knew (added meanwhile elsewhere): never dropped."""
    if given is None:
        return None
    given = list(given)
    if known is None:
        return given
    listed = {row.pk for row in given if row.pk}
    return given + [row for row in existing if row.pk not in known and row.pk not in listed]


def _rows_store(*, policy: Policy, model, stored, rows: Sequence) -> None:
    """Make the policy's rows of `model` these: changed ones saved, new ones added, the
    others deleted, one by one so each step is in the audit history."""
    stored = {row.pk: row for row in stored}
    fields = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id",)]
    kept = set()
    for row in rows:
        row.policy = policy
        before = stored.get(row.pk) if row.pk else None
        if before is None:
            row.pk = None
            row.save()
        elif any(getattr(before, name) != getattr(row, name) for name in fields):
            row.save()
        kept.add(row.pk)
    for pk, row in stored.items():
        if pk not in kept:
            row.delete()


def _policy_children_replace(
    *, policy: Policy, beneficiaries: Sequence[Beneficiary] | None, riders: Sequence[Rider] | None
) -> None:
    """Store the inline rows given; None leaves that set untouched."""
    if beneficiaries is not None:
        _rows_store(
            policy=policy,
            model=Beneficiary,
            stored=Beneficiary.objects.filter(policy=policy),
            rows=beneficiaries,
        )
    if riders is not None:
        for r in riders:
            # A cover type left empty is read from the name (附加住院医疗 → medical).
            r.policy_type = r.policy_type or rider_type_from_name(r.name)
        _rows_store(
            policy=policy, model=Rider, stored=Rider.objects.filter(policy=policy), rows=riders
        )


def policy_premium_refresh(*, policy: Policy) -> Policy:
    """Store the earliest unpaid due and its grace end on the policy (see the model). Called
    by every service that changes the dues, the payments or the insurer's grace period."""
    next_due, grace = dates.premium_next_due_and_grace_end(
        effective=policy.effective_date,
        frequency=policy.payment_frequency,
        term_years=policy.payment_term_years,
        paid=PremiumPayment.objects.filter(policy=policy).values_list("due_date", flat=True),
        grace_days=policy.insurer.grace_days,
        paid_to=policy.premium_paid_to,
    )
    Policy.objects.filter(pk=policy.pk).update(premium_next_due=next_due, premium_grace_end=grace)
    policy.premium_next_due, policy.premium_grace_end = next_due, grace
    return policy


@transaction.atomic
def policy_create(
    *,
    owner: User,
    insurer: Insurer,
    number: str,
    product_name: str,
    policy_type: str,
    holder: Client,
    effective_date: date,
    sum_assured: Decimal,
    premium: Decimal,
    insured_client: Client | None = None,
    insured_member: FamilyMember | None = None,
    currency: str = Policy.Currency.CNY,
    payment_frequency: str = Policy.Frequency.ANNUAL,
    payment_term_years: int = 1,
    coverage_kind: str = Policy.Coverage.WHOLE_LIFE,
    coverage_value: int | None = None,
    application_date: date | None = None,
    delivery_date: date | None = None,
    receipt_signed_date: date | None = None,
    cooling_off_end: date | None = None,
    status: str = Status.PENDING,
    notes: str = "",
    sold_by_others: bool = False,
    sold_through: str = "",
    beneficiaries: Sequence[Beneficiary] = (),
    riders: Sequence[Rider] = (),
    by: User | None = None,
    first_premium_paid: bool = True,
    premium_paid_to: date | None = None,
) -> Policy:
    """Create a policy with its beneficiaries and riders (unsaved instances) and the first
    step of its status history.

    The first premium is paid at issue (it is collected with the application): the policy is
    paid up to the end of its first period, so one entered in force is not "in grace" until
    a payment is recorded. `first_premium_paid=False` when the agent says it is not;
    `premium_paid_to` (缴至日期) when more is known, as for an existing policy.
    """
    if payment_frequency == Policy.Frequency.SINGLE:
        payment_term_years = 1
    if premium_paid_to is None and first_premium_paid and plausible_day(effective_date):
        premium_paid_to = dates.first_period_paid_to(
            effective=effective_date, frequency=payment_frequency
        )
    if cooling_off_end is None and receipt_signed_date and dates.plausible(receipt_signed_date):
        cooling_off_end = dates.cooling_off_end(receipt_signed=receipt_signed_date)
    policy = Policy(
        owner=owner,
        insurer=insurer,
        number=number.strip(),
        product_name=product_name,
        policy_type=policy_type,
        holder=holder,
        insured_client=insured_client,
        insured_member=insured_member,
        effective_date=effective_date,
        sum_assured=sum_assured,
        premium=premium,
        currency=currency,
        payment_frequency=payment_frequency,
        payment_term_years=payment_term_years,
        coverage_kind=coverage_kind,
        coverage_value=coverage_value,
        application_date=application_date,
        delivery_date=delivery_date,
        receipt_signed_date=receipt_signed_date,
        cooling_off_end=cooling_off_end,
        status=status,
        notes=notes,
        sold_by_others=sold_by_others,
        # The other agent or company means nothing on a policy the agent sold.
        sold_through=sold_through.strip() if sold_by_others else "",
        premium_paid_to=premium_paid_to,
    )
    beneficiaries, riders = list(beneficiaries), list(riders)
    _policy_validate(policy=policy, beneficiaries=beneficiaries, riders=riders)
    policy.save()
    PolicyStatusChange.objects.create(
        policy=policy, from_status="", to_status=status, at=policy.status_changed_at, by=by
    )
    _policy_children_replace(policy=policy, beneficiaries=beneficiaries, riders=riders)
    return policy_premium_refresh(policy=policy)


def _first_period_paid_to(policy: Policy) -> date | None:
    if not plausible_day(policy.effective_date):
        return None
    return dates.first_period_paid_to(
        effective=policy.effective_date, frequency=policy.payment_frequency
    )


@transaction.atomic
def policy_update(
    *,
    policy: Policy,
    beneficiaries: Sequence[Beneficiary] | None = None,
    riders: Sequence[Rider] | None = None,
    beneficiaries_known: Collection[int] | None = None,
    riders_known: Collection[int] | None = None,
    **changes: Any,
) -> Policy:
    """Change the fields given (see EDITABLE_FIELDS) and, when given, replace the
    beneficiaries or riders. A new receipt date moves a cooling-off end not given with it.

    `riders_known` / `beneficiaries_known`: the ids of the rows the caller's form showed.
    A stored row not among them was added after the form was opened and is kept: only a
    row the form knew and left out is deleted."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"policy_update cannot change {sorted(unknown)}")
    # Locked so two edits of the same policy are applied one after the other.
    locked = Policy.objects.select_for_update().get(pk=policy.pk)
    first_period = _first_period_paid_to(locked)
    for name, value in changes.items():
        setattr(locked, name, value)
    if not locked.sold_by_others:
        locked.sold_through = ""
    if locked.premium_paid_to is not None and locked.premium_paid_to == first_period:
        # Paid at issue: still the first period when the effective date or frequency moves.
        locked.premium_paid_to = _first_period_paid_to(locked)
    if "receipt_signed_date" in changes and "cooling_off_end" not in changes:
        receipt = locked.receipt_signed_date
        derive = receipt and dates.plausible(receipt)  # an implausible one is refused below
        locked.cooling_off_end = dates.cooling_off_end(receipt_signed=receipt) if derive else None
    if locked.payment_frequency == Policy.Frequency.SINGLE:
        locked.payment_term_years = 1
    beneficiaries = _children_with_unknown(
        Beneficiary.objects.filter(policy=locked), beneficiaries, beneficiaries_known
    )
    riders = _children_with_unknown(Rider.objects.filter(policy=locked), riders, riders_known)
    _policy_validate(policy=locked, beneficiaries=beneficiaries, riders=riders)
    locked.save()
    _policy_children_replace(policy=locked, beneficiaries=beneficiaries, riders=riders)
    return policy_premium_refresh(policy=locked)


@transaction.atomic
def policy_set_status(
    *, policy: Policy, to_status: str, by: User | None = None, note: str = ""
) -> PolicyStatusChange:
    """Move the policy from the status the caller saw to `to_status` and record the step.

    The update is conditional on that status: if someone else changed it meanwhile, nothing
    is written and the caller is told, so no step of the history is ever lost (see
    agentcrm.core.transitions.status_move).
    """
    return status_move(
        obj=policy,
        to=to_status,
        transitions=Policy.TRANSITIONS,
        refused=_("A policy cannot go from %(from)s to %(to)s."),
        stale=_("The status was changed meanwhile to %(now)s; check it and retry."),
        by=by,
        note=note,
        log_model=PolicyStatusChange,
        log_fields={"policy": policy},
        stamp="status_changed_at",
    )


def policies_lapse_overdue(day: date) -> dict[str, int]:
    """Nightly: a paying policy whose earliest unpaid due has passed enters its grace period;
    one whose grace period has ended lapses. Set-based: one conditional UPDATE per move and
    one bulk insert of the history rows. Re-running the same day changes nothing more."""
    moves = {
        Status.LAPSED: Q(
            status__in=(Status.IN_FORCE, Status.GRACE, Status.REINSTATED),
            premium_grace_end__lt=day,
        ),
        Status.GRACE: Q(
            status__in=(Status.IN_FORCE, Status.REINSTATED),
            premium_next_due__lt=day,
            premium_grace_end__gte=day,
        ),
    }
    done: dict[str, int] = {}
    now = timezone.now()
    note = _("Premium unpaid (automatic, %(day)s).") % {"day": day.isoformat()}
    for to_status, condition in moves.items():
        with transaction.atomic():
            rows = list(
                Policy.objects.select_for_update()
                .filter(condition)
                .order_by()
                .values_list("pk", "status")
            )
            if not rows:
                continue
            Policy.objects.filter(pk__in=[pk for pk, _s in rows]).update(
                status=to_status, status_changed_at=now
            )
            PolicyStatusChange.objects.bulk_create(
                PolicyStatusChange(
                    policy_id=pk, from_status=status, to_status=to_status, at=now, note=note
                )
                for pk, status in rows
            )
            done[to_status] = len(rows)
    return done


@transaction.atomic
def insurer_grace_days_apply(*, insurer: Insurer) -> int:
    """After an insurer's grace period changed (the admin): move the stored grace ends of its
    policies in one UPDATE (next due + the new number of days), then, by the bulk-write rule
    (touches.registry, section 9), build the grace-ending touches the new ends fall due in
    the built window, for those policies' holders at once."""
    moved = Policy.objects.filter(insurer=insurer, premium_next_due__isnull=False)
    count = moved.update(
        premium_grace_end=ExpressionWrapper(
            F("premium_next_due") + timedelta(days=insurer.grace_days), output_field=DateField()
        )
    )
    if count:
        touches_rebuild_for_clients(
            client_ids=moved.order_by().values("holder_id"), kinds=["grace_ending"]
        )
    return count
