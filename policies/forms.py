from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from agentcrm.core.forms import DateInput
from clients.models import FamilyMember
from clients.selectors import clients_for_user

from .models import Beneficiary, Insurer, Policy, Rider
from .services.policy import EDITABLE_FIELDS

# The form edits what policy_update may change, plus the opening status on create.
POLICY_FIELDS = [*EDITABLE_FIELDS, "status"]
DATE_FIELDS = [
    "application_date",
    "effective_date",
    "delivery_date",
    "receipt_signed_date",
    "cooling_off_end",
]


class PolicyForm(forms.ModelForm):
    """The policy itself. Status is set only on creation: later it moves through
    `policy_set_status` so its history is kept."""

    class Meta:
        model = Policy
        fields = POLICY_FIELDS
        widgets = {
            **{name: DateInput() for name in DATE_FIELDS},
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        if self.instance.pk:
            del self.fields["status"]
        clients = clients_for_user(user=owner).only("id", "name")
        self.fields["holder"].queryset = clients
        self.fields["insured_client"].queryset = clients
        self.fields["insured_member"].queryset = (
            FamilyMember.objects.filter(client__owner=owner)
            .select_related("client")
            .order_by("client__name", "name")
        )
        self.fields["insured_member"].label_from_instance = lambda m: f"{m.name} ({m.client.name})"
        self.fields["insurer"].queryset = Insurer.objects.all()
        self.fields["cooling_off_end"].help_text = _(
            "Leave empty to count 15 days from the receipt date."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def service_kwargs(self) -> dict:
        """The cleaned values as keyword arguments for policy_create / policy_update."""
        data = {name: self.cleaned_data.get(name) for name in self.fields}
        if data.get("cooling_off_end") is None and data.get("receipt_signed_date"):
            # Let the service derive it from the receipt date.
            data.pop("cooling_off_end")
        if self.instance.pk:
            data = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
        return data


class RiderForm(forms.ModelForm):
    class Meta:
        model = Rider
        fields = ["name", "sum_assured", "premium", "start_date", "expiry_date", "yearly_renewable"]
        widgets = {"start_date": DateInput(), "expiry_date": DateInput()}


class BeneficiaryForm(forms.ModelForm):
    class Meta:
        model = Beneficiary
        fields = ["name", "relation", "share"]


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


class PolicyFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(required=False)
    policy_type = forms.ChoiceField(required=False)
    insurer = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    anniversary_month = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    lapse_risk = forms.ChoiceField(label=_("Lapse risk"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        blank = [("", _("All"))]
        self.fields["status"].choices = blank + list(Policy.Status.choices)
        self.fields["policy_type"].choices = blank + list(Policy.Type.choices)
        self.fields["insurer"].choices = blank + list(Insurer.objects.values_list("id", "name"))
        self.fields["anniversary_month"].choices = blank + [(m, str(m)) for m in range(1, 13)]
        self.fields["lapse_risk"].choices = blank + [
            ("at_risk", _("Any risk")),
            ("due_soon", _("Premium due within 30 days")),
            ("in_grace", _("In grace period")),
            ("lapsed", _("Unpaid past grace")),
        ]
