"""Spreadsheet import and export, mounted at /policies/import/ (before the policies URLs)
under the namespace `imports`."""

from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.import_index, name="index"),
    path("template.xlsx", views.import_template, name="template"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("export/clients.xlsx", views.export_clients, name="export_clients"),
    path("export/policies.xlsx", views.export_policies, name="export_policies"),
]
