"""/gifts/: the agent's gift ideas and caps."""

from django.urls import path

from . import views

app_name = "gifts"

urlpatterns = [
    path("ideas/", views.gift_ideas, name="ideas"),
    path("settings/", views.gift_settings, name="settings"),
]
