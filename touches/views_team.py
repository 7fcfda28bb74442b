"""The manager's landing page: `/` for a manager or admin is the team overview, not an empty
list of their own touches (the dashboard view hands over to `team_overview`)."""

from django.shortcuts import render
from django.utils import timezone

from . import selectors_team


def team_overview(request):
    today = timezone.localdate()
    overview = selectors_team.team_overview(manager=request.user, today=today)
    return render(request, "touches/team_overview.html", {"overview": overview, "today": today})
