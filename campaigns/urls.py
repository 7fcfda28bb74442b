"""/campaigns/: campaigns of irregular service (不定期服务)."""

from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("audience/", views.audience_preview, name="audience"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
]
