"""The second factor: the code asked after the password, and enrolment for managers and
admins (/accounts/otp/setup/)."""

import math
from base64 import b32encode
from binascii import unhexlify

import qrcode
import qrcode.image.svg
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import selectors, services
from .forms import OTPCodeForm, OTPSetupForm

SETUP_KEY_SESSION = "otp_setup_key"
BACKUP_CODES_SESSION = "otp_backup_codes_once"


LOCKOUT_STATUS = 429  # Too Many Requests


@login_not_required
def lockout(request, original_response=None, credentials=None):
    """What a locked-out sign-in gets (AXES_LOCKOUT_CALLABLE): how long to wait, in the
    user's language, with status 429."""
    cool_off = get_cool_off(request)
    return render(
        request,
        "registration/lockout.html",
        {
            "failure_limit": get_failure_limit(request, credentials),
            "cooloff_minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else None,
        },
        status=LOCKOUT_STATUS,
    )


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path only: redirect() takes anything else ("0") for a URL pattern name (a 500).
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """Second step of signing in for an enrolled manager or admin."""
    user = request.user
    if user.is_verified() or not user.otp_allowed or not selectors.otp_enrolled(user=user):
        return redirect(_next_url(request))
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.otp_verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            request.session.cycle_key()  # a new key for the now fully signed-in session
            return redirect(_next_url(request))
        form.add_error(
            "code", _("That code is not right, or was already used. Wait a moment and retry.")
        )
    return render(
        request,
        "registration/otp_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )


def _qr_svg(url: str) -> str:
    """The otpauth URL as an inline SVG QR code, drawn here: nothing is fetched."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308 - our own SVG


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _require_otp_allowed(user) -> None:
    if not user.otp_allowed:
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """Enrol an authenticator app: scan the QR code (or type the secret), confirm with a
    code. Once enrolled, the page shows the state, the backup codes once, and how to turn
    the second step off."""
    user = request.user
    _require_otp_allowed(user)
    enrolled = selectors.otp_enrolled(user=user)
    if enrolled:
        return render(
            request,
            "registration/otp_setup.html",
            {
                "enrolled": True,
                "backup_codes": request.session.pop(BACKUP_CODES_SESSION, None),
                "backup_codes_left": selectors.otp_backup_codes_left(user=user),
                "form": OTPSetupForm(),
            },
        )
    key = request.session.get(SETUP_KEY_SESSION)
    if not key:
        key = request.session[SETUP_KEY_SESSION] = services.otp_secret_new()
    form = OTPSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.otp_enrol(user=user, key=key, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc.message_dict["code"])
        else:
            device = TOTPDevice.objects.get(user=user, confirmed=True)
            otp_login(request, device)
            request.session.pop(SETUP_KEY_SESSION, None)
            request.session[BACKUP_CODES_SESSION] = codes
            messages.success(request, _("Two-step sign-in is on."))
            return redirect("otp_setup")
    pending = TOTPDevice(user=user, key=key)  # not saved: only its otpauth URL is needed
    return render(
        request,
        "registration/otp_setup.html",
        {
            "enrolled": False,
            "form": form,
            "qr_svg": _qr_svg(pending.config_url),
            "secret": _grouped(b32encode(unhexlify(key)).decode()),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def otp_disable(request):
    """Turn the second step off; a current code is asked so an unattended session cannot."""
    user = request.user
    _require_otp_allowed(user)
    if user.otp_required:
        messages.error(
            request, _("Administrators must sign in in two steps: it cannot be turned off.")
        )
        return redirect("otp_setup")
    form = OTPSetupForm(request.POST)
    if form.is_valid() and services.otp_verify(user=user, code=form.cleaned_data["code"]):
        services.otp_disable(user=user)
        messages.success(request, _("Two-step sign-in is off."))
    else:
        messages.error(request, _("That code is not right: two-step sign-in is still on."))
    return redirect("otp_setup")


@require_POST
def otp_backup_codes(request):
    """New backup codes, shown once on the setup page."""
    user = request.user
    _require_otp_allowed(user)
    if not selectors.otp_enrolled(user=user):
        return redirect("otp_setup")
    request.session[BACKUP_CODES_SESSION] = services.otp_backup_codes_renew(user=user)
    return redirect("otp_setup")
