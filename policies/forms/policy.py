"""Forms for the policy itself: the policy form (its riders and beneficiaries are the
formsets in `schedule`), the list's filters and the status change. They parse input only;
the rules live in `policies.services.policy`."""

from crispy_forms.helper import FormHelper
from django import forms
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agentcrm.core.forms import DateInput
from clients.models import Client, FamilyMember
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


def client_label(client: Client) -> str:
    """A client in a picker: the name, and the mobile's last four digits to tell two clients
    of the same name apart (the full number stays off the list)."""
    if client.mobile:
        return gettext("%(name)s · mobile ending %(digits)s") % {
            "name": client.name,
            "digits": str(client.mobile)[-4:],
        }
    return client.name


def member_label(member: FamilyMember) -> str:
    return f"{member.name} ({member.get_relation_display()})"


class PickerSelect(forms.Select):
    """A <select> that lists only the chosen option, the empty one and `shown` (a small
    scoped queryset, such as the holder's family): never every client of the agent. The
    picker's search box (htmx, `policies:people`) fills it with the matches as the agent
    types; on a phone the native list then opens with a few names. The field's own queryset
    still decides what is accepted."""

    def __init__(self, *args, shown=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown = shown

    def optgroups(self, name, value, attrs=None):
        field = self.choices.field
        chosen = [v for v in value if str(v).isdigit()]
        objects = list(field.queryset.filter(pk__in=chosen)) if chosen else []
        if self.shown is not None:
            objects += [obj for obj in self.shown if obj not in objects]
        options = [("", field.empty_label or "---------")]
        options += [(obj.pk, field.label_from_instance(obj)) for obj in objects]
        selected = {str(v) for v in value}
        return [
            (
                None,
                [self.create_option(name, v, label, str(v) in selected, i, attrs=attrs)],
                i,
            )
            for i, (v, label) in enumerate(options)
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
        # Pickers (issue 18): what is accepted is the agent's own clients and their family
        # members (the service then checks the member is the holder's); what is listed is the
        # chosen one, the holder's family, and what the search box finds.
        clients = clients_for_user(user=owner).only("id", "name", "mobile")
        out_of_scope = _("Choose one of your own clients.")
        people = reverse("policies:people")
        for name in ("holder", "insured_client"):
            field = self.fields[name]
            field.queryset = clients
            field.label_from_instance = client_label
            field.error_messages["invalid_choice"] = out_of_scope
            field.widget = PickerSelect(attrs={"data-picker": name})
            field.widget.choices = field.choices
        self.fields["holder"].widget.attrs.update(
            {
                # A new holder: the insured member's list becomes the new holder's family.
                "hx-get": f"{people}?field=insured_member",
                "hx-trigger": "change",
                "hx-target": "#id_insured_member",
                "hx-include": "[name=holder],[name=insured_member]",
            }
        )
        members = self.fields["insured_member"]
        members.queryset = FamilyMember.objects.filter(client__owner=owner).select_related("client")
        members.label_from_instance = member_label
        members.error_messages["invalid_choice"] = _("Choose one of the holder's family.")
        holder = self._holder(clients)
        members.widget = PickerSelect(
            shown=(
                FamilyMember.objects.filter(client=holder).order_by("relation", "name", "id")
                if holder
                else None
            )
        )
        members.widget.choices = members.choices
        self.holder_for_pickers = holder
        self.fields["insurer"].queryset = Insurer.objects.visible_to(owner)
        self.fields["sold_by_others"].label = _("Sold by another agent or company (保单托管)")
        self.fields["sold_by_others"].help_text = _(
            "Kept for the family's cover, dates and reminders; never counted in your own "
            "sales, premium won or referral wins."
        )
        self.fields["cooling_off_end"].help_text = _(
            "Leave empty to count 15 days from the receipt date."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def _holder(self, clients) -> Client | None:
        """The holder the page is for (posted, given, or the policy's), if it is in scope."""
        value = (
            self.data.get("holder")
            if self.is_bound
            else self.initial.get("holder", self.instance.holder_id)
        )
        value = str(value or "")
        return clients.filter(pk=int(value)).first() if value.isdigit() else None

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
