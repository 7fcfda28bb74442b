"""The manager's pages: /team/service/, its export, the drill-down into one agent, and
/team/lapse/."""

from django.urls import path

from . import views_team

app_name = "team_service"

urlpatterns = [
    path("service/", views_team.team_service, name="overview"),
    path("service/export.xlsx", views_team.team_service_export, name="export"),
    path("service/<int:agent_id>/", views_team.agent_service, name="agent"),
    path("lapse/", views_team.team_lapse, name="lapse"),
]
