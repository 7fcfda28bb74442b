"""The base's views: /healthz, the error pages (400, 403, 404, 500, refused form token) and the
retry page of a refused status move."""

import logging

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health
from .selectors import nightly_last_success

logger = logging.getLogger(__name__)


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


# --- error pages -------------------------------------------------------------------------
# In the app's layout and language, with a way back. If the layout itself cannot be drawn
# (the database is down, so the signed-in user cannot be loaded), a plain page says the same.

_PLAIN_ERROR = (
    '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>AgentCRM</title>'
    "</head><body>"
    '<h1>{heading}</h1><p>{text}</p><p><a href="/">{back}</a></p></body></html>'
)


def _error_page(request, template_name: str, status: int) -> HttpResponse:
    try:
        return render(request, template_name, {"status_code": status}, status=status)
    except Exception:
        logger.exception("the %s page could not be rendered", status)
        body = _PLAIN_ERROR.format(
            heading=escape(_("Something went wrong on our side")),
            text=escape(_("Please try again in a moment.")),
            back=escape(_("Back to today's list")),
        )
        return HttpResponse(body, status=status)


@login_not_required
def bad_request(request, exception=None):
    return _error_page(request, "400.html", 400)


@login_not_required
def permission_denied(request, exception=None):
    return _error_page(request, "403.html", 403)


@login_not_required
def page_not_found(request, exception=None):
    return _error_page(request, "404.html", 404)


@login_not_required
def server_error(request):
    return _error_page(request, "500.html", 500)


@login_not_required
def csrf_failure(request, reason=""):
    return _error_page(request, "403_csrf.html", 403)


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
