"""Spreadsheet import pages (upload, progress, preview, confirm) and the .xlsx exports.

Every job URL goes through `get_import_job_for_user`: another agent's job is a 404."""

import io
import tempfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agentcrm.core.forms import add_service_errors
from agentcrm.core.lists import list_page, page_context
from agentcrm.core.services import export_log_record
from agentcrm.core.spreadsheets import XLSX_CONTENT_TYPE

from . import selectors, services
from .forms import ImportConfirmForm, ImportUploadForm
from .workbook import template_workbook, write_clients, write_policies

RECENT_JOBS = 20
ERRORS_PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
def import_index(request):
    """Upload a file; the agent's recent imports below the form."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(owner=request.user, upload=form.cleaned_data["file"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("imports:detail", pk=job.pk)
    jobs = list(selectors.import_jobs_for_user(user=request.user)[:RECENT_JOBS])
    return render(
        request,
        "spreadsheets/index.html",
        {"form": form, "jobs": jobs},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def import_template(request):
    return _xlsx(io.BytesIO(template_workbook()), "客户保单导入模板.xlsx")


@require_GET
def import_detail(request, pk: int):
    """The job: progress while a worker has it, then the preview (counts and every row's
    problems, a page at a time) with the confirm form, or the result."""
    job = selectors.get_import_job_for_user(user=request.user, pk=pk)
    return list_page(
        request,
        selectors.import_row_errors(job=job),
        "spreadsheets/detail.html",
        context={"job": job, "confirm": ImportConfirmForm()},
        page_size=ERRORS_PAGE_SIZE,
    )


@require_GET
def import_progress(request, pk: int):
    """The progress fragment the job page polls; once the worker is done, htmx reloads the
    page to show the preview or the result."""
    job = selectors.get_import_job_for_user(user=request.user, pk=pk)
    response = render(request, "spreadsheets/_progress.html", {"job": job})
    if not job.is_running and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@require_POST
def import_confirm(request, pk: int):
    job = selectors.get_import_job_for_user(user=request.user, pk=pk)
    form = ImportConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.import_job_confirm(
                job=job, only_valid=form.cleaned_data["mode"] == ImportConfirmForm.VALID
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The import has started."))
            return redirect("imports:detail", pk=job.pk)
    errors = page_context(request, selectors.import_row_errors(job=job), page_size=ERRORS_PAGE_SIZE)
    return render(
        request, "spreadsheets/detail.html", {"job": job, "confirm": form, **errors}, status=400
    )


def _xlsx(stream, filename: str) -> FileResponse:
    return FileResponse(
        stream, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


class _Counted:
    """Passes rows through and counts them, for the export log."""

    def __init__(self, rows):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def _export(request, write, rows, name: str):
    """Write the workbook to a temporary file (openpyxl's write-only mode keeps memory flat)
    and stream it from there. Each export is logged: who, which, how many rows."""
    counted = _Counted(rows)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    write(out, counted)
    out.seek(0)
    export_log_record(user=request.user, kind=f"{name}.xlsx", rows=counted.count)
    return _xlsx(out, f"{name}-{timezone.localdate():%Y%m%d}.xlsx")


@require_GET
def export_clients(request):
    clients = selectors.clients_for_export(user=request.user).iterator(chunk_size=2000)
    return _export(request, write_clients, clients, "clients")


@require_GET
def export_policies(request):
    policies = selectors.policies_for_export(user=request.user).iterator(chunk_size=2000)
    return _export(request, write_policies, policies, "policies")
