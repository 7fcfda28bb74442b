"""The nightly run: every registered step (agentcrm.core.nightly), then the success mark;
and the export log.
"""

import logging
from datetime import date
from importlib import import_module

from django.conf import settings
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from .models import ExportLog, JobMarker
from .nightly import nightly_steps
from .selectors import NIGHTLY_JOB

logger = logging.getLogger(__name__)


class NightlyRunFailed(Exception):
    """One or more steps failed; the others ran, and the day is not marked done."""


def sessions_clear_expired(day: date) -> None:
    """Delete expired sessions from whichever store SESSION_ENGINE uses."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


def nightly_run(*, day: date | None = None) -> None:
    day = day or timezone.localdate()
    failed = []
    for name, step in nightly_steps().items():
        try:
            step(day)
        except Exception:
            # One broken step must not cost the others their night; the run still fails.
            logger.exception("nightly step %s failed for %s", name, day)
            failed.append(name)
    if failed:
        raise NightlyRunFailed(", ".join(failed))
    job_marker_record_success(name=NIGHTLY_JOB, day=day)


def job_marker_record_success(*, name: str, day: date) -> None:
    """Record a completed day in one conditional update: the day marker never moves back."""
    JobMarker.objects.get_or_create(name=name)
    JobMarker.objects.filter(name=name).update(
        last_success_at=timezone.now(),
        last_completed_day=Case(
            When(
                Q(last_completed_day__isnull=True) | Q(last_completed_day__lt=day), then=Value(day)
            ),
            default=F("last_completed_day"),
        ),
    )


def export_log_record(*, user, kind: str, rows: int) -> ExportLog:
    """Record that `user` downloaded the `kind` export (e.g. "clients.xlsx") with `rows` rows.
    Every export of client data calls this as it hands out the file."""
    return ExportLog.objects.create(user=user, kind=kind, row_count=rows)
