"""Operations records every app may use: job markers (nightly runs, digests), the export log,
and the abstract StatusChange log of a status machine."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobMarker(models.Model):
    """Progress of a scheduled job: the last day it completed and when it last succeeded.

    One row per job name; the nightly build moves it forward only when a run is complete,
    and /healthz reports `last_success_at`.
    """

    name = models.CharField(_("job"), max_length=64, unique=True)
    last_completed_day = models.DateField(_("last day completed"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)

    class Meta:
        verbose_name = _("job marker")
        verbose_name_plural = _("job markers")

    def __str__(self) -> str:
        return self.name


class ExportLog(models.Model):
    """One file of client data that left the system: who downloaded which export, when, and
    how many rows it held. Written by `export_log_record`; read in the admin only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("export"), max_length=64)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    row_count = models.PositiveIntegerField(_("rows"))

    class Meta:
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="exportlog_user_created")]

    def __str__(self) -> str:
        return f"{self.kind} · {self.user_id} · {self.created_at:%Y-%m-%d %H:%M}"


class StatusChange(models.Model):
    """One step of a status machine's log: from, to, when, by whom and why. Written only by
    `agentcrm.core.transitions.status_move` (and by the services that open the object, for
    its first step, from "").

    The base declares the fields every log has under the same name, `by` and `note`. Each
    log adds its link to the object and its from, to and time fields, whose choices (and, for
    a referral's stages, names) are its own: `FROM_FIELD`, `TO_FIELD` and `AT_FIELD` name
    them for `status_move`.
    """

    FROM_FIELD = "from_status"
    TO_FIELD = "to_status"
    AT_FIELD = "at"

    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        abstract = True
