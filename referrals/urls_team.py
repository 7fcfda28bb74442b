"""/team/referrals/: the manager's team referral statistics."""

from django.urls import path

from .views import team

app_name = "team_referrals"

urlpatterns = [
    path("", team.team_referrals, name="overview"),
    path("export.<str:fmt>", team.team_referrals_export, name="export"),
    path("agents/<int:pk>/", team.agent_referrals, name="agent"),
]
