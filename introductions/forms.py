from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import FamilyMember, Segment

from .models import Introduction, NeedKind

CONSENT_LABEL = _("The client agreed to be introduced (recorded with today's date)")


class _ClientForm(forms.Form):
    def __init__(self, *args, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients


class OfferForm(_ClientForm):
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


class NeedForm(_ClientForm):
    client = forms.ModelChoiceField(label=_("Client"), queryset=None)
    kind = forms.ChoiceField(label=_("Need"), choices=NeedKind.choices)
    description = forms.CharField(label=_("Details"), max_length=200, required=False)
    consent = forms.BooleanField(label=CONSENT_LABEL, required=False)


class ProfileForm(_ClientForm):
    client = forms.ModelChoiceField(label=_("Client"), queryset=None)
    member = forms.ModelChoiceField(
        label=_("Family member (blank: the client)"),
        queryset=FamilyMember.objects.none(),
        required=False,
    )
    notes = forms.CharField(label=_("What they look for"), max_length=300, required=False)
    opted_in = forms.BooleanField(
        label=_("The person asked for or agreed to matchmaking (recorded with today's date)")
    )

    def __init__(self, *args, clients, **kwargs):
        super().__init__(*args, clients=clients, **kwargs)
        self.fields["member"].queryset = FamilyMember.objects.filter(
            client__in=clients
        ).select_related("client")
        self.fields["member"].label_from_instance = lambda m: f"{m.client.name} · {m}"


class MatchForm(forms.Form):
    first = forms.ModelChoiceField(label=_("Person"), queryset=None)
    second = forms.ModelChoiceField(label=_("Introduce to"), queryset=None)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, profiles, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first", "second"):
            self.fields[name].queryset = profiles
            self.fields[name].label_from_instance = lambda p: (
                f"{p.person_name}（{p.client.name}）" if p.member_id else p.person_name
            )


class IntroduceForm(forms.Form):
    offer = forms.IntegerField()
    client = forms.IntegerField()
    note = forms.CharField(max_length=300, required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How it went"),
        choices=[c for c in Introduction.Outcome.choices if c[0]],
    )
    note = forms.CharField(label=_("What they said"), max_length=300, required=False)
