"""Forms for the rows dated against a policy: its riders and beneficiaries (formsets of the
policy form), a premium payment, a payout and a payout pattern.

The forms only parse input; the rules live in the services, whose ValidationErrors are put
beside the fields they concern with `agentcrm.core.forms.add_service_errors`.
"""

from datetime import date

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from agentcrm.core.forms import DateInput

from ..models import Beneficiary, Payout, Policy, Rider
from ..services.schedule import PayoutPattern


class PremiumPaymentForm(forms.Form):
    """A payment against one of the unpaid dues the premium card offers."""

    due_date = forms.TypedChoiceField(label=_("Due date"), coerce=date.fromisoformat)
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput())
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2)

    def __init__(self, *args, payable: list[date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_date"].choices = [
            (d.isoformat(), formats.date_format(d, "DATE_FORMAT")) for d in payable
        ]
        self.fields["due_date"].error_messages["invalid_choice"] = _(
            "Choose one of the unpaid due dates offered."
        )


class PayoutForm(forms.Form):
    """One payout, added or corrected by hand."""

    date = forms.DateField(label=_("Date"), widget=DateInput())
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2)
    kind = forms.ChoiceField(label=_("Kind"), choices=Payout.Kind.choices)


PATTERN_CHOICES = [
    (PayoutPattern.EVERY_N_YEARS.value, _("Every N years from policy year K")),
    (PayoutPattern.YEARLY_FROM_AGE.value, _("Every year from the insured's age A")),
    (PayoutPattern.MATURITY.value, _("Maturity benefit when the cover ends")),
]


class PayoutGenerateForm(forms.Form):
    """A common pattern and its parameters; which ones a pattern needs is checked by the
    service (`payout_schedule_generate`)."""

    pattern = forms.ChoiceField(label=_("Pattern"), choices=PATTERN_CHOICES)
    every = forms.IntegerField(label=_("Every N years"), required=False, min_value=1)
    from_policy_year = forms.IntegerField(
        label=_("From policy year K"), required=False, min_value=1
    )
    age = forms.IntegerField(label=_("From age A"), required=False, min_value=0)
    amount = forms.DecimalField(label=_("Amount each time"), max_digits=14, decimal_places=2)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Payout.Kind.choices,
        required=False,
        help_text=_("A maturity benefit is always of the maturity kind."),
    )


class RiderForm(forms.ModelForm):
    class Meta:
        model = Rider
        fields = [
            "name",
            "policy_type",
            "sum_assured",
            "premium",
            "start_date",
            "expiry_date",
            "yearly_renewable",
        ]
        widgets = {"start_date": DateInput(), "expiry_date": DateInput()}


class BeneficiaryForm(forms.ModelForm):
    class Meta:
        model = Beneficiary
        fields = ["name", "relation", "share"]
        # Suggestions: the holder and the holder's family (the policy form's datalist, kept
        # in step with the holder picker); any other name may still be typed.
        widgets = {"name": forms.TextInput(attrs={"list": "beneficiary-names"})}


RiderFormSet = forms.inlineformset_factory(Policy, Rider, form=RiderForm, extra=1, can_delete=True)
BeneficiaryFormSet = forms.inlineformset_factory(
    Policy, Beneficiary, form=BeneficiaryForm, extra=1, can_delete=True
)


def formset_rows(formset) -> list:
    """The unsaved rows a valid formset describes (blank and removed forms left out); the
    service replaces the policy's rows with these."""
    return [
        f.instance
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE", False)
    ]


def formset_known(formset) -> set[int]:
    """The ids of the stored rows the formset was shown: the service deletes a stored row
    only if it is among them (one added meanwhile in another tab is kept)."""
    return {f.instance.pk for f in formset.initial_forms if f.instance.pk}
