"""Rows dated against a policy: beneficiaries, riders, payouts and premium payments."""

import re

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .policy import Policy


class Beneficiary(models.Model):
    """A death beneficiary. The shares of one policy total 100; that is a rule over the whole
    set, so it is checked by the service that saves them together, not per row."""

    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        SIBLING = "sibling", _("Sibling")
        GRANDPARENT = "grandparent", _("Grandparent")
        GRANDCHILD = "grandchild", _("Grandchild")
        OTHER = "other", _("Other")

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="beneficiaries")
    name = models.CharField(_("name"), max_length=100)
    relation = models.CharField(_("relation to insured"), max_length=16, choices=Relation)
    share = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2)
    # Audit trail, shown on the policy page with the policy's own.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("beneficiary")
        verbose_name_plural = _("beneficiaries")
        ordering = ["policy", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share__gt=0, share__lte=100),
                name="beneficiary_share_range",
                violation_error_message=_("A share is more than 0%% and at most 100%%."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.share}%"


# What a rider's name says about its cover, first match wins (附加住院医疗 → medical, 附加重疾
# → critical illness, 附加意外 → accident, 附加定期寿险 → life); a premium waiver (豁免) and
# anything else is "other". Used when the agent leaves the rider's cover type empty, and by
# migration 0009 for the riders recorded before the type existed.
RIDER_TYPE_WORDS = (
    ("other", r"豁免"),
    ("medical", r"医疗|住院|门诊|手术|津贴|medical|hospital"),
    ("critical_illness", r"重疾|重大疾病|轻症|中症|癌|恶性肿瘤|critical"),
    ("accident", r"意外|accident"),
    ("life", r"寿险|身故|life"),
)


def rider_type_from_name(name: str) -> str:
    """The cover type a rider's name says (RIDER_TYPE_WORDS); "other" when it says none."""
    for kind, words in RIDER_TYPE_WORDS:
        if re.search(words, name or "", flags=re.IGNORECASE):
            return kind
    return Policy.Type.OTHER


class Rider(models.Model):
    """附加险. `expiry_date` is indexed: rider expiries are one of the deck's service moments.
    `policy_type` is the rider's own cover (a medical rider on a life policy), which the
    client's coverage summary counts beside the main policies'."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="riders")
    # The rider product's name (附加险名称), not a person's (姓名).
    name = models.CharField(_("rider name"), max_length=200)
    policy_type = models.CharField(
        _("cover type"),
        max_length=24,
        choices=Policy.Type,
        blank=True,
        help_text=_("Empty: read from the rider's name (医疗, 重疾, 意外…)."),
    )
    sum_assured = models.DecimalField(_("sum assured"), max_digits=14, decimal_places=2)
    premium = models.DecimalField(_("premium"), max_digits=12, decimal_places=2)
    start_date = models.DateField(_("start"))
    expiry_date = models.DateField(_("expiry"), db_index=True)
    yearly_renewable = models.BooleanField(_("renewed yearly"), default=False)
    # Audit trail, shown on the policy page with the policy's own.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rider")
        verbose_name_plural = _("riders")
        ordering = ["policy", "expiry_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expiry_date__gte=models.F("start_date")),
                name="rider_expiry_after_start",
                violation_error_message=_("A rider cannot expire before it starts."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The services fill an empty type before their bulk insert; this covers the rest.
        if not self.policy_type:
            self.policy_type = rider_type_from_name(self.name)
        super().save(*args, **kwargs)


class Payout(models.Model):
    """A scheduled benefit payment (生存金 / 年金 / 满期金), generated or entered by hand."""

    class Kind(models.TextChoices):
        SURVIVAL = "survival", _("Survival benefit (生存金)")
        ANNUITY = "annuity", _("Annuity (年金)")
        MATURITY = "maturity", _("Maturity benefit (满期金)")

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="payouts")
    date = models.DateField(_("date"), db_index=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    claimed = models.BooleanField(_("claimed"), default=False)
    claimed_on = models.DateField(_("claimed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["policy", "date", "id"]
        constraints = [
            # Generating the same pattern twice must not double the schedule.
            models.UniqueConstraint("policy", "kind", "date", name="payout_unique_per_date"),
            models.CheckConstraint(
                condition=Q(claimed=True) | Q(claimed_on__isnull=True),
                name="payout_claimed_on_only_if_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.amount}"


class PremiumPayment(models.Model):
    """A premium paid against one due date; one row per due date makes recording idempotent."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="premium_payments")
    due_date = models.DateField(_("due date"))
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("premium payment")
        verbose_name_plural = _("premium payments")
        ordering = ["policy", "due_date"]
        constraints = [
            models.UniqueConstraint("policy", "due_date", name="premium_payment_unique_due")
        ]

    def __str__(self) -> str:
        return f"{self.due_date}: {self.amount}"
