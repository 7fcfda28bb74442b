"""The service view's own rows: the commission rates an agent enters for the lapse guard, and
the monthly summary the nightly run keeps (`services.service_summary_refresh`) so the
manager's pages read a few hundred rows instead of years of touches and policies.

Summary rows are derived data: every one of them can be rebuilt from the history at any
time (`manage.py service_summary_rebuild`), and a rebuild gives the same rows.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CommissionRate(models.Model):
    """The first-year commission rate an agent earns on a product, or on every product of an
    insurer (product left blank): the lapse guard shows the commission a lapse may claw back.
    A product's rate wins over its insurer's."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="commission_rates"
    )
    insurer = models.ForeignKey(
        "policies.Insurer", verbose_name=_("insurer"), on_delete=models.CASCADE, related_name="+"
    )
    product_name = models.CharField(_("product"), max_length=200, blank=True)
    rate = models.DecimalField(_("commission rate (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("commission rate")
        verbose_name_plural = _("commission rates")
        ordering = ["insurer__name", "product_name"]
        constraints = [
            models.UniqueConstraint(
                "owner", "insurer", "product_name", name="commission_rate_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=100), name="commission_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.insurer_id} {self.product_name} {self.rate}%"


class ServiceMonth(models.Model):
    """One agent's service figures of one month (the nightly summary)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month
    # Promises (clients.Commitment) due in the month.
    promises_due = models.PositiveIntegerField(default=0)
    promises_on_time = models.PositiveIntegerField(default=0)
    promises_late = models.PositiveIntegerField(default=0)
    promises_open = models.PositiveIntegerField(default=0)  # open and past due
    # Contacts logged (clients.Interaction) dated in the month, and the clients they reached.
    contacts = models.PositiveIntegerField(default=0)
    clients_contacted = models.PositiveIntegerField(default=0)
    # Clients (not archived) with no contact in the 12 months up to the month's last day (or
    # up to the day of the run, for the month under way), and all the clients then.
    clients = models.PositiveIntegerField(default=0)
    clients_silent = models.PositiveIntegerField(default=0)
    # Policies that lapsed in the month (the nightly move, or a status set by hand).
    lapses = models.PositiveIntegerField(default=0)
    lapsed_premium = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # Handed-over clients' "introduce yourself" touches whose occasion fell in the month, and
    # those done within 7 days of the handover.
    introductions = models.PositiveIntegerField(default=0)
    introductions_on_time = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint("owner", "month", name="service_month_unique")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.month:%Y-%m}"


class ServiceMonthKind(models.Model):
    """One agent's touches of one occasion kind that fell due in one month."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    kind = models.CharField(max_length=32)
    due = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)  # done on or before the due day
    late = models.PositiveIntegerField(default=0)  # done after it
    skipped = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)  # still open and past due

    class Meta:
        constraints = [
            models.UniqueConstraint("owner", "month", "kind", name="service_month_kind_unique")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.month:%Y-%m} {self.kind}"


class PersistencyCohort(models.Model):
    """One agent's own policies issued in one month (the cohort) and how many of them were
    kept at their 13th and 25th month: counted, and by annualised premium. `reached_13` and
    `reached_25` are the policies whose point has passed on the day of the run."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    policies = models.PositiveIntegerField(default=0)
    premium = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    reached_13 = models.PositiveIntegerField(default=0)
    reached_13_premium = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    kept_13 = models.PositiveIntegerField(default=0)
    kept_13_premium = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    reached_25 = models.PositiveIntegerField(default=0)
    reached_25_premium = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    kept_25 = models.PositiveIntegerField(default=0)
    kept_25_premium = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [models.UniqueConstraint("owner", "month", name="persistency_cohort_unique")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.month:%Y-%m}"


class ServiceMonthBand(models.Model):
    """One agent's clients of one premium band at a month's end (the day of the run for the
    month under way): how many, their contacts in the 12 months up to that day, and those
    under the floor (`discipline.bands`: the definition, shared with the agent's page)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    band = models.CharField(max_length=16)
    clients = models.PositiveIntegerField(default=0)
    contacts = models.PositiveIntegerField(default=0)
    below_floor = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint("owner", "month", "band", name="service_month_band_unique")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.month:%Y-%m} {self.band}"
