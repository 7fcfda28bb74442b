"""/clients/<id>/referrals/: the chain under one client (mounted under /clients/)."""

from django.urls import path

from . import views_analytics

app_name = "client_referrals"

urlpatterns = [
    path("<int:pk>/referrals/", views_analytics.client_chain, name="chain"),
]
