from django.urls import path

from . import views

app_name = "handover"

urlpatterns = [
    path("", views.handover_start, name="start"),
    path("<int:pk>/", views.handover_detail, name="detail"),
]
