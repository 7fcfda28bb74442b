"""The dashboard at the site's root (no namespace: `{% url 'dashboard' %}`, LOGIN_REDIRECT_URL)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
