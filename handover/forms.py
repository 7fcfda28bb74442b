"""The handover forms: the departing agent and how the book is split."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import departing_agents_for_user, handover_agents_for_user


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        team = f" · {obj.team}" if obj.team_id else ""
        return f"{obj}{team}"


class AgentMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        team = f" · {obj.team}" if obj.team_id else ""
        return f"{obj}{team}"


class HandoverForm(forms.Form):
    from_agent = AgentChoiceField(label=_("Departing agent"), queryset=None)
    to_agents = AgentMultipleChoiceField(
        label=_("Hand the book over to"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Choose one agent to take the whole book, or several to split it: referral "
            "chains stay together and each agent gets about the same number of clients."
        ),
    )
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_agent"].queryset = departing_agents_for_user(user=user)
        self.fields["to_agents"].queryset = handover_agents_for_user(user=user).filter(
            is_active=True
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        cleaned = super().clean()
        departing = cleaned.get("from_agent")
        targets = cleaned.get("to_agents")
        if departing and targets and departing in targets:
            self.add_error("to_agents", _("The departing agent cannot take over their own book."))
        return cleaned
