"""/referrals/: the agent's referrals, asks, and their own analytics."""

from django.urls import path

from .views import agent, analytics

app_name = "referrals"

urlpatterns = [
    path("", agent.referral_list, name="list"),
    path("new/", agent.referral_new, name="new"),
    path("ask/", agent.request_new, name="ask"),
    path("ask/check/", agent.request_reask_check, name="ask_check"),
    path("requests/", agent.request_list, name="requests"),
    path("<int:pk>/", agent.referral_detail, name="detail"),
    path("<int:pk>/stage/", agent.referral_stage, name="stage"),
    path("<int:pk>/thank/", agent.referral_thank, name="thank"),
    path("feedback/<int:pk>/", agent.feedback_report, name="feedback"),
    path("influence/", analytics.influence_centres, name="influence"),
    path("sources/", analytics.source_analytics, name="sources"),
]
