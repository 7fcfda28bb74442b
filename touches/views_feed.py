"""The agent's iCalendar feed: a secret URL a phone calendar subscribes to (no login, the
token is the credential), and the page that shows and regenerates it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import calendar_feed as feeds


@login_not_required
def calendar_feed(request, token: str):
    owner = feeds.calendar_feed_owner(token=token)
    if owner is None:
        raise Http404
    body = feeds.calendar_feed_ics(owner=owner, today=timezone.localdate())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="agentcrm.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


def calendar_settings(request):
    feed = feeds.calendar_feed_for(owner=request.user)
    url = request.build_absolute_uri(f"/calendar/{feed.token}.ics")
    webcal = "webcal://" + url.split("://", 1)[1]
    return render(request, "touches/calendar_settings.html", {"url": url, "webcal": webcal})


@require_POST
def calendar_regenerate(request):
    feeds.calendar_feed_regenerate(owner=request.user)
    messages.success(request, _("A new calendar address was made; the old one no longer works."))
    return redirect("calendar_feed:settings")
