"""/events/: the agent's client appreciation events."""

from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("new/", views.event_create, name="create"),
    path("<int:pk>/", views.event_detail, name="detail"),
    path("<int:pk>/edit/", views.event_edit, name="edit"),
    path("<int:pk>/invite/", views.event_invite, name="invite"),
    path("<int:pk>/invitees/<int:invitee_id>/remove/", views.invitee_remove, name="uninvite"),
    path("<int:pk>/invitees/<int:invitee_id>/status/", views.invitee_status, name="status"),
    path("<int:pk>/invitees/<int:invitee_id>/guest/", views.guest_add, name="guest"),
]
