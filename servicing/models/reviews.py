"""The annual policy review (年度保单检查) of a household.

Moved from the policies app with its tables (`db_table`, and the link tables named after it);
see migration servicing 0001."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Commitment
from policies.models import Policy


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
        db_table = "policies_annualreview"
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
