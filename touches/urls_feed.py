"""The calendar feed's URLs (namespace calendar_feed): its settings page and the secret .ics."""

from django.urls import path

from . import views_feed

app_name = "calendar_feed"

urlpatterns = [
    path("", views_feed.calendar_settings, name="settings"),
    path("regenerate/", views_feed.calendar_regenerate, name="regenerate"),
    path("<str:token>.ics", views_feed.calendar_feed, name="feed"),
]
