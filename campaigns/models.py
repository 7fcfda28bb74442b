"""A campaign of irregular service (不定期服务, 资讯通报, 获奖升级早报告): one message, for a
reason, to an audience of the agent's clients, each of whom gets a touch due on one day."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The touch kind of a campaign's touches (campaigns.occasions) and their source prefix.
CAMPAIGN_KIND = "campaign"
SOURCE_PREFIX = "campaign"


class Campaign(models.Model):
    class Reason(models.TextChoices):
        NEW_PRODUCT = "new_product", _("New product")
        POLICY_CHANGE = "policy_change", _("National policy change")
        COMPANY_EVENT = "company_event", _("Company event")
        AWARD = "award", _("My award or promotion")
        INFORMATION = "information", _("Useful information")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason)
    title = models.CharField(_("title"), max_length=40)
    # Stored with the internal placeholder spelling ({name}); shown as {称呼} to a Chinese reader.
    message = models.TextField(_("message"), max_length=150)
    due_date = models.DateField(_("due"))
    # The audience's filters as the form cleaned them (query-string values), for the record.
    audience = models.JSONField(_("audience"), default=dict, blank=True)
    touches_made = models.PositiveIntegerField(_("touches made"), default=0)
    do_not_contact_excluded = models.PositiveIntegerField(
        _("do-not-contact clients left out"), default=0
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="campaign_owner_created")]

    def __str__(self) -> str:
        return self.title

    @property
    def touch_source(self) -> str:
        return f"{SOURCE_PREFIX}:{self.pk}"
