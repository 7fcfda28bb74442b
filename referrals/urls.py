"""/referrals/: the agent's referrals, asks, and their own analytics."""

from django.urls import path

from . import views, views_analytics

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("new/", views.referral_new, name="new"),
    path("ask/", views.request_new, name="ask"),
    path("requests/", views.request_list, name="requests"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("<int:pk>/stage/", views.referral_stage, name="stage"),
    path("<int:pk>/thank/", views.referral_thank, name="thank"),
    path("feedback/<int:pk>/", views.feedback_report, name="feedback"),
    path("influence/", views_analytics.influence_centres, name="influence"),
    path("sources/", views_analytics.source_analytics, name="sources"),
]
