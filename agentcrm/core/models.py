from django.db import models
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
