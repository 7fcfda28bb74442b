"""No silent overwrites: every edit form carries the version of the record it was opened on,
and a save over a newer version is refused with a page showing both, field by field.

The version is a digest of what is stored: the record's own fields and the rows of the
related sets the form edits (a policy's riders and beneficiaries, a client's family), so an
edit anywhere (another tab, a colleague, the admin) makes an open form stale whatever it
touched. Use on an edit page:

    version = versions.opened(request, instance=client, related=PARTS)   # for the template
    if request.method == "POST":
        with transaction.atomic():
            current = versions.stale(request, instance=client, form=form, related=PARTS)  # locks
            if current:
                return versions.conflict_page(request, current=current,
                                              theirs=build(fresh), yours=[form, …], …)
            … validate and save, in the same transaction …

and `{% include "includes/version_field.html" %}` inside the <form>. The conflict page
lets the agent keep theirs (the same data posted again over the new version: inline rows
the stale form did not know are kept, the services never delete a row not named) or reload.

A POST without any version (a page opened before a deploy, a script, a hand-made request) is
refused too: `stale` puts the reason on the form, so the view's usual "not valid" path writes
nothing and shows the form again with what the agent typed, now carrying the stored version
(`opened`), so a second save, after the agent looked, goes through."""

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.timezone import is_aware, localtime
from django.utils.translation import gettext as _

from agentcrm.core.money import money_text

FIELD = "_version"
EMPTY = "—"


def version_of(
    instance: models.Model, related: Iterable[str] = (), fields: Iterable[str] | None = None
) -> str:
    """A digest of the stored values of `instance` (its `fields`, by default all: a form
    passes the ones it edits, so a change it cannot overwrite, such as the time of the last
    contact, does not make it stale) and of the rows of its `related` sets (reverse foreign
    keys or many-to-many), read from the database as they are now."""
    digest = hashlib.sha256()
    names = set(fields) if fields is not None else None
    for model_field in instance._meta.concrete_fields:
        if names is not None and model_field.name not in names and model_field.attname not in names:
            continue
        digest.update(
            f"{model_field.attname}={model_field.value_from_object(instance)!r};".encode()
        )
    for name in related:
        digest.update(f"|{name}|".encode())
        try:
            target = getattr(instance, name)
        except ObjectDoesNotExist:  # a one-to-one not created yet
            digest.update(b"none")
            continue
        rows = target.order_by("pk") if hasattr(target, "order_by") else [target]
        for row in rows:
            digest.update(
                ";".join(
                    f"{f.attname}={f.value_from_object(row)!r}" for f in row._meta.concrete_fields
                ).encode()
            )
            digest.update(b"\n")
    return digest.hexdigest()[:40]


def opened(
    request,
    *,
    instance: models.Model | None,
    related: Iterable[str] = (),
    fields: Iterable[str] | None = None,
) -> str:
    """The version the form on the page carries: the one it was opened on (kept as posted
    when the form is shown again with errors), the stored one on a first display."""
    if instance is None or instance.pk is None:
        return ""
    if request.method == "POST" and request.POST.get(FIELD):
        return request.POST[FIELD]
    return version_of(instance, related, fields)


def stale(
    request,
    *,
    instance: models.Model,
    form: forms.BaseForm,
    related: Iterable[str] = (),
    fields: Iterable[str] | None = None,
) -> str | None:
    """On the POST of an edit form, inside the transaction that saves it: lock the record,
    then the stored version if it is not the one the form was opened on, else None. Another
    save of the same record waits on the lock and then finds this one's version.

    A POST that names no version cannot be checked, so it is not saved: the reason goes on
    `form` (the edit form, bound to the POST), which is then not valid, and the view shows
    it again as it shows any refused form."""
    submitted = request.POST.get(FIELD)
    fresh = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    if not submitted:
        if form.is_bound:
            form.add_error(None, missing_message())
        else:  # an empty POST: the form shows the stored record again, and says why
            messages.error(request, missing_message())
        return None
    current = version_of(fresh, related, fields)
    # As bytes: compare_digest refuses a str with non-ASCII characters (a forged version).
    same = hmac.compare_digest(submitted.encode(), current.encode())
    return None if same else current


def missing_message() -> str:
    return _(
        "Nothing was saved: this form did not say which version of the record it was opened "
        "on, so a change saved meanwhile could have been overwritten. What you typed is kept "
        "below: check it and save again."
    )


# -- the conflict page ---------------------------------------------------------------------


@dataclass
class FieldRow:
    label: str
    theirs: str
    yours: str
    differs: bool


@dataclass
class PartRows:
    """An inline set (riders, family…): the rows stored now and the rows of the form."""

    label: str
    theirs: list[str] = field(default_factory=list)
    yours: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # stored, unknown to the form: kept


# Fields whose typed text is read back into a value before it is shown, so both versions
# read alike (a date as a date, an amount as money) whichever side it came from.
_TYPED = (forms.DateField, forms.DateTimeField, forms.DecimalField, forms.IntegerField)


