"""/clients/<id>/gifts/: a client's gift log."""

from django.urls import path

from . import views

app_name = "client_gifts"

urlpatterns = [
    path("<int:pk>/gifts/", views.gift_log, name="log"),
    path("<int:pk>/gifts/<int:gift_id>/delete/", views.gift_delete, name="delete"),
]
