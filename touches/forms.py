"""Forms for the touch actions and the settings page. The services validate again: these
give the agent field-level messages."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from agentcrm.core.forms import DateInput
from clients.models import Client, GreetingStyle

from . import services
from .festival_occasions import AUDIENCES
from .festivals import FESTIVALS, FESTIVALS_BY_KEY
from .greetings import (
    FESTIVAL_KIND,
    STYLES,
    built_in_festival_greeting,
    built_in_greeting,
    text_for_editor,
)
from .models import DigestPreference, FestivalPreference, TouchPreference
from .occasions import CADENCE_TIERS, TIER_CADENCE_DAYS
from .registry import OccasionKind, occasion_kind, occasion_kinds
from .selectors import CADENCE_DAYS, lead_days_range


class DoneForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("How"),
        choices=[(c.value, c.label) for c in services.DONE_CHANNELS],
        initial=services.DONE_CHANNELS[0],
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=services.NOTE_MAX, strip=True
    )


class SnoozeForm(forms.Form):
    until = forms.DateField(label=_("Snooze until"), widget=DateInput())


class SkipForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=services.NOTE_MAX,
        error_messages={"required": _("Please give a reason.")},
    )


def _ids(value: str) -> list[int]:
    """ "12,15 18" → [12, 15, 18]; anything else is refused."""
    parts = [p for p in value.replace(",", " ").split() if p]
    if not all(p.isdigit() and len(p) <= 12 for p in parts):
        raise forms.ValidationError(_("The list of touches was not understood."))
    return [int(p) for p in parts]


class CardDoneForm(forms.Form):
    """ "All done" on a card: the ids of its touches, comma-separated."""

    ids = forms.CharField(max_length=2000)

    def clean_ids(self) -> list[int]:
        ids = _ids(self.cleaned_data["ids"])
        if not ids:
            raise forms.ValidationError(_("The list of touches was not understood."))
        return ids


class FestivalDoneForm(forms.Form):
    """ "Mark done for all" on a festival card, but the touches ticked as exceptions."""

    festival = forms.ChoiceField(choices=[(f.key, f.label) for f in FESTIVALS])
    occasion = forms.DateField()
    exclude = forms.CharField(required=False, max_length=20000)

    def __init__(self, data=None, **kwargs):
        if data is not None and hasattr(data, "getlist"):
            # Ticked exceptions come as several `exclude` fields.
            data = data.copy()
            data["exclude"] = " ".join(data.getlist("exclude"))
        super().__init__(data, **kwargs)

    def clean_exclude(self) -> list[int]:
        return _ids(self.cleaned_data["exclude"])


# --- Settings -------------------------------------------------------------------------------


class KindPreferenceForm(forms.Form):
    kind = forms.CharField(widget=forms.HiddenInput)
    enabled = forms.BooleanField(label=_("On"), required=False)
    lead_days = forms.IntegerField(label=_("Days ahead"), required=False)

    @property
    def occasion(self) -> OccasionKind | None:
        return occasion_kind(self["kind"].value() or "")

    def lead_range(self) -> tuple[int, int]:
        return lead_days_range(self["kind"].value() or "")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = self.lead_range()
        self.fields["lead_days"].widget.attrs.update(min=low, max=high, inputmode="numeric")
        if self.occasion is not None and not self.occasion.lead_configurable:
            self.fields["lead_days"].disabled = True

    def clean_kind(self):
        key = self.cleaned_data["kind"]
        if occasion_kind(key) is None:
            raise forms.ValidationError(_("Unknown occasion."))
        return key

    def clean(self):
        cleaned = super().clean()
        occasion = self.occasion
        if occasion is None or not occasion.lead_configurable:
            cleaned["lead_days"] = occasion.default_lead_days if occasion else None
            return cleaned
        lead = cleaned.get("lead_days")
        low, high = self.lead_range()
        if lead is None:
            self.add_error("lead_days", _("Enter a number of days."))
        elif not low <= lead <= high:
            self.add_error(
                "lead_days",
                _("Between %(low)d and %(high)d days, please.") % {"low": low, "high": high},
            )
        return cleaned


class FestivalPreferenceForm(forms.Form):
    festival = forms.CharField(widget=forms.HiddenInput)
    enabled = forms.BooleanField(label=_("On"), required=False)
    audience = forms.ChoiceField(label=_("Who"), choices=())
    lead_days = forms.IntegerField(
        label=_("Gift days ahead"),
        min_value=services.FESTIVAL_LEAD_DAYS[0],
        max_value=services.FESTIVAL_LEAD_DAYS[1],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = [
            (key, label) for key, (label, _rule) in AUDIENCES.items()
        ]
        self.fields["lead_days"].widget.attrs.update(inputmode="numeric")

    @property
    def festival_obj(self):
        return FESTIVALS_BY_KEY.get(self["festival"].value() or "")

    def clean_festival(self):
        key = self.cleaned_data["festival"]
        if key not in FESTIVALS_BY_KEY:
            raise forms.ValidationError(_("Unknown festival."))
        return key


class GreetingForm(forms.Form):
    kind = forms.CharField(widget=forms.HiddenInput)
    festival = forms.CharField(widget=forms.HiddenInput, required=False)
    style = forms.CharField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(
        label=_("Greeting"),
        required=False,
        max_length=services.GREETING_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @property
    def title(self) -> str:
        festival = FESTIVALS_BY_KEY.get(self["festival"].value() or "")
        if festival:
            return str(festival.label)
        occasion = occasion_kind(self["kind"].value() or "")
        return str(occasion.label) if occasion else ""

    @property
    def style_label(self) -> str:
        style = self["style"].value() or GreetingStyle.FORMAL
        return str(GreetingStyle(style).label) if style in STYLES else style

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned["text"] = services.greeting_clean(
                kind=cleaned["kind"],
                festival=cleaned.get("festival", ""),
                style=cleaned.get("style") or GreetingStyle.FORMAL,
                text=cleaned["text"],
            )
        except forms.ValidationError as exc:
            for key, messages in exc.message_dict.items():
                self.add_error(key if key in self.fields else None, messages)
        return cleaned


class CadenceForm(forms.Form):
    """Days without contact per client tier (Diamond, Gold, Silver); Standard's is the
    "not contacted for a long time" row's own days."""

    def __init__(self, *args, current: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        low, high = CADENCE_DAYS
        for tier in CADENCE_TIERS:
            self.fields[tier] = forms.IntegerField(
                label=Client.Tier(tier).label,
                initial=current.get(tier, TIER_CADENCE_DAYS[tier]),
                error_messages={"required": _("Enter a number of days.")},
            )
            self.fields[tier].widget.attrs.update(min=low, max=high, inputmode="numeric")

    def clean(self):
        cleaned = super().clean()
        low, high = CADENCE_DAYS
        for tier in CADENCE_TIERS:
            value = cleaned.get(tier)
            if value is not None and not low <= value <= high:
                self.add_error(
                    tier,
                    _("Between %(low)d and %(high)d days, please.") % {"low": low, "high": high},
                )
        return cleaned


class UniqueKeyFormSet(forms.BaseFormSet):
    """A formset of fixed rows: each key (kind, festival) at most once."""

    key_fields: tuple[str, ...] = ()

    def clean(self):
        if any(self.errors):
            return
        keys = [tuple(f.cleaned_data.get(k, "") for k in self.key_fields) for f in self.forms]
        if len(keys) != len(set(keys)):
            raise forms.ValidationError(_("A row is repeated."))


class KindFormSet(UniqueKeyFormSet):
    key_fields = ("kind",)


class FestivalFormSet(UniqueKeyFormSet):
    key_fields = ("festival",)


class GreetingFormSet(UniqueKeyFormSet):
    key_fields = ("kind", "festival", "style")


KindPreferenceFormSet = forms.formset_factory(
    KindPreferenceForm, formset=KindFormSet, extra=0, max_num=100, validate_max=True
)
FestivalPreferenceFormSet = forms.formset_factory(
    FestivalPreferenceForm, formset=FestivalFormSet, extra=0, max_num=100, validate_max=True
)
GreetingTemplateFormSet = forms.formset_factory(
    GreetingForm, formset=GreetingFormSet, extra=0, max_num=200, validate_max=True
)


def kind_initial(prefs: dict[str, TouchPreference]) -> list[dict]:
    rows = []
    for key, kind in occasion_kinds().items():
        pref = prefs.get(key)
        rows.append(
            {
                "kind": key,
                "enabled": pref.enabled if pref else True,
                "lead_days": pref.lead_days
                if pref and kind.lead_configurable
                else kind.default_lead_days,
            }
        )
    return rows


def festival_initial(prefs: dict[str, FestivalPreference]) -> list[dict]:
    rows = []
    for festival in FESTIVALS:
        pref = prefs.get(festival.key)
        rows.append(
            {
                "festival": festival.key,
                "enabled": pref.enabled if pref else True,
                "audience": pref.audience if pref else festival.audience,
                "lead_days": pref.lead_days if pref else festival.gift_lead_days,
            }
        )
    return rows


def greeting_initial(templates: dict[tuple[str, str, str], str]) -> list[dict]:
    """One row per kind and greeting style (the festival kind's rows are the wording for
    every festival), then one per festival and style for wording of its own. The text is
    shown with the reader's placeholders ({称呼} in Chinese)."""
    rows = [
        {
            "kind": key,
            "festival": "",
            "style": style,
            "text": text_for_editor(templates.get((key, "", style), built_in_greeting(key, style))),
        }
        for key in occasion_kinds()
        for style in STYLES
    ]
    rows += [
        {
            "kind": FESTIVAL_KIND,
            "festival": f.key,
            "style": style,
            "text": text_for_editor(
                templates.get(
                    (FESTIVAL_KIND, f.key, style), built_in_festival_greeting(f.key, style)
                )
            ),
        }
        for f in FESTIVALS
        for style in STYLES
    ]
    return rows


class DigestForm(forms.Form):
    """The morning email: on or off, where to, at what time (local)."""

    enabled = forms.BooleanField(label=_("Send me the morning email"), required=False)
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        help_text=_("Left blank: your account's email address."),
    )
    send_at = forms.TimeField(
        label=_("Send at"),
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M"),
        help_text=_("Beijing time; the email goes out within a quarter of an hour of it."),
        error_messages={
            "required": _("Choose a time."),
            "invalid": _("Enter a time such as 07:00."),
        },
    )

    def __init__(self, *args, account_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if account_email:
            self.fields["email"].widget.attrs["placeholder"] = account_email
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


def digest_initial(preference: DigestPreference, *, account_email: str) -> dict:
    return {
        "enabled": preference.enabled,
        "email": preference.email or account_email,
        "send_at": preference.send_at,
    }
