from datetime import date

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from agentcrm.core.calendar import InvalidLunar, lunar_validate, solar_to_lunar

from .models import (
    Calendar,
    Client,
    Commitment,
    CustomDate,
    FamilyMember,
    GreetingStyle,
    Interaction,
    LifeEvent,
)

LUNAR_ERRORS = {
    "year": _("The lunar year must be between 1900 and 2099."),
    "month": _("A lunar month is between 1 and 12."),
    "leap": _("That lunar year has no leap month %(month)s."),
    "day": _("Lunar month %(month)s of %(year)s has no day %(day)s."),
}


def lunar_error(reason: str, *, year, month, day) -> str:
    return LUNAR_ERRORS[reason] % {"year": year, "month": month, "day": day}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class BirthdayFormMixin:
    """Validation shared by clients and family members: no future birth dates, and a lunar
    birthday that exists in its year (day 30 in a short month, a leap month the year lacks)."""

    def clean(self):
        cleaned = super().clean()
        birth_date: date | None = cleaned.get("birth_date")
        if birth_date and birth_date > timezone.localdate():
            self.add_error("birth_date", _("A birth date cannot be in the future."))
            birth_date = None
        month = cleaned.get("lunar_birth_month")
        day = cleaned.get("lunar_birth_day")
        leap = bool(cleaned.get("lunar_birth_leap"))
        year = cleaned.get("lunar_birth_year")
        celebrates = cleaned.get("birthday_calendar")
        if (month is None) != (day is None):
            self.add_error(
                "lunar_birth_day" if day is None else "lunar_birth_month",
                _("Enter both the lunar month and day, or neither."),
            )
            return cleaned
        if month is None:
            if leap:
                self.add_error("lunar_birth_leap", _("A leap month needs a lunar month and day."))
            if celebrates == Calendar.LUNAR:
                if birth_date:  # derive the lunar birthday from the solar birth date
                    y, m, d, lp = solar_to_lunar(birth_date)
                    cleaned.update(
                        lunar_birth_year=y,
                        lunar_birth_month=m,
                        lunar_birth_day=d,
                        lunar_birth_leap=lp,
                    )
                else:
                    self.add_error(
                        "lunar_birth_month",
                        _(
                            "This person celebrates the lunar birthday: "
                            "enter it, or the solar birth date."
                        ),
                    )
            return cleaned
        if year is None and birth_date:
            year = solar_to_lunar(birth_date)[0]
        if year is None:
            if leap or day == 30:
                self.add_error(
                    "lunar_birth_year",
                    _("Enter the lunar birth year so a leap month or day 30 can be checked."),
                )
            elif not 1 <= month <= 12:
                self.add_error(
                    "lunar_birth_month", lunar_error("month", year="", month=month, day=day)
                )
            return cleaned
        try:
            lunar_validate(year=year, month=month, day=day, leap=leap)
        except InvalidLunar as exc:
            field = {
                "year": "lunar_birth_year",
                "month": "lunar_birth_month",
                "leap": "lunar_birth_leap",
            }
            self.add_error(
                field.get(str(exc), "lunar_birth_day"),
                lunar_error(str(exc), year=year, month=month, day=day),
            )
        if year and cleaned.get("lunar_birth_year") is None:
            cleaned["lunar_birth_year"] = year
        return cleaned


BIRTHDAY_FIELDS = [
    "birth_date",
    "birthday_calendar",
    "lunar_birth_year",
    "lunar_birth_month",
    "lunar_birth_day",
    "lunar_birth_leap",
]


class ClientForm(BirthdayFormMixin, forms.ModelForm):
    mobile = PhoneNumberField(label=_("mobile phone"), region="CN", required=False)
    phone_other = PhoneNumberField(label=_("other phone"), region="CN", required=False)
    tag_names = forms.CharField(
        label=_("tags"),
        required=False,
        help_text=_("Separate tags with commas."),
        max_length=500,
    )

    class Meta:
        model = Client
        fields = [
            "name",
            "gender",
            "salutation",
            "greeting_style",
            *BIRTHDAY_FIELDS,
            "mobile",
            "phone_other",
            "wechat_id",
            "email",
            "address",
            "occupation",
            "employer",
            "industry",
            "marital_status",
            "wedding_date",
            "income_band",
            "segments",
            "tag_names",
            "interests",
            "vip_tier",
            "is_influence_centre",
            "source",
            "stage",
            "do_not_contact",
            "do_not_contact_reason",
            "notes",
        ]
        widgets = {
            "birth_date": DateInput(),
            "wedding_date": DateInput(),
            "segments": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "salutation": _(
                "How you address the client in greetings: 王总, 李姐, 张老师. "
                "Left blank: 王先生 or 王女士 from the surname and gender."
            ),
            "greeting_style": _("Which wording of the greetings this client gets."),
        }

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        suggestion = self.instance.suggested_salutation if self.instance.pk else ""
        self.fields["salutation"].widget.attrs["placeholder"] = suggestion or _("e.g. 王总")
        # A post without it (an older page, a script) keeps the client's style.
        self.fields["greeting_style"].required = False

    def clean_greeting_style(self):
        return (
            self.cleaned_data.get("greeting_style")
            or self.instance.greeting_style
            or GreetingStyle.FORMAL
        )
        if self.instance.pk:
            self.fields["tag_names"].initial = ", ".join(t.name for t in self.instance.tags.all())
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("do_not_contact") and not cleaned.get("do_not_contact_reason"):
            self.add_error("do_not_contact_reason", _("Say why this client must not be contacted."))
        wedding = cleaned.get("wedding_date")
        birth = cleaned.get("birth_date")
        if wedding and birth and wedding < birth:
            self.add_error("wedding_date", _("The wedding date is before the birth date."))
        return cleaned


