from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from policies.models import Insurer

from .selectors.team import GOAL_13, GOAL_25


class GoalForm(forms.Form):
    """The persistency goal lines of the chart (GET; editable on the page)."""

    goal13 = forms.DecimalField(
        label=_("Goal at 13 months (%)"),
        min_value=0,
        max_value=100,
        decimal_places=1,
        required=False,
    )
    goal25 = forms.DecimalField(
        label=_("Goal at 25 months (%)"),
        min_value=0,
        max_value=100,
        decimal_places=1,
        required=False,
    )

    def goals(self) -> tuple[Decimal, Decimal]:
        if not self.is_valid():
            return GOAL_13, GOAL_25
        data = self.cleaned_data
        g13 = data.get("goal13")
        g25 = data.get("goal25")
        return (GOAL_13 if g13 is None else g13), (GOAL_25 if g25 is None else g25)


class CommissionRateForm(forms.Form):
    insurer = forms.ModelChoiceField(label=_("Insurer"), queryset=Insurer.objects.all())
    product_name = forms.CharField(
        label=_("Product"),
        max_length=200,
        required=False,
        help_text=_("Leave blank for every product of the insurer."),
    )
    rate = forms.DecimalField(
        label=_("Commission rate (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
        help_text=_("Leave blank to remove the rate."),
    )


class ContactForm(forms.Form):
    summary = forms.CharField(label=_("What was said"), max_length=500, required=False)


class PromiseForm(forms.Form):
    due_date = forms.DateField(label=_("By"), widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label=_("What was promised"), max_length=500, required=False)
