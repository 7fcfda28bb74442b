"""The project's URLconf plus the bench's bare view; used only by bench.load.settings, so
the product's URLconf (and the access matrix that walks it) never has a bench route."""

from django.urls import path

from agentcrm.urls import urlpatterns as project_urlpatterns

from .views import ping_db

urlpatterns = [
    path("bench/ping-db", ping_db, name="bench_ping_db"),
    *project_urlpatterns,
]