class FamilyMemberForm(BirthdayFormMixin, forms.ModelForm):
    class Meta:
        model = FamilyMember
        fields = ["relation", "name", "gender", *BIRTHDAY_FIELDS, "is_living", "notes"]
        widgets = {"birth_date": DateInput()}


class CustomDateForm(forms.ModelForm):
    class Meta:
        model = CustomDate
        fields = ["name", "calendar", "year", "month", "day", "leap"]

    def clean(self):
        cleaned = super().clean()
        cal, year = cleaned.get("calendar"), cleaned.get("year")
        month, day, leap = cleaned.get("month"), cleaned.get("day"), bool(cleaned.get("leap"))
        if month is None or day is None:
            return cleaned
        if cal == Calendar.SOLAR:
            if leap:
                self.add_error("leap", _("Only lunar dates have leap months."))
            try:
                date(year or 2000, month, day)  # 2000 is a leap year: 29 February is allowed
            except (ValueError, OverflowError):  # OverflowError: a day of 2200000000
                self.add_error(
                    "day", _("%(month)s/%(day)s is not a date.") % {"month": month, "day": day}
                )
        elif year is not None:
            try:
                lunar_validate(year=year, month=month, day=day, leap=leap)
            except InvalidLunar as exc:
                self.add_error("day", lunar_error(str(exc), year=year, month=month, day=day))
        elif not (1 <= month <= 12 and 1 <= day <= 30):
            self.add_error("day", _("A lunar date is month 1–12, day 1–30."))
        elif leap:
            self.add_error("year", _("Enter the year so the leap month can be checked."))
        return cleaned


FamilyFormSet = forms.inlineformset_factory(
    Client, FamilyMember, form=FamilyMemberForm, extra=1, can_delete=True
)
CustomDateFormSet = forms.inlineformset_factory(
    Client, CustomDate, form=CustomDateForm, extra=1, can_delete=True
)


class InteractionForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ["kind", "date", "summary", "gift_value"]
        widgets = {"date": DateInput()}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date") and cleaned["date"] > timezone.localdate():
            self.add_error("date", _("An interaction cannot be in the future; add a commitment."))
        if cleaned.get("gift_value") is not None and cleaned.get("kind") != Interaction.Kind.GIFT:
            self.add_error("gift_value", _("Only gifts have a value."))
        if cleaned.get("gift_value") is not None and cleaned["gift_value"] < 0:
            self.add_error("gift_value", _("A gift's value cannot be negative."))
        return cleaned


class LifeEventForm(forms.ModelForm):
    class Meta:
        model = LifeEvent
        fields = ["kind", "date", "notes"]
        widgets = {"date": DateInput()}


class CommitmentForm(forms.ModelForm):
    class Meta:
        model = Commitment
        fields = ["description", "due_date"]
        widgets = {"due_date": DateInput()}


class ClientFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    segment = forms.ChoiceField(required=False)
    source = forms.ChoiceField(required=False)
    tier = forms.ChoiceField(required=False)
    stage = forms.ChoiceField(required=False)
    birthday_month = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    tag = forms.CharField(required=False, max_length=40)
    archived = forms.BooleanField(required=False)
    sort = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        from .models import Segment
        from .selectors import SORTS

        super().__init__(*args, **kwargs)
        blank = [("", _("All"))]
        self.fields["segment"].choices = blank + list(Segment.Code.choices)
        self.fields["source"].choices = blank + list(Client.Source.choices)
        self.fields["tier"].choices = blank + list(Client.Tier.choices)
        self.fields["stage"].choices = blank + list(Client.Stage.choices)
        self.fields["birthday_month"].choices = blank + [(m, str(m)) for m in range(1, 13)]
        labels = {
            "name": _("Name"),
            "-created": _("Newest"),
            "birthday": _("Birthday"),
            "last_contact": _("Last contact"),
        }
        self.fields["sort"].choices = [(k, labels[k]) for k in SORTS]
