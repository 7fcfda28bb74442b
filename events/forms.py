"""Forms of the event pages. They parse input only; the rules live in events.services."""

from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from agentcrm.core.forms import DateInput
from referrals.models import Relationship

from .models import Event, InviteeStatus


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = ["title", "date", "start_time", "end_time", "venue", "budget", "notes"]
        widgets = {
            "date": DateInput(),
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "title": _("e.g. 2026 New Year thank-you dinner"),
            "budget": _("Yuan, for the whole event"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["budget"].required = False


class InviteForm(forms.Form):
    """The clients ticked on the event page (from the suggestions or the filtered list)."""

    clients = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)

    def __init__(self, *args, client_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clients"].choices = [(pk, pk) for pk in client_ids]
        self.fields["clients"].error_messages["required"] = _("Tick at least one client.")
        self.fields["clients"].error_messages["invalid_choice"] = _(
            "One of the clients ticked cannot be invited (another agent's, archived or "
            "do-not-contact)."
        )


class StatusForm(forms.Form):
    seen = forms.ChoiceField(choices=InviteeStatus.choices)
    to = forms.ChoiceField(choices=InviteeStatus.choices)
    note = forms.CharField(max_length=300, required=False)


class GuestForm(forms.Form):
    name = forms.CharField(label=_("Guest's name"), max_length=100)
    mobile = PhoneNumberField(label=_("Mobile"), region="CN", required=False)
    relationship = forms.ChoiceField(
        label=_("Relationship to the client"),
        choices=Relationship.choices,
        initial=Relationship.FRIEND,
    )
    occupation = forms.CharField(label=_("Occupation"), max_length=100, required=False)
