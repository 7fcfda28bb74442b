"""Delivering a new policy (递交保单): the deck's checklist of preparation items and delivery
steps, one Delivery record per policy and a DeliveryTick per item done.

Moved from the policies app with their tables (`db_table`); see migration servicing 0001."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policies.models import Policy


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


# The years a delivery appointment may fall in (services.delivery_update checks).
APPOINTMENT_YEARS = (2000, 2100)


class Delivery(models.Model):
    """One per policy, created on first use. Each ticked item is a DeliveryTick row."""

    policy = models.OneToOneField(Policy, on_delete=models.CASCADE, related_name="delivery")
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        db_table = "policies_delivery"
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
        db_table = "policies_deliverytick"
        verbose_name = _("delivery item done")
        verbose_name_plural = _("delivery items done")
        constraints = [models.UniqueConstraint("delivery", "item", name="delivery_tick_unique")]

    def __str__(self) -> str:
        return self.get_item_display()
