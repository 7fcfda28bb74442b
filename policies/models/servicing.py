"""What the agent does with a policy after the sale: delivery (递交保单), the annual review
(年度保单检查), and service requests, i.e. servicing (保全) and claims (理赔)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from agentcrm.core.models import StatusChange
from agentcrm.core.transitions import allowed_next
from clients.models import Client, Commitment

from .policy import Policy


class DeliveryItem(models.TextChoices):
    """The deck's preparation items, then its five delivery steps, in the order shown."""

    THANK_YOU_SENT = "thank_you_sent", _("Thank-you message sent")
    POLICY_CHECKED = "policy_checked", _("Policy checked: number, cover and premium confirmed")
    KEY_POINTS_MARKED = "key_points_marked", _("Key points marked in the policy")
    ARCHIVE_UPDATED = "archive_updated", _("Client archive updated")
    PACK_READY = "pack_ready", _("Envelope, business card and thank-you letter ready")
    APPOINTMENT_BOOKED = "appointment_booked", _("Delivery appointment booked")
    REFERRAL_PREPARED = "referral_prepared", _("Referral request prepared")
    STEP_CONGRATULATE = "step_congratulate", _("1. Congratulate the client")
    STEP_EXPLAIN = (
        "step_explain",
        _(
            "2. Explain how the policy meets the needs: living long, illness, payouts, death, "
            "disability"
        ),
    )
    STEP_COMMITMENT = "step_commitment", _("3. State the service commitment")
    STEP_REFERRALS = "step_referrals", _("4. Ask for referrals")
    STEP_CONGRATULATE_AGAIN = "step_congratulate_again", _("5. Congratulate again")

    @classmethod
    def preparation(cls) -> list["DeliveryItem"]:
        return [item for item in cls if not item.value.startswith("step_")]

    @classmethod
    def steps(cls) -> list["DeliveryItem"]:
        return [item for item in cls if item.value.startswith("step_")]


class Delivery(models.Model):
    """One per policy, created on first use. Each ticked item is a DeliveryTick row."""

    policy = models.OneToOneField(Policy, on_delete=models.CASCADE, related_name="delivery")
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("policy delivery")
        verbose_name_plural = _("policy deliveries")

    def __str__(self) -> str:
        return str(self.policy)


class DeliveryTick(models.Model):
    """An item of the checklist done, by whom and when. Unique per item: ticking twice is a
    no-op, and unticking deletes the row."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="ticks")
    item = models.CharField(_("item"), max_length=32, choices=DeliveryItem)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("delivery item done")
        verbose_name_plural = _("delivery items done")
        constraints = [models.UniqueConstraint("delivery", "item", name="delivery_tick_unique")]

    def __str__(self) -> str:
        return self.get_item_display()


class AnnualReview(models.Model):
    """年度保单检查: one per household (the holder's client record) and policy anniversary.
    The household's policies reviewed that day are linked; follow-ups are ordinary client
    commitments, so they appear on the commitments page and the touch list like any other."""

    household = models.ForeignKey(
        Client, verbose_name=_("household"), on_delete=models.CASCADE, related_name="reviews"
    )
    anniversary = models.DateField(_("policy anniversary"))
    policies = models.ManyToManyField(Policy, verbose_name=_("policies"), related_name="reviews")
    held_on = models.DateField(_("held on"))
    findings = models.TextField(_("findings"), blank=True)
    needs = models.TextField(_("needs identified"), blank=True)
    commitments = models.ManyToManyField(
        Commitment, verbose_name=_("follow-up commitments"), blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("annual review")
        verbose_name_plural = _("annual reviews")
        ordering = ["-anniversary", "-id"]
        constraints = [
            models.UniqueConstraint(
                "household",
                "anniversary",
                name="review_unique_per_household_anniversary",
                violation_error_message=_(
                    "This household already has a review for this anniversary."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.anniversary}"


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
    history = HistoricalRecords(excluded_fields=["status", "closed_on", "created_at", "updated_at"])

    class Meta:
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


class ServiceRequestDocument(models.Model):
    """One line of the documents checklist: what the insurer needs and whether it is in."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=200)
    received_on = models.DateField(_("received on"), null=True, blank=True)

    class Meta:
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
        verbose_name = _("service request status change")
        verbose_name_plural = _("service request status changes")
        ordering = ["request", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
