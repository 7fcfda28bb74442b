"""/team/referrals/: the manager's team referral statistics."""

from django.urls import path

from . import views_team

app_name = "team_referrals"

urlpatterns = [
    path("", views_team.team_referrals, name="overview"),
    path("export.<str:fmt>", views_team.team_referrals_export, name="export"),
    path("agents/<int:pk>/", views_team.agent_referrals, name="agent"),
]
