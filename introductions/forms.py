from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Segment
from policies.forms.policy import PickerSelect, client_label

from .models import Introduction, NeedKind
from .selectors import picker_matches, picker_scope

CONSENT_LABEL = _("The client agreed to be introduced (recorded with today's date)")


def _offer_label(offer) -> str:
    return f"{offer.client.name} · {offer.title}"


def _member_label(member) -> str:
    return f"{member.client.name} · {member}"


def _profile_label(profile) -> str:
    return (
        f"{profile.person_name}（{profile.client.name}）"
        if profile.member_id
        else profile.person_name
    )


# A picker's kind -> how a row reads, and the refusal of an id outside its scope.
PICKER_LABELS = {
    "client": client_label,
    "consenting": client_label,
    "offer": _offer_label,
    "member": _member_label,
    "profile": _profile_label,
}
OUT_OF_SCOPE = {
    "client": _("Choose one of your own clients."),
    "consenting": _("Choose one of your clients who agreed to be introduced."),
    "offer": _("Choose an offer its client agreed to be introduced for."),
    "member": _("Choose a family member of one of your own clients."),
    "profile": _("Choose someone on your matchmaking list."),
}


class PickerForm(forms.Form):
    """A form of the introductions page whose choice fields are pickers, like the policy
    form's: each lists the chosen row and the first matches of a search (the agent's own,
    live records; for an introduction only what was agreed to), never the whole book. A
    search box fills it as the agent types (htmx, `introductions:people`); without JS the
    box's "Find" reloads the page with that picker's matches (`search`: {picker id: text}).
    The field's queryset still decides what is accepted; anything else is refused in Chinese.

    `key` prefixes the ids of the form's fields (the page has several forms with a "client"),
    `pickers` maps a field to its kind (`selectors.PICKER_KINDS`)."""

    key = ""
    pickers: dict[str, str] = {}

    def __init__(self, *args, user, search=None, **kwargs):
        kwargs.setdefault("auto_id", f"{self.key}_%s")
        super().__init__(*args, **kwargs)
        search = search or {}
        for name, kind in self.pickers.items():
            field = self.fields[name]
            field.queryset = picker_scope(user=user, kind=kind)
            field.label_from_instance = PICKER_LABELS[kind]
            field.error_messages["invalid_choice"] = OUT_OF_SCOPE[kind]
            field.picker_kind = kind
            picker_id = f"{self.key}_{name}"
            # A sliced queryset: the query runs only if the form is rendered.
            shown = picker_matches(user=user, kind=kind, q=search.get(picker_id, ""))
            field.widget = PickerSelect(attrs={"data-picker": kind}, shown=shown)
            field.widget.choices = field.choices

    @property
    def picker_ids(self) -> list[str]:
        return [f"{self.key}_{name}" for name in self.pickers]


class OfferForm(PickerForm):
    key = "offer"
    pickers = {"client": "client"}

    client = forms.ModelChoiceField(label=_("Client"), queryset=None)
    title = forms.CharField(label=_("What they sell or do"), max_length=100)
    discount = forms.CharField(label=_("Discount for your clients"), max_length=100, required=False)
    serves = forms.ChoiceField(
        label=_("Serves the need"), choices=[("", "—"), *NeedKind.choices], required=False
    )
    keywords = forms.CharField(
        label=_("Keywords"),
        max_length=200,
        required=False,
        help_text=_("Matched against needs, tags and interests, e.g. 洗车 汽车"),
    )
    segment = forms.ChoiceField(
        label=_("For clients of segment"),
        choices=[("", "—"), *Segment.Code.choices],
        required=False,
    )
    consent = forms.BooleanField(label=CONSENT_LABEL, required=False)


class NeedForm(PickerForm):
    key = "need"
    pickers = {"client": "client"}

    client = forms.ModelChoiceField(label=_("Client"), queryset=None)
    kind = forms.ChoiceField(label=_("Need"), choices=NeedKind.choices)
    description = forms.CharField(label=_("Details"), max_length=200, required=False)
    consent = forms.BooleanField(label=CONSENT_LABEL, required=False)


class ProfileForm(PickerForm):
    key = "profile"
    pickers = {"client": "client", "member": "member"}

    client = forms.ModelChoiceField(label=_("Client"), queryset=None)
    member = forms.ModelChoiceField(
        label=_("Family member (blank: the client)"), queryset=None, required=False
    )
    notes = forms.CharField(label=_("What they look for"), max_length=300, required=False)
    opted_in = forms.BooleanField(
        label=_("The person asked for or agreed to matchmaking (recorded with today's date)")
    )


class MatchForm(PickerForm):
    key = "match"
    pickers = {"first": "profile", "second": "profile"}

    first = forms.ModelChoiceField(label=_("Person"), queryset=None)
    second = forms.ModelChoiceField(label=_("Introduce to"), queryset=None)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class IntroduceForm(PickerForm):
    """An offer and a client who agreed to be introduced: the suggestions' button, or the
    agent's own choice with the pickers."""

    key = "intro"
    pickers = {"offer": "offer", "client": "consenting"}

    offer = forms.ModelChoiceField(label=_("Offer"), queryset=None)
    client = forms.ModelChoiceField(label=_("Introduce to"), queryset=None)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How it went"),
        choices=[c for c in Introduction.Outcome.choices if c[0]],
    )
    note = forms.CharField(label=_("What they said"), max_length=300, required=False)
