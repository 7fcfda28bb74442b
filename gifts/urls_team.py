"""/team/gifts/: the manager's list of gifts above the cap."""

from django.urls import path

from . import views

app_name = "team_gifts"

urlpatterns = [path("", views.team_gifts, name="overview")]
