"""Forms of the referral pages: the list's filters, recording a referral or an ask with its
names, the referral page's actions, and the period of the statistics pages (`PeriodForm`).
They parse input only: the rules (cycles, a person referred twice, names or a refusal
reason, what "won" needs) live in `referrals.services`, whose ValidationError lands back on
these forms."""

import calendar
from datetime import date

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from agentcrm.core.forms import DateInput, check_year_range
from clients.models import Client, Interaction
from policies.models import Policy

from .models import Context, ReferralStageChange, RefusalReason, Relationship, Stage
from .periods import Period, Presets

BLANK = ("", "---------")

# --- The list's filters ---------------------------------------------------------------------

PERIOD_MONTH = "month"
PERIOD_3_MONTHS = "3months"
PERIOD_YEAR = "year"
PERIOD_CHOICES = [
    ("", _("Any time")),
    (PERIOD_MONTH, _("This month")),
    (PERIOD_3_MONTHS, _("Last 3 months")),
    (PERIOD_YEAR, _("This year")),
]


def months_back(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_range(period: str, today: date) -> tuple[date | None, date | None]:
    if period == PERIOD_MONTH:
        return today.replace(day=1), today
    if period == PERIOD_3_MONTHS:
        return months_back(today, 3), today
    if period == PERIOD_YEAR:
        return today.replace(month=1, day=1), today
    return None, None


class GivenDatesForm(forms.Form):
    """The base of the referral list's filter form (selectors.pages.ReferralFilter, which
    adds the fields): the dates typed must be in order."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("given_from"), cleaned.get("given_to")
        if start and end and start > end:
            self.add_error("given_to", _("The end of the period is before its start."))
        return cleaned


# --- The statistics pages' period -----------------------------------------------------------


# The years a statistics period may start and end in.
PERIOD_YEARS = (1900, 2100)


class PeriodForm(forms.Form):
    """The period of a statistics page (the team pages, influence centres, sources): one of
    the page's presets (the links on the page) or dates chosen by hand. Dates chosen by hand
    win over a preset; nothing asked for, or nonsense, gives the page's default preset (the
    page says so beside the errors). The presets, and how a period given by one date only is
    completed, are the page's `presets` (see `referrals.periods`)."""

    preset = forms.ChoiceField(label=_("Period"), required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, data=None, *, today: date, presets: Presets, default: str = ""):
        super().__init__(data or None)
        self.today = today
        self.presets = presets
        self.default = default or presets.default
        self.fields["preset"].choices = [BLANK, *presets.labels.items()]

    def _in_years(self, name: str) -> date | None:
        # 0001 or 9999 would overflow the month arithmetic and the trend's months (a 500).
        value = self.cleaned_data[name]
        check_year_range(value, first=PERIOD_YEARS[0], last=PERIOD_YEARS[1])
        return value

    def clean_start(self):
        return self._in_years("start")

    def clean_end(self):
        return self._in_years("end")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start or end:
            data["period"] = self.presets.chosen(start=start, end=end, today=self.today)
        elif data.get("preset"):
            data["period"] = self.presets.period(data["preset"], today=self.today)
        return data

    def period(self) -> Period:
        if self.is_valid() and "period" in self.cleaned_data:
            return self.cleaned_data["period"]
        return self.presets.period(self.default, today=self.today)


# --- One person given -----------------------------------------------------------------------


