"""Forms of the annual review page: the review and its follow-up promises. They parse input
only; the rules live in `servicing.services.reviews`, whose ValidationErrors are put beside
the fields they concern with `agentcrm.core.forms.add_service_errors`."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from agentcrm.core.forms import DateInput
from policies.models import Policy

from ..models import AnnualReview
from ..services.reviews import REVIEW_FOLLOW_UPS_MAX


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
