"""What the handouts keep: the review as it was shown at an annual review (年度保单检查), so
next year's review can show what changed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewSnapshot(models.Model):
    """The household review's data (`handouts.selectors.review_data`) as shown at one annual
    review: one per review, replaced when the agent saves it again that day."""

    review = models.OneToOneField(
        "servicing.AnnualReview",
        verbose_name=_("annual review"),
        on_delete=models.CASCADE,
        related_name="handout_snapshot",
    )
    data = models.JSONField(_("review as shown"))
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    saved_at = models.DateTimeField(_("saved"), auto_now=True)

    class Meta:
        verbose_name = _("household review snapshot")
        verbose_name_plural = _("household review snapshots")

    def __str__(self) -> str:
        return f"{self.review} ({self.saved_at:%Y-%m-%d})"