class PersonFieldsMixin(forms.Form):
    """The fields of one name a referrer gives, and the choice to link the record that
    already has this phone number instead of creating a second copy of the person."""

    name = forms.CharField(label=_("Name"), max_length=100)
    mobile = PhoneNumberField(label=_("Mobile"), region="CN", required=False)
    occupation = forms.CharField(label=_("What the person does"), max_length=100, required=False)
    relationship = forms.ChoiceField(
        label=_("Relationship to the referrer"),
        choices=Relationship.choices,
        initial=Relationship.FRIEND,
    )
    reason = forms.CharField(
        label=_("Why the referrer thinks of them"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    link_existing = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def person_data(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"].strip(),
            "mobile": data.get("mobile") or "",
            "occupation": data.get("occupation") or "",
            "relationship": data["relationship"],
            "reason": data.get("reason") or "",
        }


def _not_in_future(value: date | None, message) -> None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(message)


class ReferralForm(PersonFieldsMixin):
    """One referral: who gave the name, and the person."""

    referrer = forms.ModelChoiceField(label=_("Referrer"), queryset=Client.objects.none())
    given_on = forms.DateField(label=_("Date given"), widget=DateInput())
    context = forms.ChoiceField(label=_("Context"), choices=Context.choices, initial=Context.OTHER)

    field_order = [
        "referrer",
        "name",
        "mobile",
        "occupation",
        "relationship",
        "reason",
        "given_on",
        "context",
        "link_existing",
    ]

    def __init__(self, *args, clients: QuerySet[Client], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referrer"].queryset = clients.order_by("name", "id")
        self.fields["given_on"].initial = timezone.localdate

    def clean_given_on(self):
        value = self.cleaned_data.get("given_on")
        _not_in_future(value, _("The date given cannot be in the future."))
        return value


class PersonForm(PersonFieldsMixin):
    """One row of the ask's names. A row counts as filled in once anything but the
    relationship (which has a default) was typed."""

    TYPED = ("name", "mobile", "occupation", "reason", "link_existing")

    def has_changed(self) -> bool:
        return any(name in self.changed_data for name in self.TYPED)


class BasePeopleFormSet(forms.BaseFormSet):
    def filled(self) -> list[PersonForm]:
        """The rows the agent filled in (untouched extra rows are skipped)."""
        return [
            f
            for f in self.forms
            if f.has_changed() and getattr(f, "cleaned_data", None) and f.cleaned_data.get("name")
        ]

    def clean(self):
        if any(self.errors):
            return
        seen: dict[str, int] = {}
        for f in self.filled():
            mobile = f.cleaned_data.get("mobile")
            if not mobile:
                continue
            key = str(mobile)
            if key in seen:
                f.add_error("mobile", _("Two names have the same mobile."))
            seen[key] = 1


PEOPLE_MAX = 5
PeopleFormSet = forms.formset_factory(
    PersonForm,
    formset=BasePeopleFormSet,
    extra=3,
    max_num=PEOPLE_MAX,
    absolute_max=PEOPLE_MAX,
    validate_max=True,
)


class ReferralRequestForm(forms.Form):
    """The ask itself (the deck's six steps): whom, when, where; the reason when no names."""

    BACK_CLIENT = "client"
    BACK_REQUESTS = "requests"

    client = forms.ModelChoiceField(label=_("Client asked"), queryset=Client.objects.none())
    asked_on = forms.DateField(label=_("Asked on"), widget=DateInput())
    context = forms.ChoiceField(label=_("Context"), choices=Context.choices, initial=Context.OTHER)
    policy = forms.ModelChoiceField(
        queryset=Policy.objects.none(), required=False, widget=forms.HiddenInput
    )
    refusal_reason = forms.ChoiceField(
        label=_("Reason for no names"),
        required=False,
        choices=[BLANK, *RefusalReason.choices],
        help_text=_("Needed when the client gave no names."),
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    back = forms.ChoiceField(
        required=False,
        choices=[BLANK, (BACK_CLIENT, BACK_CLIENT), (BACK_REQUESTS, BACK_REQUESTS)],
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, clients: QuerySet[Client], policies: QuerySet[Policy], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients.order_by("name", "id")
        self.fields["policy"].queryset = policies
        self.fields["asked_on"].initial = timezone.localdate

    def clean_asked_on(self):
        value = self.cleaned_data.get("asked_on")
        _not_in_future(value, _("The ask cannot be in the future."))
        return value

    def clean(self):
        cleaned = super().clean()
        client, policy = cleaned.get("client"), cleaned.get("policy")
        if client and policy and client.pk not in (policy.holder_id, policy.insured_client_id):
            self.add_error("client", _("The linked policy is not this client's."))
        return cleaned


# --- The referral page's actions ------------------------------------------------------------


class StageForm(forms.Form):
    """Move the prospect on. `seen_stage` is the stage the page showed: if it changed
    meanwhile, the service refuses instead of overwriting another tab's step."""

    to_stage = forms.ChoiceField(label=_("New stage"))
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=ReferralStageChange._meta.get_field("note").max_length,
    )
    policy = forms.ModelChoiceField(
        label=_("Policy taken out"),
        queryset=Policy.objects.none(),
        required=False,
        help_text=_("Needed for won: a policy the referred person holds or is insured by."),
    )
    lost_reason = forms.CharField(
        label=_("Why it was lost"), required=False, max_length=255, help_text=_("Needed for lost.")
    )
    seen_stage = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)

    def __init__(
        self, *args, allowed: list[str] | None = None, policies: QuerySet[Policy], **kwargs
    ):
        super().__init__(*args, **kwargs)
        stages = Stage.values if allowed is None else allowed
        self.fields["to_stage"].choices = [(s, Stage(s).label) for s in stages]
        self.fields["policy"].queryset = policies
        self.fields["policy"].label_from_instance = lambda p: (
            f"{p.insurer.name} · {p.product_name} · {p.number}"
        )


FEEDBACK_CHANNELS = [
    (Interaction.Kind.MESSAGE, Interaction.Kind.MESSAGE.label),
    (Interaction.Kind.CALL, Interaction.Kind.CALL.label),
    (Interaction.Kind.VISIT, Interaction.Kind.VISIT.label),
]
THANK_CHANNELS = [(Interaction.Kind.GIFT, Interaction.Kind.GIFT.label), *FEEDBACK_CHANNELS]


class FeedbackForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("How"), choices=FEEDBACK_CHANNELS, initial=Interaction.Kind.MESSAGE
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class ThankForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("How"), choices=THANK_CHANNELS, initial=Interaction.Kind.GIFT
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)
    gift_value = forms.DecimalField(
        label=_("Gift value (¥)"), required=False, max_digits=10, decimal_places=2, min_value=0
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("gift_value") is not None
            and cleaned.get("channel") != Interaction.Kind.GIFT
        ):
            self.add_error("gift_value", _("Only gifts have a value."))
        return cleaned
