"""Writes for spreadsheet imports: upload → check (preview) → confirm → import.

The check and the import run in Celery tasks (`spreadsheets.tasks`), never in the web request;
each task takes the job id and calls one function here. A task claims its job with a
conditional update (`uploaded → validating`, `queued → importing`), so a task delivered
twice does its work once; the claim also takes over a job whose worker died (no progress
for STALE_AFTER), and only the attempt holding the claim may finish the job.

The import writes in ONE transaction: every client, policy and status-history row of the
file, the touches due for the new clients in the days already built (the bulk-write rule of
`touches.registry`: one set-based rebuild for all of them, none for past occasions), and
the job's `done` status, are committed together or not at all. Rows are still
read, checked and written in batches of BATCH_ROWS, so memory does not grow with the file.
The job's progress must be visible while that transaction is open, so it is written
through a second database connection that commits at once (PostgreSQL). SQLite allows one
writer at a time: there the import's progress shows when it ends (the check step, which
commits as it goes, shows progress on both).

Rows are checked by `spreadsheets.rows.RowChecker` with the client form's and
`policy_create`'s rules, and written with bulk inserts: `policy_create` costs about 14
queries a policy (its full_clean checks each foreign key and constraint with a query), some
45 s for 10,000 rows, where bulk inserts of the checked rows take a few seconds. What
`policy_create` and `Client.save` derive is derived here with the same functions: the
cooling-off end, the anniversary key, the first status-history step, the birthday key, and
the next premium due with its grace end exactly as `policy_premium_refresh` stores them for
a policy without payments (a test compares the two).
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from agentcrm.core.broker import task_send
from agentcrm.core.calendar import month_day_key
from agentcrm.core.history import REASON_IMPORT, history_record
from agentcrm.core.locks import IMPORT_BOOK, advisory_xact_lock
from clients.models import Client, birth_md_for, id_number_digest_for, id_number_normalise
from policies import dates
from policies.models import Insurer, Policy, PolicyStatusChange
from touches.registry import touches_rebuild_for_clients

from . import tasks
from .columns import BY_KEY
from .models import ImportJob, ImportRowError
from .reader import ImportFileError, Sheet, detect_kind, open_sheet
from .rows import CheckedRow, Identity, RowChecker

logger = logging.getLogger(__name__)

Status = ImportJob.Status
BATCH_ROWS = 500
STALE_AFTER = timedelta(minutes=15)
EXPIRE_AFTER = timedelta(days=7)
LIST_LIMIT = 50  # new insurers and ignored columns kept for the preview
# A value read from another column (spreadsheets.rows): its problems name that column.
READ_FROM = {"mobile": "phone_other", "product_name": "policy_type"}


class _Abort(Exception):
    """Leave the import transaction without committing anything."""


# -- upload and confirm (web request) ------------------------------------------------------


def import_job_create(*, owner: User, upload) -> ImportJob:
    """Store an uploaded file and queue its check. Refuses what cannot be a spreadsheet."""
    if not upload.size:
        raise ValidationError({"file": _("The file is empty.")})
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("The file is larger than %(size)s MB: split it into several files.")
                % {"size": limit // (1024 * 1024)}
            }
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    try:
        kind = detect_kind(upload.name, head)
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from None
    with transaction.atomic():
        job = ImportJob(owner=owner, original_name=upload.name[-255:], kind=kind)
        job.file.save(upload.name, upload, save=False)
        job.save()
        transaction.on_commit(lambda: _queue_check(job))
    return job


def _queue_check(job: ImportJob) -> None:
    """Queue the check; with the broker down the job fails and says so, rather than waiting
    for a task that was never sent."""
    if not task_send(task=tasks.import_validate, args=(job.pk,)):
        _fail(
            job,
            _(
                "The file could not be checked because the background service is "
                "unavailable: nothing was imported. Please upload it again in a few minutes."
            ),
        )


def import_job_confirm(*, job: ImportJob, only_valid: bool) -> ImportJob:
    """The agent's go-ahead after the preview: queue the import. Importing every row is
    allowed only when no row has an error or is a duplicate."""
    if job.status != Status.VALIDATED:
        raise ValidationError(_("This import is not waiting for confirmation."))
    if job.valid_rows == 0:
        raise ValidationError(_("No row of this file can be imported."))
    if not only_valid and not job.can_import_all:
        raise ValidationError(
            {
                "mode": _(
                    "Some rows have errors or are duplicates: correct the file and upload it "
                    "again, or import only the valid rows."
                )
            }
        )
    queued: list[bool] = []
    with transaction.atomic():
        updated = ImportJob.objects.filter(pk=job.pk, status=Status.VALIDATED).update(
            status=Status.QUEUED, only_valid=only_valid, processed_rows=0, progress_at=None
        )
        if not updated:
            raise ValidationError(_("This import is not waiting for confirmation."))
        transaction.on_commit(
            lambda: queued.append(task_send(task=tasks.import_run, args=(job.pk,)))
        )
    if queued == [False]:
        # The broker is down: the job waits for confirmation again and the agent is told.
        ImportJob.objects.filter(pk=job.pk, status=Status.QUEUED).update(status=Status.VALIDATED)
        raise ValidationError(
            _(
                "The import could not be started because the background service is "
                "unavailable: nothing was imported. Please confirm again in a few minutes."
            )
        )
    job.refresh_from_db()
    return job


def import_jobs_expire(*, older_than: timedelta = EXPIRE_AFTER) -> int:
    """The retention of uploaded files (clients' personal data): EXPIRE_AFTER (7 days) after
    the upload at the latest, whatever became of the job. Jobs still waiting then (never
    confirmed, or queued or running with no progress for STALE_AFTER: their worker is gone)
    are closed as failed; a finished job that still has its file (its deletion failed) loses
    it; and the cell values quoted in the row errors are blanked. Returns how many jobs were
    closed. Run every night (`import_jobs_expire_step`)."""
    now = timezone.now()
    cutoff = now - older_than
    # The same condition in the claim below, so a job a worker took meanwhile is left alone.
    abandoned = Q(status__in=[Status.UPLOADED, Status.VALIDATED, Status.QUEUED]) | Q(
        Q(progress_at__isnull=True) | Q(progress_at__lt=now - STALE_AFTER),
        status__in=[Status.VALIDATING, Status.IMPORTING],
    )
    old = ImportJob.objects.filter(created_at__lt=cutoff)
    closed = 0
    for job in old.filter(abandoned).exclude(file="").only("id", "file", "attempt").iterator():
        expired = ImportJob.objects.filter(abandoned, pk=job.pk).update(
            status=Status.FAILED,
            message=_("Not confirmed within %(days)s days: nothing was imported.")
            % {"days": older_than.days},
            finished_at=now,
        )
        if expired:
            _discard_file(job)
            closed += 1
    for job in old.filter(status__in=[Status.DONE, Status.FAILED]).exclude(file="").iterator():
        _discard_file(job)
    ImportRowError.objects.filter(job__in=old).exclude(value="").update(value="")
    return closed


def import_jobs_expire_step(day: date) -> None:
    """The nightly step (registered in SpreadsheetsConfig.ready()): expire what has waited
    longer than EXPIRE_AFTER by now."""
    import_jobs_expire()


# -- shared by both steps ------------------------------------------------------------------


def _claim(job_id: int, *, waiting: str, running: str) -> ImportJob | None:
    """Move the job from `waiting` to `running` for this attempt; None if another attempt
    has it or it is past this step (a redelivered task then does nothing)."""
    now = timezone.now()
    claimable = Q(status=waiting) | Q(status=running, progress_at__lt=now - STALE_AFTER)
    updated = (
        ImportJob.objects.filter(claimable, pk=job_id)
        .exclude(file="")
        .update(status=running, attempt=F("attempt") + 1, processed_rows=0, progress_at=now)
    )
    if not updated:
        return None
    return ImportJob.objects.select_related("owner").get(pk=job_id)


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk, attempt=job.attempt).update(
        status=Status.FAILED, message=message, finished_at=timezone.now()
    )
    _discard_file(job)


def _discard_file(job: ImportJob) -> None:
    """The uploaded file holds clients' personal data: it is deleted once the job ends."""
    if job.file.name:
        default_storage.delete(job.file.name)
        ImportJob.objects.filter(pk=job.pk).update(file="")


@contextmanager
def _sheet(job: ImportJob) -> Iterator[Sheet]:
    with (
        default_storage.open(job.file.name, "rb") as handle,
        open_sheet(getattr(handle, "file", handle), kind=job.kind) as sheet,
    ):
        yield sheet


def _batches(sheet: Sheet) -> Iterator[list[tuple[int, list]]]:
    limit = settings.IMPORT_MAX_ROWS
    batch: list[tuple[int, list]] = []
    filled = 0  # rows with a value: a lone row numbered 50,000,000 is one row
    for number, cells in sheet.rows:
        filled += any(c not in (None, "") for c in cells)
        if filled > limit:
            raise ImportFileError(
                _("The file has more than %(limit)s rows: split it into several files.")
                % {"limit": limit}
            )
        batch.append((number, cells))
        if len(batch) == BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


class _Progress:
    """Records how many rows a step has done, so the job page can show it while it runs.

    Outside a transaction it is a plain update. Inside the import's transaction the update
    goes through a second connection of its own, which commits at once, so the page sees it
    before the import commits; SQLite has one writer at a time, so there it waits."""

    def __init__(self, job: ImportJob):
        self.job_id = job.pk
        self._side = None

    def __call__(self, **fields) -> None:
        fields["progress_at"] = timezone.now()
        if not connection.in_atomic_block:
            ImportJob.objects.filter(pk=self.job_id).update(**fields)
            return
        if connection.vendor != "postgresql":
            return
        if self._side is None:
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(name)} = %s" for name in fields)
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(ImportJob._meta.db_table)} SET {assignments} WHERE id = %s",
                [*fields.values(), self.job_id],
            )

    def close(self) -> None:
        if self._side is not None:
            self._side.close()


