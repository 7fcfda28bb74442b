"""The root URLconf: every app's URLconf is included by name (the base imports no domain app),
and the error pages are the app's own."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from agentcrm.core.views import healthz

admin.site.site_header = "AgentCRM"
admin.site.site_title = "AgentCRM"

urlpatterns = [
    path("", include("touches.urls_dashboard")),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("agentcrm.accounts.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("clients/", include("referrals.urls_clients")),
    path("clients/", include("privacy.urls")),
    path("clients/", include("gifts.urls_clients")),
    path("clients/", include("clients.urls")),
    # The household review: /clients/<id>/household/, review.pdf, review.png and the annual
    # review's snapshot under /policies/reviews/<id>/handout/.
    path("", include("handouts.urls")),
    path("referrals/", include("referrals.urls")),
    path("team/referrals/", include("referrals.urls_team")),
    path("team/handover/", include("handover.urls")),
    path("team/", include("discipline.urls_team")),
    path("", include("discipline.urls")),
    path("policies/import/", include("spreadsheets.urls")),
    # The policy pages and servicing's delivery and review pages share `policies:`.
    path("policies/", include("servicing.urls_policies")),
    path("touches/", include("touches.urls")),
    path("events/", include("events.urls")),
    path("gifts/", include("gifts.urls")),
    path("team/gifts/", include("gifts.urls_team")),
    path("touches/", include("handouts.urls_touches")),
    path("service-requests/", include("servicing.urls")),
    path("calendar/", include("touches.urls_feed")),
    path("campaigns/", include("campaigns.urls")),
    path("introductions/", include("introductions.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "agentcrm.core.views.bad_request"
handler403 = "agentcrm.core.views.permission_denied"
handler404 = "agentcrm.core.views.page_not_found"
handler500 = "agentcrm.core.views.server_error"
