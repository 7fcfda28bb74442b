"""`manage.py import_book USERNAME FILE [--only-valid]`: import an agent's spreadsheet from
the command line, with the rules of the web import (the same check, the same all-or-nothing
write, the same touches), run here instead of in Celery.

Exit status 0 when it wrote; 1 when the file was refused (each row's problem on stderr, as
"第3行 出生日期：…"), nothing written."""

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from agentcrm.accounts.models import User
from spreadsheets.models import ImportJob
from spreadsheets.reader import ImportFileError, detect_kind
from spreadsheets.services import import_job_run, import_job_validate


class Command(BaseCommand):
    help = "Import a spreadsheet of clients and policies into an agent's book."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("file")
        parser.add_argument(
            "--only-valid",
            action="store_true",
            help="Import the rows without a problem and skip the others.",
        )

    def handle(self, *args, username: str, file: str, only_valid: bool, **options):
        owner = User.objects.filter(username=username, is_active=True).first()
        if owner is None:
            raise CommandError(_("No active user named %(name)s.") % {"name": username})
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(file)s.") % {"file": file})
        with path.open("rb") as handle:
            try:
                kind = detect_kind(path.name, handle.read(8))
            except ImportFileError as exc:
                self._refuse(str(exc))
            handle.seek(0)
            with transaction.atomic():
                job = ImportJob(owner=owner, original_name=path.name[-255:], kind=kind)
                job.file.save(path.name, File(handle), save=False)
                job.save()
        job = import_job_validate(job_id=job.pk)
        if job.status != ImportJob.Status.VALIDATED:
            self._refuse(job.message)
        if job.valid_rows == 0 or (not only_valid and not job.can_import_all):
            self._errors(job)
            ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED)
            message = _("%(count)s rows have problems: nothing was imported.") % {
                "count": job.error_rows + job.duplicate_rows
            }
            if job.valid_rows:
                message += " " + _(
                    "Correct the file and import it again, or add --only-valid to import "
                    "only the rows without a problem."
                )
            self._refuse(message)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.QUEUED, only_valid=only_valid
        )
        job = import_job_run(job_id=job.pk)
        if job.status != ImportJob.Status.DONE:
            self._errors(job)
            self._refuse(job.message)
        if only_valid:
            self._errors(job)
        summary = _(
            "Imported %(rows)s rows: %(clients)s new clients and %(policies)s policies."
        ) % {
            "rows": job.imported_rows,
            "clients": job.clients_created,
            "policies": job.policies_created,
        }
        if job.touches_total:
            summary += " " + _("New touches: %(count)s (%(kinds)s).") % {
                "count": job.touches_total,
                "kinds": job.touches_by_kind,
            }
        self.stdout.write(summary)

    def _errors(self, job: ImportJob) -> None:
        for error in job.row_errors.all():
            where = _("Row %(row)s") % {"row": error.row}
            if error.column:
                where += f" {error.column}"
            value = f"（{error.value}）" if error.value else ""
            self.stderr.write(f"{where}{value}：{error.message}")

    def _refuse(self, message: str):
        raise CommandError(message, returncode=1)
