"""Forms of the client archive. They parse input; the birthday, lunar and other rules are in
clients.rules, shared with the services and the import."""

import re

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from agentcrm.core.forms import DateInput

from .id_numbers import id_number_normalise
from .models import (
    Client,
    Commitment,
    CustomDate,
    FamilyMember,
    GreetingStyle,
    Interaction,
    LifeEvent,
)
from .rules import BIRTHDAY_FIELDS, birthday_problems, client_problems, custom_date_problems

# A mainland ID card number (18 characters, the last a digit or X; the old 15 digits), or a
# passport or permit number of 6 to 20 letters and digits.
ID_NUMBER_RE = re.compile(r"\d{17}[\dX]|\d{15}|[A-Z0-9]{6,20}")


def _check(form: forms.BaseForm, problems, filled) -> None:
    """Put a rule's problems (clients.rules) beside their fields and keep what it filled in."""
    for field, message in problems:
        form.add_error(field, message)
    form.cleaned_data.update(filled)


class ClientForm(forms.ModelForm):
    # Typed with spaces, dashes or full-width digits as often as not: clients.rules checks
    # and normalises it. Never shown in full: an edit shows the masked number as a hint and
    # an empty box keeps it.
    id_number = forms.CharField(label=_("ID number"), required=False, max_length=30)
    mobile = PhoneNumberField(label=_("mobile phone"), region="CN", required=False)
    phone_other = PhoneNumberField(label=_("other phone"), region="CN", required=False)
    tag_names = forms.CharField(
        label=_("tags"),
        required=False,
        help_text=_("Separate tags with commas."),
        max_length=500,
    )

    class Meta:
        model = Client
        fields = [
            "name",
            "gender",
            "salutation",
            "greeting_style",
            *BIRTHDAY_FIELDS,
            "id_number",
            "mobile",
            "phone_other",
            "wechat_id",
            "email",
            "address",
            "id_number",
            "occupation",
            "employer",
            "industry",
            "marital_status",
            "wedding_date",
            "income_band",
            "segments",
            "tag_names",
            "interests",
            "vip_tier",
            "is_influence_centre",
            "source",
            "stage",
            "do_not_contact",
            "do_not_contact_reason",
            "notes",
        ]
        widgets = {
            "birth_date": DateInput(),
            "wedding_date": DateInput(),
            "segments": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "salutation": _(
                "How you address the client in greetings: 王总, 李姐, 张老师. "
                "Left blank: 王先生 or 王女士 from the surname and gender."
            ),
            "greeting_style": _("Which wording of the greetings this client gets."),
        }

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        suggestion = self.instance.suggested_salutation if self.instance.pk else ""
        self.fields["salutation"].widget.attrs["placeholder"] = suggestion or _("e.g. 王总")
        if self.instance.id_number:
            self.initial["id_number"] = ""
            self.fields["id_number"].widget.attrs["placeholder"] = self.instance.id_number_masked
            self.fields["id_number"].help_text = _("Leave empty to keep the number recorded.")
        else:
            self.fields["id_number"].help_text = _(
                "18 characters; it fills in the birth date and gender when they are empty."
            )
        # A post without it (an older page, a script) keeps the client's style.
        self.fields["greeting_style"].required = False
        if self.instance.pk:
            self.fields["tag_names"].initial = ", ".join(t.name for t in self.instance.tags.all())
        # The ID number is never sent back to the browser: the page shows it masked and a
        # blank field keeps it.
        self.initial["id_number"] = ""
        self.fields["id_number"].widget.attrs["autocomplete"] = "off"
        if self.instance.id_number:
            self.fields["id_number"].help_text = _(
                "Stored: %(masked)s. Leave blank to keep it; type a new one to replace it."
            ) % {"masked": self.instance.id_number_masked}
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_greeting_style(self):
        return (
            self.cleaned_data.get("greeting_style")
            or self.instance.greeting_style
            or GreetingStyle.FORMAL
        )

    def clean_id_number(self) -> str:
        value = id_number_normalise(self.cleaned_data.get("id_number"))
        if not value:
            return self.instance.id_number or ""
        if not ID_NUMBER_RE.fullmatch(value):
            raise forms.ValidationError(
                _(
                    "Enter the ID card number (15 or 18 characters) or a passport "
                    "number: letters and digits only."
                )
            )
        return value

    def clean_tag_names(self) -> list[str]:
        """The names typed between commas (ASCII, full-width or 、), as the services take them."""
        text = self.cleaned_data["tag_names"]
        return text.replace("，", ",").replace("、", ",").split(",")

    def clean(self):
        cleaned = super().clean()
        _check(self, *client_problems(cleaned))
        return cleaned


class FamilyMemberForm(forms.ModelForm):
    class Meta:
        model = FamilyMember
        fields = [
            "relation",
            "name",
            "gender",
            *BIRTHDAY_FIELDS,
            "is_living",
            "as_client",
            "notes",
        ]
        widgets = {"birth_date": DateInput()}
        help_texts = {
            "as_client": _("When this person is your client too: one birthday reminder, not two.")
        }

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the agent's own clients (none without an agent): never another agent's.
        clients = Client.objects.filter(owner=owner, merged_into__isnull=True) if owner else None
        self.fields["as_client"].queryset = (
            clients.exclude(pk=self.instance.client_id)
            if clients is not None
            else Client.objects.none()
        ).only("pk", "name")

    def clean(self):
        cleaned = super().clean()
        _check(self, *birthday_problems(cleaned))
        return cleaned


class CustomDateForm(forms.ModelForm):
    class Meta:
        model = CustomDate
        fields = ["name", "calendar", "year", "month", "day", "leap"]

    def clean(self):
        cleaned = super().clean()
        _check(self, *custom_date_problems(cleaned))
        return cleaned


FamilyFormSet = forms.inlineformset_factory(
    Client, FamilyMember, form=FamilyMemberForm, fk_name="client", extra=1, can_delete=True
)
CustomDateFormSet = forms.inlineformset_factory(
    Client, CustomDate, form=CustomDateForm, extra=1, can_delete=True
)


class InteractionForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ["kind", "date", "summary", "gift_value"]
        widgets = {"date": DateInput()}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date") and cleaned["date"] > timezone.localdate():
            self.add_error("date", _("An interaction cannot be in the future; add a commitment."))
        if cleaned.get("gift_value") is not None and cleaned.get("kind") != Interaction.Kind.GIFT:
            self.add_error("gift_value", _("Only gifts have a value."))
        if cleaned.get("gift_value") is not None and cleaned["gift_value"] < 0:
            self.add_error("gift_value", _("A gift's value cannot be negative."))
        return cleaned


class LifeEventForm(forms.ModelForm):
    class Meta:
        model = LifeEvent
        fields = ["kind", "date", "notes"]
        widgets = {"date": DateInput()}


class CommitmentForm(forms.ModelForm):
    class Meta:
        model = Commitment
        fields = ["description", "due_date"]
        widgets = {"due_date": DateInput()}
