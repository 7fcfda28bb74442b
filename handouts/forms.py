"""The needs the review measures the cover against, adjustable on the page (a GET form: the
same query string gives the same PDF and image)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors.review import Needs

DEFAULTS = Needs()


def _int(label, lo, hi, default):
    return forms.IntegerField(
        label=label,
        min_value=lo,
        max_value=hi,
        required=False,
        initial=default,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
        error_messages={
            "min_value": _("At least %(limit_value)s."),
            "max_value": _("At most %(limit_value)s."),
            "invalid": _("Enter a whole number."),
        },
    )


class NeedsForm(forms.Form):
    life_years = _int(_("Life cover (years of income)"), 0, 30, DEFAULTS.life_years)
    ci_years = _int(_("Critical illness (years of income)"), 0, 20, DEFAULTS.ci_years)
    ci_min = _int(_("Critical illness at least (¥)"), 0, 10_000_000, DEFAULTS.ci_min)
    medical = _int(_("Medical (¥)"), 0, 100_000_000, DEFAULTS.medical)
    accident_years = _int(_("Accident (years of income)"), 0, 30, DEFAULTS.accident_years)
    accident_min = _int(_("Accident at least (¥)"), 0, 10_000_000, DEFAULTS.accident_min)
    education = _int(_("Education fund per child (¥)"), 0, 10_000_000, DEFAULTS.education)
    premium_share = _int(_("Premiums at most (% of income)"), 1, 100, DEFAULTS.premium_share)

    def needs(self) -> Needs:
        """The needs asked for, the default for any left empty; all defaults when invalid."""
        if not self.is_valid():
            return DEFAULTS
        given = {k: v for k, v in self.cleaned_data.items() if v is not None}
        return Needs(**given)


def needs_from(query) -> tuple[NeedsForm, Needs]:
    form = NeedsForm(query or None)
    return form, (form.needs() if query else DEFAULTS)
