"""Forms for service requests. They parse input only: the rules live in
`servicing.services.requests`, whose ValidationError lands back on these fields."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from agentcrm.core.forms import DateInput
from policies.models import Policy

from ..models import ServiceRequest, ServiceRequestStatusChange
from ..services.requests import EDITABLE_FIELDS

Kind = ServiceRequest.Kind
Category = ServiceRequest.Category


def category_choices_by_kind() -> dict[str, list[tuple[str, str]]]:
    """{kind: [(category, label), …]}: what the category select offers for each kind."""
    return {
        kind: [(c, str(Category(c).label)) for c in categories]
        for kind, categories in ServiceRequest.CATEGORIES_BY_KIND.items()
    }


def _grouped_category_choices() -> list:
    # Grouped by kind (<optgroup>), so the select makes sense even before the script narrows it.
    return [("", "---------")] + [
        (Kind(kind).label, choices) for kind, choices in category_choices_by_kind().items()
    ]


def _model_fields(names, widgets=None) -> dict[str, forms.Field]:
    return forms.fields_for_model(ServiceRequest, fields=names, widgets=widgets or {})


_WIDGETS = {
    "opened_on": DateInput(),
    "next_action_date": DateInput(),
    "description": forms.Textarea(attrs={"rows": 3}),
}


class ServiceRequestForm(forms.Form):
    """A new request. The policy is chosen among the agent's own policies only."""

    policy = forms.ModelChoiceField(queryset=Policy.objects.none(), label=_("Policy"))
    documents = forms.CharField(
        label=_("Documents checklist"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One document per line. Prefilled with what the insurer usually asks for."),
    )

    def __init__(self, *args, policies: QuerySet[Policy], **kwargs):
        super().__init__(*args, **kwargs)
        fields = _model_fields(
            [
                "kind",
                "category",
                "opened_on",
                "description",
                "amount_claimed",
                "next_action",
                "next_action_date",
            ],
            _WIDGETS,
        )
        documents = self.fields.pop("documents")
        self.fields.update(fields)
        self.fields["documents"] = documents
        self.fields["kind"].choices = [("", "---------"), *Kind.choices]
        self.fields["category"].choices = _grouped_category_choices()
        self.fields["policy"].queryset = policies.select_related("insurer", "holder").order_by(
            "holder__name", "number"
        )
        self.fields["policy"].label_from_instance = lambda p: (
            f"{p.holder.name} · {p.insurer.name} {p.product_name} · {p.number}"
        )

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["documents"] = data["documents"].splitlines()
        return data


class ServiceRequestEditForm(forms.Form):
    """What may change after opening (see services.requests.EDITABLE_FIELDS)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_model_fields(list(EDITABLE_FIELDS), _WIDGETS))


class StatusForm(forms.Form):
    """Move the request on. `seen_status` is the status the page showed: if it changed
    meanwhile, the service refuses instead of overwriting someone else's step."""

    to_status = forms.ChoiceField(label=_("New status"))
    amount_paid = ServiceRequest._meta.get_field("amount_paid").formfield(
        help_text=_("Needed to mark a claim paid.")
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=ServiceRequestStatusChange._meta.get_field("note").max_length,
    )
    seen_status = forms.ChoiceField(choices=ServiceRequest.Status.choices, widget=forms.HiddenInput)

    def __init__(
        self, *args, allowed: list[str] | None = None, proposed: str | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        statuses = ServiceRequest.Status.values if allowed is None else allowed
        choices = [(s, ServiceRequest.Status(s).label) for s in statuses]
        if allowed is not None and proposed not in statuses:
            # No forward step: the select starts empty, so nothing (a step back above all)
            # is ever sent without the agent choosing it.
            choices.insert(0, ("", "---------"))
        self.fields["to_status"].choices = choices
        self.fields["to_status"].initial = proposed or ""

    @classmethod
    def for_request(cls, request: ServiceRequest) -> "StatusForm":
        """The form on the request's page: the allowed steps, the next step forward chosen."""
        return cls(
            initial={"seen_status": request.status, "amount_paid": request.amount_paid},
            allowed=request.allowed_next_statuses(),
            proposed=request.next_forward_status(),
        )


class DocumentAddForm(forms.Form):
    name = forms.CharField(label=_("Document"), max_length=200)
