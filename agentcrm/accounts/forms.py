"""The sign-in forms: the password form (the site's and the admin's), the code at sign-in and
the code that confirms a new device."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _


class _UserNameLengthMixin:
    """Django's sign-in form sets the user name's max_length after the field was built, so
    the length is never checked: a 300-character name went on to the login throttle, whose
    record of the failure (255 characters at most) then failed with a database error (500).
    The length is checked here; a name too long for any account is refused as a wrong name,
    before any password is looked at."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))

    def clean(self):
        if "username" in self.errors:
            raise self.get_invalid_login_error()
        return super().clean()


class LoginForm(_UserNameLengthMixin, AuthenticationForm):
    pass


class AdminLoginForm(_UserNameLengthMixin, AdminAuthenticationForm):
    pass


class OTPCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class OTPSetupForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=8,
        help_text=_("The 6-digit code your authenticator app shows now."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
