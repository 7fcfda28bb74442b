"""Forms of the delivery checklist page: the appointment, and ticking an item. They parse
input only; the rules live in `servicing.services.delivery`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import DeliveryItem


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


class DeliveryTickForm(forms.Form):
    item = forms.ChoiceField(choices=DeliveryItem.choices)
    done = forms.BooleanField(required=False)
