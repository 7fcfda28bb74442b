"""Writes for users: ending sessions, deactivating an account, the second factor."""

import time
from binascii import unhexlify

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import match_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from .models import User, UserSession


def user_sessions_end(*, user: User) -> int:
    """Delete every session of `user` on the server: each of their browsers is signed out at
    its next request. Returns the number of sessions ended."""
    deleted, _by_model = UserSession.objects.filter(user_id=user.pk).delete()
    return deleted


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Switch the account off and sign it out everywhere. Data the user owns stays (clients
    and policies are PROTECTed); an admin moves it to another agent if needed."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    user_sessions_end(user=user)


# --- second factor (django-otp) ---------------------------------------------------------

OTP_DEVICE_NAME = "authenticator"
OTP_BACKUP_DEVICE_NAME = "backup"
OTP_BACKUP_CODES = 10


def otp_secret_new() -> str:
    """A fresh TOTP secret (40 hex characters, 160 bits), as django-otp stores it."""
    return random_hex(20)


def otp_code_matches(*, key: str, code: str) -> int | None:
    """Check a 6-digit code against a secret not yet saved. Returns the time step it matched
    (stored as the device's last use, so the same code cannot be used again), else None."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6, drift=0)
    totp.time = time.time()
    if totp.verify(int(code), tolerance=1):
        return totp.t()
    return None


@transaction.atomic
def otp_enrol(*, user: User, key: str, code: str) -> list[str]:
    """Enrol an authenticator app: the code proves the app holds `key`. Replaces any earlier
    device and issues new backup codes, returned once for the user to keep.

    Raises ValidationError when the code does not match."""
    last_t = otp_code_matches(key=key, code=code)
    if last_t is None:
        raise ValidationError(
            {"code": _("That code does not match. Check the time on your phone and try again.")}
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(
        user=user, name=OTP_DEVICE_NAME, key=key, confirmed=True, last_t=last_t
    )
    return otp_backup_codes_renew(user=user)


@transaction.atomic
def otp_backup_codes_renew(*, user: User) -> list[str]:
    """New single-use backup codes; the old ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=OTP_BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(OTP_BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def otp_verify(*, user: User, code: str):
    """The user's device that accepts `code` (an authenticator code or an unused backup code,
    which is then spent), or None. django-otp slows down repeated failures per device."""
    code = (code or "").strip().replace(" ", "").lower()
    if not code:
        return None
    return match_token(user, code)


@transaction.atomic
def otp_disable(*, user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
