"""Any save that leaves a user inactive (the admin, a script, the shell) ends their sessions,
even when it does not go through `user_deactivate`. Signing in starts the idle clock."""

import time

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from .middleware import IDLE_REFRESHED_KEY
from .models import User
from .services import user_sessions_end


@receiver(post_save, sender=User, dispatch_uid="accounts_inactive_user_sessions_end")
def inactive_user_sessions_end(sender, instance: User, created: bool, update_fields, **kwargs):
    if created or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    user_sessions_end(user=instance)


@receiver(user_logged_in, dispatch_uid="accounts_idle_clock_start")
def idle_clock_start(sender, request, user, **kwargs):
    """The login saves the session anyway: note the time in it, so SessionIdleRefreshMiddleware
    does not save it again on the next request."""
    session = getattr(request, "session", None)
    if session is not None:
        session[IDLE_REFRESHED_KEY] = int(time.time())
