"""Service requests on a policy: servicing (保全) and claims (理赔), each with its documents
checklist and its status timeline, and an audit history (HistoricalServiceRequest).

Moved from the policies app with their tables (`db_table`, and the history's `table_name`);
see migration servicing 0001."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from agentcrm.core.models import StatusChange
from agentcrm.core.transitions import allowed_next, next_forward
from policies.models import Policy

# Which categories belong to which kind, as plain values the CHECK constraint can use.
_SERVICING = [
    "address",
    "beneficiary",
    "bank_account",
    "reinstatement",
    "policy_loan",
    "surrender",
    "other_servicing",
]
_CLAIMS = ["hospital", "critical_illness", "accident", "death", "other_claim"]


class ServiceRequest(models.Model):
    class Kind(models.TextChoices):
        SERVICING = "servicing", _("Policy servicing (保全)")
        CLAIM = "claim", _("Claim (理赔)")

    class Category(models.TextChoices):
        # servicing
        ADDRESS = "address", _("Change of address")
        BENEFICIARY = "beneficiary", _("Change of beneficiary")
        BANK_ACCOUNT = "bank_account", _("Change of bank account")
        REINSTATEMENT = "reinstatement", _("Reinstatement")
        POLICY_LOAN = "policy_loan", _("Policy loan")
        SURRENDER = "surrender", _("Surrender")
        OTHER_SERVICING = "other_servicing", _("Other servicing")
        # claims
        HOSPITAL = "hospital", _("Hospital")
        CRITICAL_ILLNESS = "critical_illness", _("Critical illness")
        ACCIDENT = "accident", _("Accident")
        DEATH = "death", _("Death")
        OTHER_CLAIM = "other_claim", _("Other claim")

    CATEGORIES_BY_KIND = {Kind.SERVICING: _SERVICING, Kind.CLAIM: _CLAIMS}

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        DOCUMENTS_MISSING = "documents_missing", _("Documents missing")
        UNDER_REVIEW = "under_review", _("Under review")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")
        REJECTED = "rejected", _("Rejected")

    CLOSED_STATUSES = (Status.PAID, Status.REJECTED)
    # Where a request may go next (see service_request_set_status). Paid and rejected close it
    # and are final: a closed request is never reopened; a new request is opened instead (an
    # appeal is a new case for the insurer).
    TRANSITIONS = {
        Status.SUBMITTED: {
            Status.DOCUMENTS_MISSING,
            Status.UNDER_REVIEW,
            Status.APPROVED,
            Status.PAID,
            Status.REJECTED,
        },
        Status.DOCUMENTS_MISSING: {Status.SUBMITTED, Status.UNDER_REVIEW, Status.REJECTED},
        Status.UNDER_REVIEW: {
            Status.DOCUMENTS_MISSING,
            Status.APPROVED,
            Status.PAID,
            Status.REJECTED,
        },
        Status.APPROVED: {Status.PAID, Status.REJECTED},
        Status.PAID: set(),
        Status.REJECTED: set(),
    }
    # The way forward, in order: what the status form proposes is the next allowed step along
    # it (never a setback such as "documents missing", never a rejection). "Documents missing"
    # stands where "submitted" does: once the papers are in, the case goes on to review.
    FORWARD = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.APPROVED, Status.PAID)
    FORWARD_SAME_AS = {Status.DOCUMENTS_MISSING: Status.SUBMITTED}

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="service_requests"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    category = models.CharField(_("category"), max_length=24, choices=Category)
    description = models.TextField(_("description"), blank=True)
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    status = models.CharField(_("status"), max_length=24, choices=Status, default=Status.SUBMITTED)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    amount_claimed = models.DecimalField(
        _("amount claimed"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    amount_paid = models.DecimalField(
        _("amount paid"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    next_action = models.CharField(_("next action"), max_length=300, blank=True)
    next_action_date = models.DateField(_("next action date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Audit trail (shown on the request page). The status and the closing date it sets have
    # their own history (ServiceRequestStatusChange); timestamps are left out.
    history = HistoricalRecords(
        excluded_fields=["status", "closed_on", "created_at", "updated_at"],
        table_name="policies_historicalservicerequest",
    )

    class Meta:
        db_table = "policies_servicerequest"
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(
                fields=["owner", "closed_on", "next_action_date"], name="service_request_open"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="servicing", category__in=_SERVICING)
                | Q(kind="claim", category__in=_CLAIMS),
                name="service_request_category_fits_kind",
                violation_error_message=_("This category does not belong to this kind."),
            ),
            models.CheckConstraint(
                condition=Q(amount_claimed__isnull=True) | Q(amount_claimed__gte=0),
                name="service_request_claimed_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__isnull=True) | Q(amount_paid__gte=0),
                name="service_request_paid_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.policy}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def allowed_next_statuses(self) -> list[str]:
        """The statuses the request may move to now, in the order of Status."""
        return allowed_next(self.TRANSITIONS, self.status, self.Status)

    def next_forward_status(self) -> str | None:
        """The step the status form proposes: the nearest allowed status further along
        FORWARD; None when no forward step is allowed (the form then proposes nothing)."""
        return next_forward(
            self.TRANSITIONS, self.status, self.FORWARD, same_as=self.FORWARD_SAME_AS
        )


class ServiceRequestDocument(models.Model):
    """One line of the documents checklist: what the insurer needs and whether it is in."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=200)
    received_on = models.DateField(_("received on"), null=True, blank=True)

    class Meta:
        db_table = "policies_servicerequestdocument"
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["request", "id"]

    def __str__(self) -> str:
        return self.name


class ServiceRequestStatusChange(StatusChange):
    """One step of a request's status timeline; written by `service_request_set_status` (and,
    for the first step, when the request is opened). `by` and `note` come from StatusChange."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="status_history"
    )
    from_status = models.CharField(
        _("from"), max_length=24, choices=ServiceRequest.Status, blank=True
    )
    to_status = models.CharField(_("to"), max_length=24, choices=ServiceRequest.Status)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        db_table = "policies_servicerequeststatuschange"
        verbose_name = _("service request status change")
        verbose_name_plural = _("service request status changes")
        ordering = ["request", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
