"""Gifts (节日的礼物, 赠书籍杂志) and the pitfall of expensive ones (送贵重礼品).

A Gift is one present to one client: what, for which occasion, what it cost, when. The caps
in force when it was logged are kept on the row (`gift_cap`, `year_cap`, and the client's
total for that year including it, `year_total`), so the manager's list of gifts above the
cap is one filtered query and stays what the agent was warned about then.

GiftCap is an agent's cap for one client tier (no row: the tier's default in
`gifts.rules.DEFAULT_CAPS`), as ContactCadence is an agent's cadence per tier. GiftIdeas is
an agent's own list of ideas for a segment or a festival (no row: the deck's defaults in
`gifts.ideas`).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from touches.festivals import FESTIVALS


class Occasion(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    ANNIVERSARY = "anniversary", _("Wedding anniversary")
    EVENT = "event", _("Client event")
    HOSPITAL = "hospital", _("Hospital visit")
    THANKS = "thanks", _("Thanks for a referral")
    OTHER = "other", _("Other")


def occasion_choices() -> list[tuple[str, str]]:
    """The gift's occasions: the festivals the touch list knows, then the others."""
    return [
        (Occasion.BIRTHDAY.value, Occasion.BIRTHDAY.label),
        *((f.key, f.label) for f in FESTIVALS),
        *((o.value, o.label) for o in Occasion if o != Occasion.BIRTHDAY),
    ]


OCCASION_KEYS = {key for key, _label in occasion_choices()}


class GiftQuerySet(models.QuerySet):
    def above_cap(self):
        """Gifts that cost more than the cap per gift, or took the client's year over the
        cap per year, as the caps stood when they were logged."""
        return self.filter(Q(cost__gt=F("gift_cap")) | Q(year_total__gt=F("year_cap")))


class Gift(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="gifts",
    )
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="gifts"
    )
    what = models.CharField(_("gift"), max_length=120)
    occasion = models.CharField(_("occasion"), max_length=24, default=Occasion.OTHER)
    cost = models.DecimalField(_("cost"), max_digits=10, decimal_places=2)
    given_on = models.DateField(_("given on"))
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    # The caps in force at entry and the client's total for the year with this gift.
    gift_cap = models.DecimalField(_("cap per gift"), max_digits=10, decimal_places=2)
    year_cap = models.DecimalField(_("cap per client per year"), max_digits=10, decimal_places=2)
    year_total = models.DecimalField(_("client's year total"), max_digits=12, decimal_places=2)
    # The agent saw the warning (above a cap, or the same gift as last time) and went on.
    warning_confirmed = models.BooleanField(_("warning confirmed"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GiftQuerySet.as_manager()

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        ordering = ["-given_on", "-id"]
        indexes = [
            models.Index(fields=["client", "given_on"], name="gift_client_date"),
            models.Index(fields=["owner", "given_on"], name="gift_owner_date"),
        ]
        constraints = [models.CheckConstraint(condition=Q(cost__gte=0), name="gift_cost_positive")]

    def __str__(self) -> str:
        return f"{self.what} {self.given_on}"

    @property
    def occasion_label(self) -> str:
        return dict(occasion_choices()).get(self.occasion, self.occasion)

    @property
    def over_gift_cap(self) -> bool:
        return self.cost > self.gift_cap

    @property
    def over_year_cap(self) -> bool:
        return self.year_total > self.year_cap


class GiftCap(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gift_caps"
    )
    tier = models.CharField(_("VIP tier"), max_length=16, choices=Client.Tier)
    per_gift = models.DecimalField(_("cap per gift"), max_digits=10, decimal_places=2)
    per_year = models.DecimalField(_("cap per client per year"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("gift cap")
        verbose_name_plural = _("gift caps")
        constraints = [models.UniqueConstraint("owner", "tier", name="gift_cap_unique")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.tier}"


class GiftIdeas(models.Model):
    """An agent's ideas for one topic ("segment:woman", "festival:mid_autumn"), one a line."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gift_ideas"
    )
    topic = models.CharField(_("topic"), max_length=40)
    ideas = models.TextField(_("ideas"), max_length=2000)

    class Meta:
        verbose_name = _("gift ideas")
        verbose_name_plural = _("gift ideas")
        constraints = [models.UniqueConstraint("owner", "topic", name="gift_ideas_unique")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.topic}"
