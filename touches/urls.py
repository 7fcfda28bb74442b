"""The touch list, its actions (done, snooze, skip, reopen) and the touch settings (namespace
touches)."""

from django.urls import path

from . import views

app_name = "touches"

urlpatterns = [
    path("", views.touch_list, name="list"),
    path("settings/", views.touch_settings, name="settings"),
    path("card/done/", views.card_done, name="card_done"),
    path("festival/done/", views.festival_done, name="festival_done"),
    path("settings/email/", views.digest_settings, name="digest_settings"),
    path("<int:pk>/done/", views.touch_done, name="done"),
    path("<int:pk>/snooze/", views.touch_snooze, name="snooze"),
    path("<int:pk>/skip/", views.touch_skip, name="skip"),
    path("<int:pk>/reopen/", views.touch_reopen, name="reopen"),
]
