"""The contract: insurers (shared by every agent), the policy itself and its status history.
The rows dated against a policy are in `schedule`."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from agentcrm.core.calendar import month_day_key
from agentcrm.core.models import StatusChange
from agentcrm.core.transitions import allowed_next
from clients.models import Client, FamilyMember

DEFAULT_GRACE_DAYS = 60


class InsurerQuerySet(models.QuerySet):
    def visible_to(self, user) -> "InsurerQuerySet":
        """The insurers `user` may pick and see: the confirmed ones, and those not confirmed
        yet that their own data names (added by their import, or on a policy of theirs)."""
        return self.filter(
            models.Q(confirmed=True)
            | models.Q(added_by=user)
            | models.Q(pk__in=Policy.objects.filter(owner=user).values("insurer_id"))
        )


class Insurer(models.Model):
    """An insurance company. Shared by all agents once an administrator confirmed it: it
    carries no client data. One an import brought in (a name the agent's file spelled) is
    that agent's alone until then, so a typo or an agent's private note never shows up in
    every team's lists."""

    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100, unique=True)
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"),
        default=DEFAULT_GRACE_DAYS,
        help_text=_("Days after a missed premium before the policy lapses."),
    )
    confirmed = models.BooleanField(
        _("confirmed"),
        default=True,
        help_text=_("Confirmed insurers are offered to every agent."),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = InsurerQuerySet.as_manager()

    class Meta:
        verbose_name = _("insurer")
        verbose_name_plural = _("insurers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PolicyQuerySet(models.QuerySet):
    def own(self) -> "PolicyQuerySet":
        """The agent's own sales: policies sold by others (保单托管) left out."""
        return self.filter(sold_by_others=False)


class Policy(models.Model):
    class Type(models.TextChoices):
        LIFE = "life", _("Life")
        CRITICAL_ILLNESS = "critical_illness", _("Critical illness")
        MEDICAL = "medical", _("Medical")
        ACCIDENT = "accident", _("Accident")
        ANNUITY = "annuity", _("Annuity")
        ENDOWMENT = "endowment", _("Endowment")
        UNIVERSAL = "universal", _("Universal life")
        INVESTMENT_LINKED = "investment_linked", _("Investment-linked")
        OTHER = "other", _("Other")

    class Frequency(models.TextChoices):
        ANNUAL = "annual", _("Annual")
        SEMI_ANNUAL = "semi_annual", _("Semi-annual")
        QUARTERLY = "quarterly", _("Quarterly")
        MONTHLY = "monthly", _("Monthly")
        SINGLE = "single", _("Single premium")

    class Coverage(models.TextChoices):
        YEARS = "years", _("Number of years")
        TO_AGE = "to_age", _("To age")
        WHOLE_LIFE = "whole_life", _("Whole life")

    class Currency(models.TextChoices):
        CNY = "CNY", _("Renminbi (CNY)")
        HKD = "HKD", _("Hong Kong dollar (HKD)")
        USD = "USD", _("US dollar (USD)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IN_FORCE = "in_force", _("In force")
        GRACE = "grace", _("Grace period")
        LAPSED = "lapsed", _("Lapsed")
        REINSTATED = "reinstated", _("Reinstated")
        PAID_UP = "paid_up", _("Paid-up")
        SURRENDERED = "surrendered", _("Surrendered")
        MATURED = "matured", _("Matured")
        TERMINATED_CLAIM = "terminated_claim", _("Terminated by claim")

    # Statuses in which the policy still protects the insured (used by the coverage summary).
    ACTIVE_STATUSES = (Status.IN_FORCE, Status.GRACE, Status.REINSTATED, Status.PAID_UP)
    # Statuses in which premiums are still being paid, so a due can be missed and the policy
    # lapse: a pending, paid-up or terminated policy has no lapse risk.
    PREMIUM_PAYING_STATUSES = (Status.IN_FORCE, Status.GRACE, Status.REINSTATED)
    # Where a status may go next (see policy_set_status). Surrendered, matured and
    # terminated-by-claim are final.
    TRANSITIONS = {
        Status.PENDING: {Status.IN_FORCE, Status.SURRENDERED},
        Status.IN_FORCE: {
            Status.GRACE,
            Status.LAPSED,
            Status.PAID_UP,
            Status.SURRENDERED,
            Status.MATURED,
            Status.TERMINATED_CLAIM,
        },
        Status.GRACE: {Status.IN_FORCE, Status.LAPSED, Status.SURRENDERED, Status.TERMINATED_CLAIM},
        Status.LAPSED: {Status.REINSTATED, Status.SURRENDERED},
        Status.REINSTATED: {
            Status.IN_FORCE,
            Status.GRACE,
            Status.LAPSED,
            Status.PAID_UP,
            Status.SURRENDERED,
            Status.MATURED,
            Status.TERMINATED_CLAIM,
        },
        Status.PAID_UP: {Status.SURRENDERED, Status.MATURED, Status.TERMINATED_CLAIM},
        Status.SURRENDERED: set(),
        Status.MATURED: set(),
        Status.TERMINATED_CLAIM: set(),
    }

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="policies",
    )
    insurer = models.ForeignKey(
        Insurer, verbose_name=_("insurer"), on_delete=models.PROTECT, related_name="policies"
    )
    product_name = models.CharField(_("product"), max_length=200)
    policy_type = models.CharField(_("type"), max_length=24, choices=Type)
    number = models.CharField(_("policy number"), max_length=64)
    holder = models.ForeignKey(
        Client, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="policies_held"
    )
    # The insured is the holder's own client record or one of the holder's family members:
    # exactly one of the two is set (checked by the database, see `policy_one_insured`).
    insured_client = models.ForeignKey(
        Client,
        verbose_name=_("insured (client)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies_insured",
    )
    insured_member = models.ForeignKey(
        FamilyMember,
        verbose_name=_("insured (family member)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies_insured",
    )
    sum_assured = models.DecimalField(_("sum assured"), max_digits=14, decimal_places=2)
    premium = models.DecimalField(_("premium per payment"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency, default="CNY")
    payment_frequency = models.CharField(
        _("payment frequency"), max_length=16, choices=Frequency, default=Frequency.ANNUAL
    )
    payment_term_years = models.PositiveSmallIntegerField(_("payment term (years)"), default=1)
    coverage_kind = models.CharField(
        _("coverage term"), max_length=16, choices=Coverage, default=Coverage.WHOLE_LIFE
    )
    coverage_value = models.PositiveSmallIntegerField(
        _("coverage years / to age"), null=True, blank=True
    )
    application_date = models.DateField(_("application date"), null=True, blank=True)
    effective_date = models.DateField(_("effective date"))
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    receipt_signed_date = models.DateField(_("receipt signed"), null=True, blank=True)
    cooling_off_end = models.DateField(_("cooling-off period ends"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=24, choices=Status, default=Status.PENDING)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    # month*100+day of the effective date, kept in step by save() so anniversaries of a month
    # can be matched by an index; a 29 February policy keeps 229 and the matcher maps it.
    anniversary_md = models.PositiveSmallIntegerField(editable=False, default=0)
    # The earliest unpaid premium due and the last day of its grace period, kept in step by
    # the policy services (`policy_premium_refresh`) so lapse risk is a filter on two indexed
    # dates instead of a computation per policy. Both are null once nothing more is due.
    # 缴至日期: every premium due before it is paid, recorded or not (the first premium, paid
    # at issue unless the agent says otherwise; those paid before an import). Empty: only the
    # payments recorded count. See `policies.dates`.
    premium_paid_to = models.DateField(_("premiums paid up to"), null=True, blank=True)
    premium_next_due = models.DateField(_("next premium due"), null=True, blank=True)
    premium_grace_end = models.DateField(_("grace period ends"), null=True, blank=True)
    # 保单托管: a policy the family bought through another agent or company, kept here for
    # its dates, touches and the household's cover. It never counts in the agent's own
    # figures (sales, premium won, referral wins, persistency, team pages): every such
    # figure filters on `Policy.objects.own()`.
    sold_by_others = models.BooleanField(_("sold by another agent or company"), default=False)
    sold_through = models.CharField(
        _("bought through"),
        max_length=100,
        blank=True,
        help_text=_("The other agent or company, e.g. 某某保险 王经理."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Audit trail (shown on the policy page). Left out: the status, which has its own history
    # (PolicyStatusChange, written with each move, nightly ones included); the premium dates
    # and anniversary key, which are derived from other rows; timestamps.
    objects = PolicyQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=[
            "status",
            "status_changed_at",
            "anniversary_md",
            "premium_next_due",
            "premium_grace_end",
            "created_at",
            "updated_at",
        ]
    )

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["-effective_date", "-id"]
        indexes = [
            models.Index(fields=["owner", "anniversary_md"], name="policy_owner_anniv_md"),
            models.Index(fields=["owner", "status"], name="policy_owner_status"),
            models.Index(fields=["owner", "premium_next_due"], name="policy_owner_next_due"),
            models.Index(fields=["owner", "premium_grace_end"], name="policy_owner_grace_end"),
            # The nightly cooling-off kind asks for (agent, day); policies without the date
            # (no receipt signed) are never asked for, so they stay out of the index.
            models.Index(
                fields=["owner", "cooling_off_end"],
                name="policy_owner_cooling_off",
                condition=models.Q(cooling_off_end__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                "insurer",
                "number",
                name="policy_number_unique_per_insurer",
                violation_error_message=_("This insurer already has a policy with this number."),
            ),
            models.CheckConstraint(
                condition=Q(insured_client__isnull=False, insured_member__isnull=True)
                | Q(insured_client__isnull=True, insured_member__isnull=False),
                name="policy_one_insured",
                violation_error_message=_(
                    "The insured is either a client or a family member, exactly one."
                ),
            ),
            models.CheckConstraint(
                condition=Q(coverage_kind="whole_life", coverage_value__isnull=True)
                # isnull=False spelled out: a CHECK on NULL > 0 is unknown, and unknown passes.
                | (
                    ~Q(coverage_kind="whole_life")
                    & Q(coverage_value__isnull=False, coverage_value__gt=0)
                ),
                name="policy_coverage_value",
                violation_error_message=_(
                    "Give the number of years or the age for a term cover, none for whole life."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.insurer} {self.number}" if self.insurer_id else self.number

    def save(self, *args, **kwargs):
        if self.effective_date:
            self.anniversary_md = month_day_key(self.effective_date.month, self.effective_date.day)
        super().save(*args, **kwargs)

    @property
    def insured(self) -> Client | FamilyMember | None:
        return self.insured_client or self.insured_member

    @property
    def insured_birth_date(self):
        insured = self.insured
        return insured.birth_date if insured else None

    def allowed_next_statuses(self) -> list[str]:
        """The statuses the policy may move to now, in the order of Status."""
        return allowed_next(self.TRANSITIONS, self.status, self.Status)


class PolicyStatusChange(StatusChange):
    """One step of a policy's status history; written only by `policy_set_status` (and, for
    the first step, by `policy_create`; nightly lapses in bulk). `by` and `note` come from
    StatusChange."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="status_history")
    from_status = models.CharField(_("from"), max_length=24, choices=Policy.Status, blank=True)
    to_status = models.CharField(_("to"), max_length=24, choices=Policy.Status)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["policy", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
