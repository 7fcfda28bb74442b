"""Forms for a policy's records and after-sales work: status changes, premium payments,
payouts, the delivery checklist and annual reviews.

The forms only parse input; the rules live in the services, whose ValidationErrors are put
beside the fields they concern with `agentcrm.core.forms.add_service_errors`.
"""

from datetime import date

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from agentcrm.core.forms import DateInput

from .models import AnnualReview, DeliveryItem, Payout, Policy
from .services import REVIEW_FOLLOW_UPS_MAX, TRANSITIONS, PayoutPattern


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class StatusChangeForm(forms.Form):
    """Only the statuses the policy may go to next are offered (TRANSITIONS)."""

    to_status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, policy: Policy, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS.get(policy.status, set())
        self.fields["to_status"].choices = [
            (value, label) for value, label in Policy.Status.choices if value in allowed
        ]

    @property
    def has_choices(self) -> bool:
        return bool(self.fields["to_status"].choices)


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


class AnnualReviewForm(forms.Form):
    anniversary = forms.DateField(label=_("Policy anniversary"), widget=DateInput())
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
    policies = forms.ModelMultipleChoiceField(
        label=_("Policies reviewed"),
        queryset=Policy.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose the policies reviewed.")},
    )
    findings = forms.CharField(
        label=_("Findings"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    needs = forms.CharField(
        label=_("Needs identified"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, policies, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["policies"]
        field.queryset = policies
        field.label_from_instance = lambda p: (
            f"{p.insurer.name} · {p.product_name} · {p.number} ({p.get_status_display()})"
        )

    @classmethod
    def initial_for(cls, review: AnnualReview, policy_ids: list[int]) -> dict:
        return {
            "anniversary": review.anniversary,
            "held_on": review.held_on,
            "policies": policy_ids,
            "findings": review.findings,
            "needs": review.needs,
        }


class FollowUpForm(forms.Form):
    """A promise made during the review; it becomes a client commitment."""

    description = forms.CharField(label=_("Follow-up"), max_length=500, required=False)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        description, due_date = cleaned.get("description"), cleaned.get("due_date")
        if description and not due_date and "due_date" not in self.errors:
            self.add_error("due_date", _("Give each follow-up a due date."))
        if due_date and not description:
            self.add_error("description", _("Say what was promised for each follow-up."))
        return cleaned


FollowUpFormSet = forms.formset_factory(
    FollowUpForm, extra=REVIEW_FOLLOW_UPS_MAX, max_num=REVIEW_FOLLOW_UPS_MAX, validate_max=True
)


def follow_up_rows(formset) -> list[tuple[str, date | None]]:
    """(description, due date) of the rows filled in a valid formset."""
    return [
        (f.cleaned_data.get("description", ""), f.cleaned_data.get("due_date"))
        for f in formset.forms
        if f.cleaned_data
    ]
