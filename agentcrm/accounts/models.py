"""Users (agent, manager, admin) and nested teams: who manages whom decides what a manager may
see."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Team(models.Model):
    """A manager's team. Teams nest: a manager's manager sees the sub-teams."""

    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.PROTECT,
        related_name="managed_teams",
        null=True,
        blank=True,
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent team"),
        on_delete=models.PROTECT,
        related_name="children",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk:
                raise ValidationError({"parent": _("A team cannot be inside itself.")})
            ancestor = ancestor.parent


class User(AbstractUser):
    class Role(models.TextChoices):
        AGENT = "agent", _("Agent")
        MANAGER = "manager", _("Manager")
        ADMIN = "admin", _("Administrator")

    role = models.CharField(_("role"), max_length=16, choices=Role, default=Role.AGENT)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        related_name="members",
        null=True,
        blank=True,
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_manager(self) -> bool:
        return self.role in (self.Role.MANAGER, self.Role.ADMIN)

    @property
    def otp_allowed(self) -> bool:
        """Managers and admins (and anyone with admin-site access) may enrol a second factor;
        once they have, every sign-in asks for it."""
        return self.is_manager or self.is_staff or self.is_superuser

    @property
    def otp_required(self) -> bool:
        """Superusers and staff (admin-site access) must sign in with a second factor: until
        they enrol, every page sends them to /accounts/otp/setup/. For managers it stays
        optional."""
        return self.is_staff or self.is_superuser


class UserSession(AbstractBaseSession):
    """A login session (the sessions engine is agentcrm.accounts.sessions), with the user it
    belongs to, so a user's sessions can be ended without decoding every row. Rows of
    anonymous sessions (the language choice, a login page's CSRF) have no user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore
