"""/clients/<id>/data-export/ and /clients/<id>/erase/ (mounted under /clients/)."""

from django.urls import path

from . import views

app_name = "client_privacy"

urlpatterns = [
    path("<int:pk>/data-export/", views.client_data_export, name="export"),
    path("<int:pk>/erase/", views.client_erase, name="erase"),
]
