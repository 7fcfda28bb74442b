"""Form helpers shared by every app."""

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.forms.models import InlineForeignKeyField
from django.utils.translation import gettext_lazy as _


def check_year_range(value: date | None, *, first: int, last: int) -> None:
    """Refuse a date or a time outside the years first..last. The browser's pickers accept
    0001 and 9999; such a value cannot be shifted by a time zone or a period length (a time
    at 0001-01-01 00:00 in Shanghai is in year 0 in UTC, which Python cannot read back)."""
    if value is not None and not first <= value.year <= last:
        raise ValidationError(
            _("Enter a date between the years %(first)s and %(last)s."),
            code="year_range",
            params={"first": str(first), "last": str(last)},
        )


class DateInput(forms.DateInput):
    """The browser's date picker, which wants the value as YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put each message of a service's ValidationError beside the input it concerns; the
    others (rules over the whole record) go to the top of the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        form.add_error(key if key in form.fields else None, errors)


def model_form_values(form: forms.BaseModelForm) -> dict[str, Any]:
    """A valid ModelForm's cleaned values of its model's fields (those in Meta.fields), as
    plain data for a service: what `form.save()` would store. As there (Django's
    construct_instance), a field with a model default that the request left out is not
    given, so the record keeps its value."""
    opts = form._meta.model._meta
    values = {}
    for name in form._meta.fields or ():
        if name not in form.cleaned_data:
            continue
        if isinstance(form.fields.get(name), InlineForeignKeyField):
            continue  # an inline formset's link to its parent, which the service sets
        try:
            field = opts.get_field(name)
        except FieldDoesNotExist:
            continue  # a field of the form's own
        widget = form.fields[name].widget
        if (
            field.concrete
            and field.has_default()
            and widget.value_omitted_from_data(form.data, form.files, form.add_prefix(name))
        ):
            continue
        values[name] = form.cleaned_data[name]
    return values


def formset_changes(formset: forms.BaseModelFormSet) -> list[dict[str, Any]]:
    """A valid model formset's changes as plain data for a service, in the order
    `formset.save()` makes them: each existing row deleted ({"id", "delete": True}) or
    changed ({"id", **values}), then each new row ({**values}). Rows left as they were are
    not given."""
    deleted = formset.deleted_forms
    rows: list[dict[str, Any]] = []
    for form in formset.initial_forms:
        pk = form.instance.pk
        if pk is None:  # no row behind the form: formset.save() skips it too
            continue
        if form in deleted:
            rows.append({"id": pk, "delete": True})
        elif form.has_changed():
            rows.append({"id": pk, **model_form_values(form)})
    for form in formset.extra_forms:
        if form.has_changed() and form not in deleted:
            rows.append(model_form_values(form))
    return rows