def _row_errors(job: ImportJob, sheet: Sheet, rows: list[CheckedRow]) -> list[ImportRowError]:
    errors = []
    for row in rows:
        for problem in row.problems:
            key = problem.column
            column = (
                sheet.headers.get(key)
                or sheet.headers.get(READ_FROM.get(key, ""))
                or (BY_KEY[key].header if key else "")
            )
            errors.append(
                ImportRowError(
                    job=job,
                    row=row.number,
                    column=column[:64],
                    value=problem.value[:100],
                    message=problem.message[:500],
                    kind=ImportRowError.Kind.DUPLICATE
                    if problem.duplicate
                    else ImportRowError.Kind.ERROR,
                )
            )
    return errors


# -- the check (preview) step --------------------------------------------------------------


def import_job_validate(*, job_id: int) -> ImportJob | None:
    """Check every row of the file and record each problem; writes nothing else."""
    job = _claim(job_id, waiting=Status.UPLOADED, running=Status.VALIDATING)
    if job is None:
        return None
    progress = _Progress(job)
    try:
        _validate(job, progress)
    except ImportFileError as exc:
        _fail(job, str(exc))
    except Exception:
        logger.exception("import %s: the check failed", job.pk)
        _fail(job, _("The file could not be checked because of an unexpected error."))
        raise
    finally:
        progress.close()
    job.refresh_from_db()
    return job


