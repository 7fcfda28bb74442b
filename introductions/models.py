"""Introductions between clients (为客户牵头做生意, 做个红娘).

A client's business offer (a car wash, with a discount for the agent's clients) and needs
(owns a car, runs a shop, looking for …), each recorded with the date the client agreed to
be introduced: without that date a row is never matched. Matchmaking is opt-in per person
(the client or a family member, such as a grown child) and private to the agent.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, FamilyMember, Segment

# The follow-up touch kind ("ask both how it went", introductions.occasions).
FOLLOW_UP_KIND = "introduction_follow_up"
FOLLOW_UP_DAYS = 7


class NeedKind(models.TextChoices):
    OWNS_CAR = "owns_car", _("Owns a car")
    RUNS_SHOP = "runs_shop", _("Runs a shop or company")
    HOME = "home", _("Home: renovation, moving, housekeeping")
    CHILDREN = "children", _("Children: tutoring, schools")
    HEALTH = "health", _("Health and fitness")
    LOOKING_FOR = "looking_for", _("Looking for something else")


class Offer(models.Model):
    """What a client sells or does, offered to the agent's other clients."""

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="intro_offers"
    )
    title = models.CharField(_("what they sell or do"), max_length=100)
    discount = models.CharField(_("discount for clients"), max_length=100, blank=True)
    # Which needs it serves; words that find it in needs, tags and interests (洗车 汽车).
    serves = models.CharField(
        _("serves the need"), max_length=16, choices=NeedKind, blank=True, default=""
    )
    keywords = models.CharField(
        _("keywords"), max_length=200, blank=True, help_text=_("Separated by spaces or commas.")
    )
    segment = models.CharField(
        _("for clients of segment"), max_length=32, choices=Segment.Code, blank=True, default=""
    )
    consent_on = models.DateField(_("agreed to be introduced on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("business offer")
        verbose_name_plural = _("business offers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Need(models.Model):
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="intro_needs"
    )
    kind = models.CharField(_("need"), max_length=16, choices=NeedKind)
    description = models.CharField(_("details"), max_length=200, blank=True)
    consent_on = models.DateField(_("agreed to be introduced on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.description}".strip()


class MatchProfile(models.Model):
    """One single person (the client, or a family member such as a grown child) who opted in
    to matchmaking (做个红娘). Private to the agent: no manager page shows it."""

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="match_profiles"
    )
    # Blank: the client themselves.
    member = models.ForeignKey(
        FamilyMember,
        verbose_name=_("family member"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="match_profiles",
    )
    opted_in_on = models.DateField(_("opted in on"))
    notes = models.CharField(_("what they look for"), max_length=300, blank=True)
    active = models.BooleanField(_("still looking"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("matchmaking profile")
        verbose_name_plural = _("matchmaking profiles")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "client", "member", name="match_profile_once", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return self.person_name

    @property
    def person_name(self) -> str:
        return self.member.name if self.member_id else self.client.name


class Introduction(models.Model):
    class Kind(models.TextChoices):
        BUSINESS = "business", _("Business")
        MATCHMAKING = "matchmaking", _("Matchmaking")

    class Outcome(models.TextChoices):
        PENDING = "", _("Not asked yet")
        WENT_WELL = "went_well", _("Went well")
        NOTHING_CAME = "nothing_came", _("Nothing came of it")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="introductions",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind, default=Kind.BUSINESS)
    # Business: `client_a` made the offer, `client_b` had the need. Matchmaking: the clients
    # of the two profiles.
    client_a = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    client_b = models.ForeignKey(
        Client, verbose_name=_("introduced to"), on_delete=models.CASCADE, related_name="+"
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.SET_NULL, null=True, blank=True, related_name="introductions"
    )
    profile_a = models.ForeignKey(
        MatchProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    profile_b = models.ForeignKey(
        MatchProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    introduced_on = models.DateField(_("introduced on"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    outcome = models.CharField(
        _("how it went"), max_length=16, choices=Outcome, blank=True, default=Outcome.PENDING
    )
    outcome_note = models.CharField(_("what they said"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("introduction")
        verbose_name_plural = _("introductions")
        ordering = ["-introduced_on", "-id"]
        indexes = [models.Index(fields=["owner", "-introduced_on"], name="intro_owner_date")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(client_a=models.F("client_b")),
                name="intro_two_clients",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_a_id}→{self.client_b_id}"
