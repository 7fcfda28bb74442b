"""/introductions/: introductions between clients (为客户牵头做生意, 做个红娘)."""

from django.urls import path

from . import views

app_name = "introductions"

urlpatterns = [
    path("", views.introduction_index, name="index"),
    path("offers/new/", views.offer_new, name="offer_new"),
    path("offers/<int:pk>/consent/", views.offer_consent, name="offer_consent"),
    path("needs/new/", views.need_new, name="need_new"),
    path("needs/<int:pk>/consent/", views.need_consent, name="need_consent"),
    path("introduce/", views.introduce, name="introduce"),
    # The pickers' search (htmx): the agent's own clients, offers, family, profiles.
    path("people/", views.people_options, name="people"),
    path("matchmaking/new/", views.profile_new, name="profile_new"),
    path("matchmaking/match/", views.match, name="match"),
    path("<int:pk>/outcome/", views.outcome, name="outcome"),
]
