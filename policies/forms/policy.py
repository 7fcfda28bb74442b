"""Forms for the policy itself: the policy form (its riders and beneficiaries are the
formsets in `schedule`), the list's filters and the status change. They parse input only;
the rules live in `policies.services.policy`."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from agentcrm.core.forms import DateInput
from clients.models import FamilyMember
from clients.selectors import clients_for_user

from ..models import Insurer, Policy
from ..services.policy import EDITABLE_FIELDS

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
    `policy_set_status` so its history is kept. So is "first premium paid" (ticked: the
    premium is collected with the application; see `policy_create`)."""

    first_premium_paid = forms.BooleanField(
        label=_("First premium paid"),
        required=False,
        initial=True,
        help_text=_(
            "Untick if the first premium has not been paid: the policy then counts it as due."
        ),
    )

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
            del self.fields["first_premium_paid"]
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


class StatusChangeForm(forms.Form):
    """Only the statuses the policy may go to next are offered (Policy.TRANSITIONS)."""

    to_status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, policy: Policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [
            (value, Policy.Status(value).label) for value in policy.allowed_next_statuses()
        ]

    @property
    def has_choices(self) -> bool:
        return bool(self.fields["to_status"].choices)