def _validate(job: ImportJob, progress: _Progress) -> None:
    ImportRowError.objects.filter(job=job).delete()  # a taken-over attempt starts afresh
    counts = {"total": 0, "ok": 0, "error": 0, "duplicate": 0}
    with _sheet(job) as sheet:
        ImportJob.objects.filter(pk=job.pk).update(
            encoding=sheet.encoding,
            total_rows=sheet.estimated_rows or 0,
            ignored_columns=sheet.ignored[:LIST_LIMIT],
            hidden_columns=sheet.hidden[:LIST_LIMIT],
        )
        checker = RowChecker(owner=job.owner, columns=sheet.columns)
        for batch in _batches(sheet):
            rows = checker.check(batch)
            for row in rows:
                counts["total"] += 1
                counts[row.status] += 1
            ImportRowError.objects.bulk_create(_row_errors(job, sheet, rows))
            progress(processed_rows=counts["total"])
    if counts["total"] == 0:
        raise ImportFileError(_("The file has no rows under its header."))
    ImportJob.objects.filter(pk=job.pk, attempt=job.attempt).update(
        status=Status.VALIDATED,
        total_rows=counts["total"],
        valid_rows=counts["ok"],
        error_rows=counts["error"],
        duplicate_rows=counts["duplicate"],
        processed_rows=counts["total"],
        new_insurers=checker.new_insurers[:LIST_LIMIT],
        progress_at=timezone.now(),
    )


