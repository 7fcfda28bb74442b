"""Writes for service requests: servicing (保全) and claims (理赔).

Each service is one transaction: all or nothing. Validation errors are raised as django
ValidationError keyed by field (`policy`, `category`, `amount_claimed`, `status`…), so a form
can show each message beside the input it concerns.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from agentcrm.core.transitions import status_move
from policies.models import Policy

from ..models import ServiceRequest, ServiceRequestDocument, ServiceRequestStatusChange

Kind = ServiceRequest.Kind
Category = ServiceRequest.Category
Status = ServiceRequest.Status

# Where a request may go next: the table is the model's (kept here for importers).
REQUEST_TRANSITIONS = ServiceRequest.TRANSITIONS

# What the insurer usually asks for, per category: prefills the checklist of a new request.
# Document names are the insurers' own (Chinese) terms, stored as the agent edits them.
_CLAIM_BASE = ["理赔申请书", "身份证复印件", "银行卡复印件"]
DEFAULT_DOCUMENTS: dict[str, list[str]] = {
    Category.ADDRESS: ["保全变更申请书", "投保人身份证复印件"],
    Category.BENEFICIARY: [
        "保全变更申请书",
        "投保人身份证复印件",
        "被保险人身份证复印件",
        "被保险人同意变更的书面声明",
        "新受益人身份证复印件",
        "受益人关系证明",
    ],
    Category.BANK_ACCOUNT: ["保全变更申请书", "投保人身份证复印件", "新银行卡复印件"],
    Category.REINSTATEMENT: [
        "复效申请书",
        "健康告知书",
        "投保人身份证复印件",
        "补缴保费的银行卡复印件",
    ],
    Category.POLICY_LOAN: [
        "保单借款申请书",
        "保险合同",
        "投保人身份证复印件",
        "投保人银行卡复印件",
    ],
    Category.SURRENDER: [
        "退保申请书",
        "保险合同",
        "投保人身份证复印件",
        "投保人银行卡复印件",
    ],
    Category.OTHER_SERVICING: ["保全变更申请书", "投保人身份证复印件"],
    Category.HOSPITAL: [
        *_CLAIM_BASE,
        "病历",
        "出院小结",
        "医疗费用发票及清单",
    ],
    Category.CRITICAL_ILLNESS: [
        *_CLAIM_BASE,
        "病历",
        "疾病诊断证明书",
        "病理或检查报告",
    ],
    Category.ACCIDENT: [
        *_CLAIM_BASE,
        "意外事故证明",
        "病历",
        "医疗费用发票及清单",
    ],
    Category.DEATH: [
        "理赔申请书",
        "死亡证明",
        "户籍注销证明",
        "被保险人身份证复印件",
        "受益人身份证明",
        "受益人银行卡复印件",
        "受益人与被保险人关系证明",
    ],
    Category.OTHER_CLAIM: list(_CLAIM_BASE),
}

# Fields service_request_update may change. Kind, category and policy stay as opened; status
# moves only through service_request_set_status so the timeline is kept.
EDITABLE_FIELDS = (
    "description",
    "opened_on",
    "amount_claimed",
    "amount_paid",
    "next_action",
    "next_action_date",
)

# The longest document name the model stores.
_DOCUMENT_NAME_MAX = ServiceRequestDocument._meta.get_field("name").max_length


def default_documents(*, category: str) -> list[str]:
    """The usual checklist for a category (a copy: callers may change it)."""
    return list(DEFAULT_DOCUMENTS.get(category, []))


def document_names_clean(names: Iterable[str]) -> list[str]:
    """Strip blanks and repeats, keeping the order given."""
    seen: dict[str, None] = {}
    for name in names:
        name = (name or "").strip()
        if name:
            seen.setdefault(name, None)
    return list(seen)


def _add(errors: dict[str, list], key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def _validate(
    *, request: ServiceRequest, errors: dict[str, list], today: date, documents: list[str] = ()
) -> None:
    """The request's rules at once, so the agent sees every problem in one go."""
    if request.kind not in Kind.values:
        _add(errors, "kind", _("Choose servicing or claim."))
    elif request.category not in ServiceRequest.CATEGORIES_BY_KIND[Kind(request.kind)]:
        _add(
            errors,
            "category",
            _("%(category)s is not a kind of %(kind)s.")
            % {
                "category": Category(request.category).label
                if request.category in Category.values
                else request.category,
                "kind": Kind(request.kind).label,
            },
        )
    for name in ("amount_claimed", "amount_paid"):
        value: Decimal | None = getattr(request, name)
        if value is not None and value < 0:
            _add(errors, name, _("An amount cannot be negative."))
    if request.opened_on and request.opened_on > today:
        _add(errors, "opened_on", _("A request cannot be opened in the future."))
    if (
        request.closed_on
        and request.opened_on
        and request.closed_on < request.opened_on
        and "opened_on" not in errors
    ):
        _add(errors, "opened_on", _("The request was closed before this date."))
    for name in documents:
        if len(name) > _DOCUMENT_NAME_MAX:
            _add(
                errors,
                "documents",
                _("Document names are at most %(max)s characters: %(name)s")
                % {"max": _DOCUMENT_NAME_MAX, "name": name[:20] + "…"},
            )
    try:
        request.full_clean(exclude=["owner", "policy", "status", *errors])
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            for message in messages:
                if message not in errors.get(key, []):
                    _add(errors, key, message)


