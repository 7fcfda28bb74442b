"""The erasure log: who erased which client's personal data, when and why. The client row
stays (anonymised), so `client` is a real link; the log names no person."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ErasureLog(models.Model):
    class Reason(models.TextChoices):
        REQUEST = "request", _("The client asked for erasure")
        REFERRAL_RETENTION = "referral_retention", _("Referral contact past its retention")

    # The log outlives the row, should it ever be deleted.
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    # None: the nightly purge.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=24, choices=Reason)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    # How many rows of each kind were blanked or deleted ({"history": 12, …}).
    counts = models.JSONField(_("rows"), default=dict)

    class Meta:
        verbose_name = _("erasure log entry")
        verbose_name_plural = _("erasure log")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.client_id} · {self.created_at:%Y-%m-%d}"
