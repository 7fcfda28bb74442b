"""URLs of the client archive (namespace clients)."""

from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("commitments/", views.commitment_list, name="commitments"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/archive/", views.client_archive, name="archive"),
    path("<int:pk>/unarchive/", views.client_unarchive, name="unarchive"),
    path("<int:pk>/delete/", views.client_delete, name="delete"),
    path("<int:pk>/merge/<int:other_id>/", views.client_merge, name="merge"),
    path("merges/<int:merge_id>/undo/", views.client_merge_undo, name="merge_undo"),
    path("<int:pk>/interactions/", views.interaction_add, name="interaction_add"),
    path("<int:pk>/life-events/", views.life_event_add, name="life_event_add"),
    path("<int:pk>/commitments/", views.commitment_add, name="commitment_add"),
    path(
        "<int:pk>/commitments/<int:commitment_id>/done/",
        views.commitment_done,
        name="commitment_done",
    ),
    path(
        "<int:pk>/commitments/<int:commitment_id>/reopen/",
        views.commitment_reopen,
        name="commitment_reopen",
    ),
]
