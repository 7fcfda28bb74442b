from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
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
