"""Client appreciation events (举办客户联谊会): an event, its invitees and the guests they brought.

An invitee moves invited → accepted / declined → attended / no-show (`Invitee.TRANSITIONS`,
moved by `agentcrm.core.transitions.status_move`, logged in InviteeStatusChange), with the
date of each step kept on the row (`invited_on`, `answered_on`, `attended_on`) so the touches
and the figures need no join on the log. A guest an invitee brings is a referral (context
"event") through referrals.services, linked here to the event by EventGuest.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agentcrm.core.models import StatusChange
from clients.models import Client


class Event(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="client_events",
    )
    title = models.CharField(_("title"), max_length=120)
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    budget = models.DecimalField(_("budget"), max_digits=12, decimal_places=2, default=0)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("client event")
        verbose_name_plural = _("client events")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["owner", "date"], name="event_owner_date")]

    def __str__(self) -> str:
        return f"{self.title} {self.date}"

    def get_absolute_url(self) -> str:
        return reverse("events:detail", args=[self.pk])


class InviteeStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("No-show")


# The way things normally go, for the page's buttons.
ANSWERED = (InviteeStatus.ACCEPTED, InviteeStatus.DECLINED)
CAME = (InviteeStatus.ATTENDED,)


class Invitee(models.Model):
    # Where a status may go next: an answer may change its mind until the day, and the
    # attendance may be corrected (attended ↔ no-show); nobody goes back to "invited".
    TRANSITIONS = {
        InviteeStatus.INVITED: {
            InviteeStatus.ACCEPTED,
            InviteeStatus.DECLINED,
            InviteeStatus.ATTENDED,
            InviteeStatus.NO_SHOW,
        },
        InviteeStatus.ACCEPTED: {
            InviteeStatus.DECLINED,
            InviteeStatus.ATTENDED,
            InviteeStatus.NO_SHOW,
        },
        InviteeStatus.DECLINED: {InviteeStatus.ACCEPTED, InviteeStatus.ATTENDED},
        InviteeStatus.ATTENDED: {InviteeStatus.NO_SHOW},
        InviteeStatus.NO_SHOW: {InviteeStatus.ATTENDED},
    }

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="invitees"
    )
    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="event_invitations",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=InviteeStatus, default=InviteeStatus.INVITED
    )
    invited_on = models.DateField(_("invited on"))
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    attended_on = models.DateField(_("attendance recorded on"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"))
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("invitee")
        verbose_name_plural = _("invitees")
        ordering = ["event", "client__name", "id"]
        constraints = [
            models.UniqueConstraint("event", "client", name="invitee_event_client_unique")
        ]
        indexes = [models.Index(fields=["client", "status"], name="invitee_client_status")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.client_id} {self.status}"


class InviteeStatusChange(StatusChange):
    invitee = models.ForeignKey(Invitee, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, choices=InviteeStatus)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("invitee status change")
        verbose_name_plural = _("invitee status changes")
        ordering = ["at", "id"]


class EventGuest(models.Model):
    """A guest an invitee brought: a referred prospect (referral context "event")."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="guests"
    )
    invitee = models.ForeignKey(
        Invitee,
        verbose_name=_("brought by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="guests",
    )
    referral = models.OneToOneField(
        "referrals.Referral",
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="event_guest",
    )

    class Meta:
        verbose_name = _("event guest")
        verbose_name_plural = _("event guests")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.referral_id}"
