"""Spreadsheet imports: one ImportJob per uploaded file, its row-level findings as
ImportRowError rows. Written only by `spreadsheets.services`.

Both models came from the policies app and keep its tables (`db_table`); migration
spreadsheets 0001 took them over without touching the database."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from touches.registry import occasion_kind


def import_upload_to(job: "ImportJob", filename: str) -> str:
    """A random name under imports/: the agent's file name may carry a client's name, so it
    is kept only in the job row, never in the path."""
    suffix = PurePath(filename).suffix.lower()
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class ImportJob(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATING = "validating", _("Checking rows")
        VALIDATED = "validated", _("Ready to import")
        QUEUED = "queued", _("Waiting to import")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    class Kind(models.TextChoices):
        XLSX = "xlsx", "Excel (.xlsx)"
        XLS = "xls", "Excel 97–2003 (.xls)"
        CSV = "csv", "CSV"

    # A worker is doing something with the job in these statuses; the job page polls.
    RUNNING = (Status.UPLOADED, Status.VALIDATING, Status.QUEUED, Status.IMPORTING)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        related_name="import_jobs",
    )
    original_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=255, blank=True)
    kind = models.CharField(_("file type"), max_length=8, choices=Kind)
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.UPLOADED, db_index=True
    )
    only_valid = models.BooleanField(_("import only the valid rows"), default=False)
    # Counted by the check (validation) step; total_rows is an estimate while it runs.
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("duplicate rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    # Counted by the import step.
    imported_rows = models.PositiveIntegerField(_("rows imported"), default=0)
    clients_created = models.PositiveIntegerField(_("clients created"), default=0)
    policies_created = models.PositiveIntegerField(_("policies created"), default=0)
    # Small lists for the preview: insurers the import will create, columns it ignores,
    # columns hidden in the workbook (imported, and shown so the agent knows).
    new_insurers = models.JSONField(default=list, blank=True)
    ignored_columns = models.JSONField(default=list, blank=True)
    hidden_columns = models.JSONField(default=list, blank=True)
    # The touches the import made for its clients, {occasion kind: count}
    # (touches.registry.touches_rebuild_for_clients).
    touches_created = models.JSONField(default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    # Incremented by every claim: only the attempt that claimed the job may finish it.
    attempt = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        db_table = "policies_importjob"
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="importjob_owner_created")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def can_import_all(self) -> bool:
        return self.error_rows == 0 and self.duplicate_rows == 0 and self.valid_rows > 0

    @property
    def touches_total(self) -> int:
        return sum(self.touches_created.values())

    @property
    def touches_by_kind(self) -> str:
        """ "生日 3、保单周年日 9": the touches the import made, most first."""
        parts = []
        for key, count in sorted(self.touches_created.items(), key=lambda kv: (-kv[1], kv[0])):
            kind = occasion_kind(key)
            parts.append(f"{kind.label if kind else key} {count}")
        return "、".join(parts)

    @property
    def percent(self) -> int:
        """Progress of the current step, 0–100; never 100 before the step has finished."""
        if self.status in (self.Status.DONE, self.Status.VALIDATED):
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)


class ImportRowError(models.Model):
    """One problem with one row (or with the file, row 0), shown on the preview."""

    class Kind(models.TextChoices):
        ERROR = "error", _("Error")
        DUPLICATE = "duplicate", _("Duplicate")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=64, blank=True)
    value = models.CharField(_("value"), max_length=100, blank=True)
    message = models.CharField(_("message"), max_length=500)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.ERROR)

    class Meta:
        db_table = "policies_importrowerror"
        verbose_name = _("import row error")
        verbose_name_plural = _("import row errors")
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["job", "row"], name="importrowerror_job_row")]

    def __str__(self) -> str:
        return f"{self.row}: {self.message}"