def shown(form_field: forms.Field, value, currency: str = "CNY") -> str:
    """A value as the agent reads it elsewhere in the app: a choice's label, a record's
    name, a date as 2026年4月1日, an amount as money (¥ and 万, `money_text`), a share
    as 60%."""
    if isinstance(value, list | tuple):
        texts = (shown(form_field, v, currency) for v in value)
        return "、".join(s for s in texts if s != EMPTY) or EMPTY
    if value is None or value == "":
        return EMPTY
    if isinstance(form_field, forms.ModelChoiceField):
        pk = getattr(value, "pk", value)
        try:
            found = form_field.queryset.filter(pk=pk).first()
        except (ValueError, TypeError):
            found = None
        return str(found) if found is not None else str(value)
    if isinstance(form_field, forms.BooleanField):
        return _("Yes") if value not in (False, "false", "False", "0", "off") else _("No")
    choices = getattr(form_field, "choices", None)
    if choices is not None:
        flat = {}
        for key, label in choices:
            if isinstance(label, list | tuple):
                flat.update({str(k): v for k, v in label})
            else:
                flat[str(key)] = label
        return str(flat.get(str(value), value))
    if isinstance(value, str) and isinstance(form_field, _TYPED):
        try:  # clean, not to_python: an amount past the field's digits stays text
            value = form_field.clean(value)
        except forms.ValidationError:
            return value  # what the agent typed, as typed
        if value is None:
            return EMPTY
    if isinstance(value, datetime):
        return date_format(localtime(value) if is_aware(value) else value, "DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(form_field, forms.DecimalField) and isinstance(value, Decimal | int | float):
        try:
            if "%" in str(form_field.label or ""):
                return f"{money_text(value, 'CNY').lstrip('¥')}%"
            return money_text(value, currency, short=True)
        except ArithmeticError:  # a stored value past what money_text can round
            return str(value)
    return str(value)


def _currency(form: forms.BaseForm, *, bound: bool, default: str = "CNY") -> str:
    """The currency the amounts of `form` are in: its own currency field, else `default`."""
    if "currency" not in form.fields:
        return default
    value = form["currency"].data if bound else form["currency"].initial
    return str(value or default)


def _visible(form: forms.BaseForm):
    for name, form_field in form.fields.items():
        if name in ("id", "DELETE", "ORDER") or isinstance(form_field.widget, forms.HiddenInput):
            continue
        if isinstance(form_field, forms.models.InlineForeignKeyField):
            continue
        yield name, form_field


def _changed(form_field: forms.Field, initial, data) -> bool:
    try:
        return form_field.has_changed(initial, data)
    except (forms.ValidationError, TypeError, ValueError):
        return str(initial) != str(data)


def field_rows(
    theirs: forms.BaseForm, yours: forms.BaseForm, currency: str = "CNY"
) -> list[FieldRow]:
    """Each field of the form: the stored value, the value the agent sent."""
    rows = []
    theirs_currency = _currency(theirs, bound=False, default=currency)
    yours_currency = _currency(yours, bound=True, default=currency)
    for name, form_field in _visible(yours):
        initial = theirs[name].initial
        data = yours[name].data
        rows.append(
            FieldRow(
                label=str(form_field.label or name),
                theirs=shown(form_field, initial, theirs_currency),
                yours=shown(form_field, data, yours_currency),
                differs=_changed(form_field, initial, data),
            )
        )
    return rows


def _summary(form: forms.BaseForm, *, bound: bool, currency: str = "CNY") -> str:
    parts = []
    for name, form_field in _visible(form):
        value = form[name].data if bound else form[name].initial
        text = shown(form_field, value, currency)
        if text != EMPTY and not isinstance(form_field, forms.BooleanField):
            parts.append(text)
    return " · ".join(parts) or EMPTY


def part_rows(
    theirs: forms.BaseFormSet, yours: forms.BaseFormSet, label: str, currency: str = "CNY"
) -> PartRows:
    """An inline set: each stored row, each row the form sends (removed ones left out),
    and the stored rows the form never knew, which a save keeps."""
    known = set()
    sent = []
    for form in yours.forms:
        pk = form["id"].data if "id" in form.fields else None
        if pk not in (None, ""):
            known.add(str(pk))
        removed = form.fields.get("DELETE")
        if removed is not None and removed.clean(form["DELETE"].data):
            continue
        if pk in (None, "") and not form.has_changed():
            continue  # an empty extra row
        sent.append(_summary(form, bound=True, currency=currency))
    stored, kept = [], []
    for form in theirs.initial_forms:
        text = _summary(form, bound=False, currency=currency)
        stored.append(text)
        if str(form.instance.pk) not in known:
            kept.append(text)
    return PartRows(label=label, theirs=stored, yours=sent, kept=kept)


def conflict_page(
    request,
    *,
    current: str,
    forms_pairs: Sequence[tuple[forms.BaseForm, forms.BaseForm]] = (),
    formset_pairs: Sequence[tuple[forms.BaseFormSet, forms.BaseFormSet, str]] = (),
    title: str,
    back_url: str,
    currency: str = "CNY",
):
    """The page a stale save answers (409): both versions side by side, field by field,
    with "keep mine" (the same data posted again over the version stored now) and "reload"
    (the form as stored now; what the agent typed stays on this page to copy). `currency`:
    that of the amounts of a form with no currency field of its own (a policy's riders)."""
    rows = [row for theirs, yours in forms_pairs for row in field_rows(theirs, yours, currency)]
    parts = [part_rows(theirs, yours, label, currency) for theirs, yours, label in formset_pairs]
    resend = [
        (key, value)
        for key in request.POST
        if key not in ("csrfmiddlewaretoken", FIELD)
        for value in request.POST.getlist(key)
    ]
    return render(
        request,
        "includes/conflict.html",
        {
            "title": title,
            "rows": rows,
            "parts": parts,
            "resend": resend,
            "version": current,
            "back_url": back_url,
            "reload_url": request.get_full_path(),
        },
        status=409,
    )
