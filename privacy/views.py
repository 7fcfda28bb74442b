"""A client's data: the export (a copy of everything held) and the erasure, each for the
client's own agent only (get_client_for_user: anyone else gets 404), each logged."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from agentcrm.core.services import export_log_record
from clients.selectors import get_client_for_user

from . import services
from .export import client_data_archive


def client_data_export(request, pk: int):
    client = get_client_for_user(user=request.user, pk=pk)
    content, rows = client_data_archive(client=client)
    export_log_record(user=request.user, kind="client_data.zip", rows=rows)
    # The file name carries the record's number, never the client's name.
    name = f"client-{client.pk}-data-{timezone.localdate():%Y%m%d}.zip"
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def client_erase(request, pk: int):
    """GET: what will be erased and what stays, and a confirmation; POST: erase."""
    client = get_client_for_user(user=request.user, pk=pk)
    status = 200
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            messages.error(request, _("Nothing was erased: tick the box to confirm."))
            status = 400
        else:
            try:
                services.client_erase(client=client, by=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                status = 400
            else:
                messages.success(
                    request, _("The client's personal data was erased. The figures stay.")
                )
                return redirect("clients:detail", pk=client.pk)
    return render(request, "privacy/erase_confirm.html", {"client": client}, status=status)