@transaction.atomic
def service_request_create(
    *,
    owner: User,
    policy: Policy,
    kind: str,
    category: str,
    opened_on: date | None = None,
    description: str = "",
    amount_claimed: Decimal | None = None,
    next_action: str = "",
    next_action_date: date | None = None,
    documents: Iterable[str] | None = None,
    by: User | None = None,
) -> ServiceRequest:
    """Open a request on one of the owner's policies, with its documents checklist (None: the
    category's usual one) and the first step of its status timeline."""
    today = timezone.localdate()
    errors: dict[str, list] = {}
    if policy is None or policy.owner_id != owner.pk:
        _add(errors, "policy", _("The policy must be one of yours."))
    request = ServiceRequest(
        owner=owner,
        policy=policy,
        kind=kind,
        category=category,
        opened_on=opened_on or today,
        description=description.strip(),
        amount_claimed=amount_claimed,
        next_action=next_action.strip(),
        next_action_date=next_action_date,
    )
    names = document_names_clean(
        default_documents(category=category) if documents is None else documents
    )
    _validate(request=request, errors=errors, today=today, documents=names)
    if errors:
        raise ValidationError(errors)
    request.save()
    ServiceRequestDocument.objects.bulk_create(
        ServiceRequestDocument(request=request, name=name) for name in names
    )
    ServiceRequestStatusChange.objects.create(
        request=request, from_status="", to_status=request.status, by=by
    )
    return request


@transaction.atomic
def service_request_update(*, request: ServiceRequest, **changes) -> ServiceRequest:
    """Change the fields given (see EDITABLE_FIELDS)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"service_request_update cannot change {sorted(unknown)}")
    # Locked so two edits of the same request are applied one after the other.
    locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(locked, name, value)
    errors: dict[str, list] = {}
    _validate(request=locked, errors=errors, today=timezone.localdate())
    if errors:
        raise ValidationError(errors)
    locked.save()
    return locked


def allowed_next_statuses(*, request: ServiceRequest) -> list[str]:
    """The statuses the request may move to, in the order of Status (a read: the model's
    `allowed_next_statuses`, kept here for importers)."""
    return request.allowed_next_statuses()


@transaction.atomic
def service_request_set_status(
    *,
    request: ServiceRequest,
    to_status: str,
    by: User | None = None,
    note: str = "",
    amount_paid: Decimal | None = None,
) -> ServiceRequestStatusChange:
    """Move the request from the status the caller saw to `to_status` and record the step.

    Paid and rejected close the request (closed_on is today); a claim is paid only with the
    amount paid (given here or already recorded). A closed request is never reopened.
    The update is conditional on the status the caller saw: if someone else changed it
    meanwhile, nothing is written and the caller is told, so no step of the timeline is lost
    (see agentcrm.core.transitions.status_move). A new amount paid is in the audit history.
    """

    def refused(current: str, to: str) -> str:
        if current in ServiceRequest.CLOSED_STATUSES:
            return _(
                "This request is closed (%(status)s) and cannot be reopened: "
                "open a new request instead."
            ) % {"status": Status(current).label}
        return _("A request cannot go from %(from)s to %(to)s.") % {
            "from": Status(current).label,
            "to": Status(to).label if to in Status.values else to,
        }

    def extra() -> dict:
        """What the step needs (a paid claim: its amount) and writes beside the status."""
        errors: dict[str, list] = {}
        if amount_paid is not None and amount_paid < 0:
            _add(errors, "amount_paid", _("An amount cannot be negative."))
        paid = amount_paid if amount_paid is not None else request.amount_paid
        if to_status == Status.PAID and request.kind == Kind.CLAIM and paid is None:
            _add(errors, "amount_paid", _("Enter the amount paid to mark a claim paid."))
        if len(note) > ServiceRequestStatusChange._meta.get_field("note").max_length:
            _add(errors, "note", _("The note is too long."))
        if errors:
            raise ValidationError(errors)
        fields = {}
        if to_status in ServiceRequest.CLOSED_STATUSES:
            fields["closed_on"] = timezone.localdate()
        if amount_paid is not None:
            # The status step records the status, not the amount: the audit history does.
            fields["amount_paid"] = amount_paid
        return fields

    return status_move(
        obj=request,
        to=to_status,
        transitions=ServiceRequest.TRANSITIONS,
        refused=refused,
        stale=_("The status was changed meanwhile to %(now)s; check it and retry."),
        by=by,
        note=note,
        log_model=ServiceRequestStatusChange,
        log_fields={"request": request},
        extra=extra,
        stamp="updated_at",
        where={"closed_on__isnull": True},
    )


@transaction.atomic
def service_request_document_add(*, request: ServiceRequest, name: str) -> ServiceRequestDocument:
    """Add a line to the checklist; a name already on it is refused."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter the document's name.")})
    if len(name) > _DOCUMENT_NAME_MAX:
        raise ValidationError(
            {"name": _("At most %(max)s characters.") % {"max": _DOCUMENT_NAME_MAX}}
        )
    if request.documents.filter(name=name).exists():
        raise ValidationError({"name": _("This document is already on the checklist.")})
    return ServiceRequestDocument.objects.create(request=request, name=name)


@transaction.atomic
def service_request_document_toggle_received(
    *, document: ServiceRequestDocument, on: date | None = None
) -> ServiceRequestDocument:
    """Tick a document received (today unless `on` is given), or untick it.

    Conditional on the state the caller saw, so a double click ends where the agent
    meant it to instead of flipping twice.
    """
    was_received = document.received_on is not None
    new_value = None if was_received else (on or timezone.localdate())
    ServiceRequestDocument.objects.filter(
        pk=document.pk, received_on__isnull=not was_received
    ).update(received_on=new_value)
    document.refresh_from_db(fields=["received_on"])
    return document


@transaction.atomic
def service_request_document_remove(*, document: ServiceRequestDocument) -> None:
    """Take a line off the checklist (one the insurer does not need for this case)."""
    ServiceRequestDocument.objects.filter(pk=document.pk).delete()
