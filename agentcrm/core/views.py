from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health
from .selectors import nightly_last_success


@login_not_required
@never_cache
@require_GET
def healthz(request):
    db = health.database_ok()
    last_run = nightly_last_success() if db else None
    body = {
        "database": "ok" if db else "down",
        "broker": "ok" if health.broker_ok() else "down",
        "last_nightly_run": last_run.isoformat() if last_run else None,
    }
    return JsonResponse(body, status=200 if db else 503)


def status_move_retry(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    form: forms.Form,
    field: str,
    message: str,
    **more_context,
) -> HttpResponse:
    """The page again, with status 400, after a refused status move (see
    agentcrm.core.transitions.status_move), `message` on top and the reasons on `form`.

    `context` is the page's, built afresh from the object as it is now, with its own move
    form under `<field>_form` (None once the object cannot move any more). The agent's bound
    form takes its place, offering the moves allowed now (`to_<field>`) and starting from
    the status now (its hidden `seen_<field>`), so a retry is a move from what is there now.
    """
    messages.error(request, message)
    key, to, seen = f"{field}_form", f"to_{field}", f"seen_{field}"
    current = context[key]
    if current is not None:
        form.fields[to].choices = current.fields[to].choices
        form.data = form.data.copy()
        form.data[seen] = current.initial[seen]
        context[key] = form
    context.update(more_context)
    return render(request, template, context, status=400)
