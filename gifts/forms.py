"""Forms of the gift pages; the rules (caps, warnings) live in gifts.services."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agentcrm.core.forms import DateInput
from clients.models import Client

from .models import occasion_choices
from .rules import DEFAULT_CAPS


class GiftForm(forms.Form):
    what = forms.CharField(label=pgettext_lazy("gift", "Gift"), max_length=120)
    occasion = forms.ChoiceField(label=pgettext_lazy("gift", "Occasion"))
    cost = forms.DecimalField(
        label=_("Cost (yuan)"), max_digits=10, decimal_places=2, min_value=Decimal("0")
    )
    given_on = forms.DateField(label=_("Given on"), widget=DateInput())
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)
    # Set by the warning's "log it anyway" button.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occasion"].choices = occasion_choices()


class CapsForm(forms.Form):
    """Two caps per tier: `<tier>_per_gift` and `<tier>_per_year`."""

    def __init__(self, *args, caps=None, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Client.Tier.choices)
        for tier in DEFAULT_CAPS:
            current = (caps or {}).get(tier)
            for part, label in (
                ("per_gift", _("per gift")),
                ("per_year", _("per client per year")),
            ):
                self.fields[f"{tier}_{part}"] = forms.DecimalField(
                    label=f"{labels[tier]} · {label}",
                    max_digits=10,
                    decimal_places=2,
                    min_value=Decimal("0"),
                    initial=getattr(current, part, None),
                )

    def caps(self) -> dict:
        return {
            tier: (self.cleaned_data[f"{tier}_per_gift"], self.cleaned_data[f"{tier}_per_year"])
            for tier in DEFAULT_CAPS
        }

    def rows(self):
        labels = dict(Client.Tier.choices)
        return [
            (labels[tier], self[f"{tier}_per_gift"], self[f"{tier}_per_year"])
            for tier in DEFAULT_CAPS
        ]


class IdeasForm(forms.Form):
    topic = forms.CharField(max_length=40)
    ideas = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)
