"""Forms of the delivery checklist page: the appointment, and ticking an item. They parse
input only; the rules live in `servicing.services.delivery`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agentcrm.core.forms import check_year_range

from ..models import APPOINTMENT_YEARS, DeliveryItem


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DeliveryForm(forms.Form):
    appointment_at = forms.DateTimeField(
        label=_("Appointment"), required=False, widget=DateTimeLocalInput()
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_appointment_at(self):
        value = self.cleaned_data["appointment_at"]
        first, last = APPOINTMENT_YEARS
        check_year_range(value, first=first, last=last)
        return value


class DeliveryTickForm(forms.Form):
    item = forms.ChoiceField(choices=DeliveryItem.choices)
    done = forms.BooleanField(required=False)
