"""The agent's pages: /service/ (their own service figures and pitfalls) and /lapse/ (the
lapse guard)."""

from django.urls import path

from . import views

app_name = "discipline"

urlpatterns = [
    path("service/", views.service_page, name="service"),
    path("lapse/", views.lapse_page, name="lapse"),
    path("lapse/rates/", views.commission_rates, name="rates"),
    path("lapse/<int:pk>/contact/", views.lapse_contact, name="lapse_contact"),
    path("lapse/<int:pk>/promise/", views.lapse_promise, name="lapse_promise"),
]
