"""/clients/<id>/referrals/: the chain under one client (mounted under /clients/)."""

from django.urls import path

from .views import analytics

app_name = "client_referrals"

urlpatterns = [
    path("<int:pk>/referrals/", analytics.client_chain, name="chain"),
]
