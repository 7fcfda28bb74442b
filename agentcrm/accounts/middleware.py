"""Session rules applied to every request: the second factor (enrolled managers; every
superuser and staff member), and the idle timeout."""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.urls import reverse

from .selectors import otp_enrolled

# Pages a signed-in user who still owes the second factor may open.
OTP_EXEMPT_URL_NAMES = frozenset({"otp_verify", "logout", "set_language", "healthz"})
# ... and, while they have not enrolled, a superuser or staff member (who must).
OTP_ENROL_URL_NAMES = frozenset({"otp_setup", "logout", "set_language", "healthz"})

IDLE_REFRESHED_KEY = "_idle_refreshed_at"


class OTPRequiredMiddleware:
    """A manager or admin with a confirmed TOTP device has signed in with a password only
    until they give a code: every page but /accounts/otp/ (and logging out) sends them there.

    Agents are never asked. For managers the second factor is optional and enforced from
    enrolment on. Superusers and staff must have one: until they enrol, every page but the
    enrolment page (and logging out) sends them there.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.otp_allowed:
            return None
        if user.is_verified():
            return None
        match = request.resolver_match
        name = match.url_name if match is not None else None
        if otp_enrolled(user=user):
            if name in OTP_EXEMPT_URL_NAMES:
                return None
            target = reverse("otp_verify")
        elif user.otp_required:
            if name in OTP_ENROL_URL_NAMES:
                return None
            target = reverse("otp_setup")
        else:
            return None
        if request.headers.get("HX-Request"):
            # htmx would swap the code page into a fragment: have it load the page instead.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect_to_login(request.get_full_path(), target, redirect_field_name="next")


class SessionIdleRefreshMiddleware:
    """The idle timeout: a signed-in session expires SESSION_COOKIE_AGE (8 hours) after its
    last use.

    Django moves a session's expiry only when the session is saved. Saving on every request
    (SESSION_SAVE_EVERY_REQUEST) would write the session row on each page, fragment and
    progress poll; instead the session is marked changed at most once every
    SESSION_IDLE_REFRESH_SECONDS, so it is saved (and its cookie renewed) that often. The
    timeout is therefore 8 hours, give or take those few minutes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or SESSION_KEY not in session:
            return response
        now = int(time.time())
        if now - session.get(IDLE_REFRESHED_KEY, 0) >= settings.SESSION_IDLE_REFRESH_SECONDS:
            session[IDLE_REFRESHED_KEY] = now
        return response
