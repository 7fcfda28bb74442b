"""Service touches: who to contact, when and why; the agent's settings for them; and the
bookkeeping of the nightly build (runs and batches) that makes it safe to repeat."""

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import GreetingStyle

from .registry import Priority

# The JobMarker of the nightly build: its last completed day is the last day built.
BUILD_JOB = "touch_build"


class Touch(models.Model):
    """One reason to contact one client on one day.

    Written only by the build's INSERT … SELECT; the unique constraint is what makes a
    re-run, a redelivered task or two builds at once harmless. `kind` is the key of an
    occasion kind in the registry; `source` names the object it comes from ("policy:12",
    "member:3", "festival:mid_autumn", "client" …).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")

    Priority = Priority  # the registry's, so kinds declare theirs without the model

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="touches"
    )
    kind = models.CharField(_("occasion"), max_length=32)
    occasion_date = models.DateField(_("occasion date"))
    # The day it first shows as due (occasion date minus the lead time); snoozing moves it.
    due_date = models.DateField(_("due"))
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority, default=Priority.NORMAL
    )
    source = models.CharField(_("source"), max_length=48)
    label = models.CharField(_("about"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.OPEN)
    note = models.CharField(_("note"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    interaction = models.ForeignKey(
        "clients.Interaction",
        verbose_name=_("interaction"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("touch")
        verbose_name_plural = _("touches")
        ordering = ["due_date", "priority", "id"]
        constraints = [
            models.UniqueConstraint(
                "owner", "client", "kind", "occasion_date", "source", name="touch_unique_occasion"
            )
        ]
        indexes = [
            # The dashboard: an agent's open touches by due date.
            models.Index(
                fields=["owner", "due_date"],
                condition=Q(status="open"),
                name="touch_open_by_due",
            ),
            models.Index(fields=["client", "-occasion_date"], name="touch_client_history"),
            # The nightly neglect kind's probe, one per silent client: "a touch for this
            # silence already?" answered from the index alone (touches.occasions).
            models.Index(
                fields=["client", "occasion_date", "owner"],
                condition=Q(kind="neglect"),
                name="touch_neglect_silence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.occasion_date} {self.client_id}"


class TouchPreference(models.Model):
    """An agent's setting for one occasion kind; no row means the kind's defaults."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="touch_preferences"
    )
    kind = models.CharField(_("occasion"), max_length=32)
    enabled = models.BooleanField(_("enabled"), default=True)
    lead_days = models.PositiveSmallIntegerField(_("days ahead"))

    class Meta:
        verbose_name = _("touch setting")
        verbose_name_plural = _("touch settings")
        constraints = [models.UniqueConstraint("owner", "kind", name="touch_pref_unique")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.kind}"


class FestivalPreference(models.Model):
    """An agent's setting for one festival: on or off, its audience and its gift lead."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="festival_preferences"
    )
    festival = models.CharField(_("festival"), max_length=24)
    enabled = models.BooleanField(_("enabled"), default=True)
    audience = models.CharField(_("audience"), max_length=32)
    lead_days = models.PositiveSmallIntegerField(_("days ahead"))

    class Meta:
        verbose_name = _("festival setting")
        verbose_name_plural = _("festival settings")
        constraints = [models.UniqueConstraint("owner", "festival", name="festival_pref_unique")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.festival}"


class ContactCadence(models.Model):
    """An agent's contact cadence for one client tier (clients.models.Client.Tier): a client
    of the tier not contacted for `days` gets a "not contacted for a long time" touch. No row:
    the tier's default (`touches.occasions.TIER_CADENCE_DAYS`); the Standard tier's cadence
    is the agent's "days without contact" setting of the neglect kind (TouchPreference)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_cadences"
    )
    tier = models.CharField(_("VIP tier"), max_length=16)
    days = models.PositiveSmallIntegerField(_("days without contact"))

    class Meta:
        verbose_name = _("contact cadence")
        verbose_name_plural = _("contact cadences")
        constraints = [models.UniqueConstraint("owner", "tier", name="contact_cadence_unique")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.tier} {self.days}"


class GreetingTemplate(models.Model):
    """An agent's own wording for an occasion kind (or one festival) in one greeting style
    (clients.models.GreetingStyle); placeholders {name}, {festival} and {label}, stored in
    that spelling whichever the agent typed ({称呼} …). Without one, the built-in wording of
    the style is used."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="greeting_templates"
    )
    kind = models.CharField(_("occasion"), max_length=32)
    festival = models.CharField(_("festival"), max_length=24, blank=True)
    style = models.CharField(
        _("greeting style"), max_length=8, choices=GreetingStyle, default=GreetingStyle.FORMAL
    )
    text = models.TextField(_("text"), max_length=1000)

    class Meta:
        verbose_name = _("greeting template")
        verbose_name_plural = _("greeting templates")
        constraints = [
            models.UniqueConstraint(
                "owner", "kind", "festival", "style", name="greeting_unique_style"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.festival} {self.style}".replace("  ", " ")


class TouchBuildRun(models.Model):
    """The build of one due day: complete when every batch of agents is done."""

    day = models.DateField(unique=True)
    batches_total = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    touches_written = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("touch build")
        verbose_name_plural = _("touch builds")
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)


class TouchBuildBatch(models.Model):
    """A range of agent ids of one run. `done_at` is set once, by a conditional update, so a
    redelivered task counts its batch only once."""

    run = models.ForeignKey(TouchBuildRun, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    first_owner_id = models.BigIntegerField()
    last_owner_id = models.BigIntegerField()
    touches_written = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint("run", "number", name="touch_batch_unique")]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.number}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret behind an agent's iCalendar URL; regenerating it kills the old URL."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.owner_id)


# The morning email's default hour (local time, settings.TIME_ZONE): after the night's build.
DIGEST_DEFAULT_TIME = datetime.time(7, 0)


class DigestPreference(models.Model):
    """When and where a user's morning email goes. No row means the defaults: on, to the
    account's email address, at DIGEST_DEFAULT_TIME."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="digest_preference",
    )
    enabled = models.BooleanField(_("send the morning email"), default=True)
    # Blank: the account's own email address.
    email = models.EmailField(_("email address"), blank=True)
    send_at = models.TimeField(_("send at"), default=DIGEST_DEFAULT_TIME)

    class Meta:
        verbose_name = _("email digest setting")
        verbose_name_plural = _("email digest settings")

    def __str__(self) -> str:
        return str(self.owner_id)
