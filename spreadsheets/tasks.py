"""Celery tasks for spreadsheet imports. Thin: each takes ids and calls one service, which
claims its job with a conditional update, so a task delivered twice (acks_late) does its
work once.

The task names are the ones they had in the policies app, so a message queued before the
move still finds its task."""

from celery import shared_task

from . import services


@shared_task(name="policies.tasks.import_validate")
def import_validate(job_id: int) -> None:
    """Check an uploaded spreadsheet's rows for the preview."""
    services.import_job_validate(job_id=job_id)


@shared_task(name="policies.tasks.import_run")
def import_run(job_id: int) -> None:
    """Import a confirmed spreadsheet in one transaction."""
    services.import_job_run(job_id=job_id)


@shared_task(name="policies.tasks.import_jobs_expire")
def import_jobs_expire() -> int:
    """Close imports left unconfirmed for a week and delete their files."""
    return services.import_jobs_expire()
