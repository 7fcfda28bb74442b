"""Status machines: where an object's status may go next, and the one way to move it.

Three of the project's models move along a table of allowed steps: a policy's status, a
service request's status and a referral's stage. Each model declares its table
(`TRANSITIONS`: status → the statuses it may go to) and each step is logged in a subclass of
`agentcrm.core.models.StatusChange`. `status_move` is the only writer of a step:

1. the step must be in the table, else a ValidationError keyed by the status field;
2. the update is conditional on the status the caller saw (`obj` as the caller loaded it),
   so two tabs cannot both move the object: the second is refused, nothing is written, and
   `obj` is refreshed for the retry;
3. the log row is written;
4. an audit history row is written when the move changed a field the object's history
   tracks (the status itself usually has its own log and is left out of the history).
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_model_for_model

from .history import history_record
from .models import StatusChange

Transitions = Mapping[str, Collection[str]]


def allowed_next(transitions: Transitions, current: str, choices: type[models.Choices]) -> list:
    """The statuses `current` may move to, in the order of `choices`."""
    allowed = transitions.get(current, ())
    return [value for value in choices.values if value in allowed]


def next_forward(
    transitions: Transitions,
    current: str,
    forward: Sequence[str],
    *,
    same_as: Mapping[str, str] | None = None,
) -> str | None:
    """The step a status form proposes: the nearest status after `current` along `forward`
    (the way things normally go) that the table allows. A status off that way stands where
    `same_as` puts it. None when no forward step is allowed: a form then proposes nothing,
    and never a step back (a step back stays possible, chosen by hand, where the table
    allows it)."""
    anchor = (same_as or {}).get(current, current)
    if anchor not in forward:
        return None
    allowed = transitions.get(current, ())
    later = forward[forward.index(anchor) + 1 :]
    return next((status for status in later if status in allowed), None)


def _label(obj: models.Model, field: str, value: str) -> str:
    """The display name of a status (the value itself when it is not one)."""
    return dict(obj._meta.get_field(field).flatchoices).get(value, value)


def _column_value(model: type[models.Model], name: str, value: Any) -> tuple[str, Any]:
    """(attname, value as stored): a related object given for a foreign key is its pk."""
    if isinstance(value, models.Model):
        value = value.pk
    return model._meta.get_field(name).attname, value


def _history_tracks_a_change(obj: models.Model, written: Mapping[str, Any]) -> bool:
    """Whether any of the fields written changed a value the object's history tracks."""
    try:
        tracked = {f.name for f in get_history_model_for_model(type(obj)).tracked_fields}
    except NotHistoricalModelError:
        return False
    for name, value in written.items():
        if name in tracked:
            attname, new = _column_value(type(obj), name, value)
            if getattr(obj, attname) != new:
                return True
    return False


def status_move(
    *,
    obj: models.Model,
    field: str = "status",
    to: str,
    transitions: Transitions,
    refused: str | Callable[[str, str], str],
    stale: str,
    by=None,
    note: str = "",
    log_model: type[StatusChange],
    log_fields: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    stamp: str | None = None,
    where: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> StatusChange:
    """Move `obj` from the status it holds in memory (the one the caller saw) to `to`, log
    the step and return the log row.

    - `transitions` is the model's table. A step not in it is refused with `refused`: a
      message formatted with the display names of `from` and `to`, or a function of the two
      values returning the message (for machines that say why in more than one way).
    - `extra`: the object's other fields written with the step, or a function returning
      them, called once the step is found allowed; it may raise ValidationError for what the
      step needs (e.g. the amount paid), and nothing is written then.
    - `stamp`: the object's field set to the step's time `at` (now unless given).
    - `where`: more conditions for the update, beside the status seen (e.g. still open).
    - If the update finds the status changed meanwhile, nothing is written; `obj` is
      refreshed (the status, `stamp` and the `where` fields) and the caller is told with
      `stale`, formatted with the display name of the status now as `now`.
    - The log row gets `log_fields` (its link to the object, and any field of its own), the
      from, to and time fields the log model names, `by` and `note`.
    - Errors are keyed by `field`; every error message is the caller's, so each machine
      keeps its own words.
    """
    current = getattr(obj, field)
    if to not in transitions.get(current, ()):
        message = (
            refused(current, to)
            if callable(refused)
            else refused % {"from": _label(obj, field, current), "to": _label(obj, field, to)}
        )
        raise ValidationError({field: message})
    extra = dict(extra() if callable(extra) else extra or {})
    at = at or timezone.now()
    written = {field: to, **({stamp: at} if stamp else {}), **extra}
    model = type(obj)
    with transaction.atomic(savepoint=False):
        updated = model._default_manager.filter(
            pk=obj.pk, **{field: current}, **(where or {})
        ).update(**written)
        if updated:
            history = _history_tracks_a_change(obj, written)
            for name, value in written.items():
                setattr(obj, name, value)
            change = log_model._default_manager.create(
                **(log_fields or {}),
                **{log_model.FROM_FIELD: current, log_model.TO_FIELD: to, log_model.AT_FIELD: at},
                by=by,
                note=note,
            )
            if history:
                # As stored: the rows in memory may be older than the one just updated.
                history_record(instances=[model._default_manager.get(pk=obj.pk)], user=by)
    if not updated:
        # Nothing was written (and the refusal is raised outside the atomic block, so the
        # caller's transaction stays usable for the page that says so).
        refresh = [field, *([stamp] if stamp else [])]
        refresh += [name.split("__")[0] for name in where or {}]
        obj.refresh_from_db(fields=refresh)
        now = getattr(obj, field)
        raise ValidationError({field: stale % {"now": _label(obj, field, now)}})
    return change
