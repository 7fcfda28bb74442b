"""The calendar feed's URLs (namespace calendar_feed): its settings page and the secret .ics."""

from django.urls import path, register_converter

from . import views_feed

app_name = "calendar_feed"


class FeedTokenConverter:
    """A token's own characters only (calendar_feed.TOKEN_RE): "/calendar/%00.ics" is a
    plain 404 and never a database query."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FeedTokenConverter, "feedtoken")

urlpatterns = [
    path("", views_feed.calendar_settings, name="settings"),
    path("regenerate/", views_feed.calendar_regenerate, name="regenerate"),
    path("<feedtoken:token>.ics", views_feed.calendar_feed, name="feed"),
]
