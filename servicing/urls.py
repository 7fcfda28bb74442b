"""Servicing and claims pages (保全 / 理赔), mounted at /service-requests/ under the namespace
`service_requests`."""

from django.urls import path

from .views import requests as views

app_name = "service_requests"

urlpatterns = [
    path("", views.service_request_list, name="list"),
    path("new/", views.service_request_create, name="create"),
    path("<int:pk>/", views.service_request_detail, name="detail"),
    path("<int:pk>/edit/", views.service_request_edit, name="edit"),
    path("<int:pk>/status/", views.service_request_set_status, name="status"),
    path("<int:pk>/documents/", views.service_request_document_add, name="document_add"),
    path(
        "<int:pk>/documents/<int:document_id>/toggle/",
        views.service_request_document_toggle,
        name="document_toggle",
    ),
    path(
        "<int:pk>/documents/<int:document_id>/remove/",
        views.service_request_document_remove,
        name="document_remove",
    ),
]
