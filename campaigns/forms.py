from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from touches.greetings import text_for_editor

from .models import Campaign
from .services import message_problems


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["reason", "title", "message", "due_date"]
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "message": forms.Textarea(attrs={"rows": 3, "maxlength": 150}),
        }
        help_texts = {
            "message": _(
                "{称呼} becomes how you address each client (王总, 李姐); a message without it "
                "starts with it."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("due_date", timezone.localdate() + timedelta(days=3))
            self.initial["message"] = text_for_editor(self.initial.get("message", ""))

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError(_("The due date cannot be in the past."))
        return due

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        problems = message_problems(message)
        if problems:
            raise forms.ValidationError(
                _("The message can only use {称呼}; not understood: %(words)s")
                % {"words": "、".join(f"{{{p}}}" for p in problems)}
            )
        return message