# -- the import step -----------------------------------------------------------------------


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Import the confirmed job's rows in one transaction: all of them, or with only_valid
    the rows without a problem. If a row that passed the check fails now (a client or
    policy added meanwhile) an import of all rows writes nothing."""
    job = _claim(job_id, waiting=Status.QUEUED, running=Status.IMPORTING)
    if job is None:
        return None
    progress = _Progress(job)
    late: list[ImportRowError] = []
    try:
        with transaction.atomic():
            # One import into an agent's book at a time: a second (the same file confirmed
            # twice, or two files naming the same people) waits here, then its duplicate
            # check sees what the first wrote.
            advisory_xact_lock(namespace=IMPORT_BOOK, key=job.owner_id)
            created: list[int] = []
            counts = _import(job, progress, late, created)
            if late and not job.only_valid:
                raise _Abort
            # The bulk-write rule (touches.registry, section 9): the new clients' touches in
            # the built window, in this transaction, so they are on the dashboard when the
            # job shows done. Never past occasions: a new book brings no overdue pile.
            counts["touches_created"] = touches_rebuild_for_clients(
                client_ids=created, today=timezone.localdate()
            )
            finished = ImportJob.objects.filter(
                pk=job.pk, status=Status.IMPORTING, attempt=job.attempt
            ).update(status=Status.DONE, finished_at=timezone.now(), **counts)
            if not finished:
                raise _Abort  # another attempt took the job over: leave it to that one
    except _Abort:
        if late and not job.only_valid:
            ImportRowError.objects.bulk_create(late)
            _fail(
                job,
                _(
                    "%(count)s rows no longer pass the check (clients or policies were added "
                    "since): nothing was imported."
                )
                % {"count": len({e.row for e in late})},
            )
    except ImportFileError as exc:
        _fail(job, str(exc))
    except (OperationalError, InterfaceError):
        # The transaction went with the connection: _fail writes on a new one.
        logger.exception("import %s: the database connection failed", job.pk)
        _fail(
            job,
            _(
                "The import was interrupted because the connection to the database was lost: "
                "nothing was imported. Please upload the file again."
            ),
        )
        raise
    except Exception:
        logger.exception("import %s failed", job.pk)
        _fail(job, _("The import failed because of an unexpected error: nothing was imported."))
        raise
    else:
        if late:
            ImportRowError.objects.bulk_create(late)
        _discard_file(job)
    finally:
        progress.close()
    job.refresh_from_db()
    return job


def _import(
    job: ImportJob, progress: _Progress, late: list[ImportRowError], created: list[int]
) -> dict:
    reported = set(job.row_errors.values_list("row", flat=True).distinct())
    counts = {"processed_rows": 0, "imported_rows": 0, "clients_created": 0}
    counts["policies_created"] = 0
    promote: list[int] = []
    now = timezone.now()
    with _sheet(job) as sheet:
        checker = RowChecker(owner=job.owner, columns=sheet.columns)
        for batch in _batches(sheet):
            rows = checker.check(batch)
            good = [row for row in rows if row.status == "ok"]
            changed = [r for r in rows if r.problems and r.number not in reported]
            late.extend(_row_errors(job, sheet, changed))
            if late and not job.only_valid:
                return counts  # the caller rolls back
            clients, policies = _write(
                owner=job.owner,
                checker=checker,
                rows=good,
                now=now,
                promote=promote,
                created=created,
            )
            counts["processed_rows"] += len(rows)
            counts["imported_rows"] += len(good)
            counts["clients_created"] += clients
            counts["policies_created"] += policies
            progress(processed_rows=counts["processed_rows"])
    for start in range(0, len(promote), BATCH_ROWS):
        prospects = list(
            Client.objects.select_for_update()
            .filter(pk__in=promote[start : start + BATCH_ROWS], stage=Client.Stage.PROSPECT)
            .values_list("pk", flat=True)
        )
        Client.objects.filter(pk__in=prospects).update(stage=Client.Stage.CLIENT)
        history_record(
            instances=Client.objects.filter(pk__in=prospects), user=job.owner, reason=REASON_IMPORT
        )
    return counts


def _write(
    *,
    owner: User,
    checker: RowChecker,
    rows: list[CheckedRow],
    now,
    promote: list[int],
    created: list[int],
) -> tuple[int, int]:
    """Insert one batch of checked rows: new insurers, new clients, then the policies with
    their first status-history step. Returns (clients created, policies created)."""
    missing = sorted(
        {row.insurer_name for row in rows if row.policy and not checker.insurers[row.insurer_name]}
    )
    if missing:
        # The agent's own until an administrator confirms them (Insurer.confirmed).
        Insurer.objects.bulk_create(
            [Insurer(name=name, confirmed=False, added_by=owner) for name in missing],
            ignore_conflicts=True,
        )
        checker.insurers.update({i.name: i for i in Insurer.objects.filter(name__in=missing)})

    new: dict[int, tuple[Identity, Client]] = {}
    for row in rows:
        identity = row.identity
        if identity.pk is None and id(identity) not in new:
            client = row.client
            client.owner = owner
            client.birth_md = birth_md_for(client.birth_date)  # as Client.save
            client.wedding_md = birth_md_for(client.wedding_date)
            client.id_number = id_number_normalise(client.id_number)  # as Client.save
            client.id_number_digest = id_number_digest_for(client.id_number)
            identity.stage, identity.stage_given = client.stage, row.stage_given
            new[id(identity)] = (identity, client)
    inserted = Client.objects.bulk_create([client for _, client in new.values()])
    history_record(instances=inserted, user=owner, reason=REASON_IMPORT, created=True)
    for identity, client in new.values():
        identity.pk = client.pk
        created.append(client.pk)

    policies = []
    for row in rows:
        if row.policy is None:
            continue
        identity = row.identity
        if (
            not identity.has_policy
            and identity.stage == Client.Stage.PROSPECT
            and not identity.stage_given
        ):
            promote.append(identity.pk)
        identity.has_policy = True
        policy = row.policy
        policy.insurer = checker.insurers[row.insurer_name]
        policy.holder_id = policy.insured_client_id = identity.pk
        policy.status_changed_at = now
        policy.anniversary_md = month_day_key(
            policy.effective_date.month, policy.effective_date.day
        )  # as Policy.save
        policy.premium_next_due, policy.premium_grace_end = premium_dates_for_new(policy)
        policies.append(policy)
    Policy.objects.bulk_create(policies)
    history_record(instances=policies, user=owner, reason=REASON_IMPORT, created=True)
    PolicyStatusChange.objects.bulk_create(
        PolicyStatusChange(policy=p, from_status="", to_status=p.status, at=now, by=owner)
        for p in policies
    )
    return len(new), len(policies)


def premium_dates_for_new(policy: Policy):
    """(next premium due, grace end) of a policy with no payment recorded, paid up to its
    `premium_paid_to`: what `policy_premium_refresh` stores, computed without its two
    queries."""
    return dates.premium_next_due_and_grace_end(
        effective=policy.effective_date,
        frequency=policy.payment_frequency,
        term_years=policy.payment_term_years,
        paid=(),
        grace_days=policy.insurer.grace_days,
        paid_to=policy.premium_paid_to,
    )
