"""Handing over a departing agent's book (孤儿单): one row per handover, and one per client
saying who served them before and who serves them now."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clients.models import Client


class Handover(models.Model):
    from_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("departing agent"),
        on_delete=models.PROTECT,
        related_name="handovers_from",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed over by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("handed over"), auto_now_add=True)
    clients_moved = models.PositiveIntegerField(_("clients"), default=0)
    policies_moved = models.PositiveIntegerField(_("policies"), default=0)

    class Meta:
        verbose_name = _("book handover")
        verbose_name_plural = _("book handovers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_agent} {self.created_at:%Y-%m-%d}"


class HandoverClient(models.Model):
    """Who served the client before: kept for good, shown on the client's page."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="clients")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="agent_changes")
    from_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("previous agent"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("new agent"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_on = models.DateField(_("handed over on"))

    class Meta:
        verbose_name = _("agent change")
        verbose_name_plural = _("agent changes")
        ordering = ["-changed_on", "-id"]
        indexes = [models.Index(fields=["changed_on"], name="handoverclient_changed")]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.from_agent_id} → {self.to_agent_id}"
