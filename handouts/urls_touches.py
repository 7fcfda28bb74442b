"""The greeting cards, mounted under /touches/ (namespace touch_cards)."""

from django.urls import path

from . import views

app_name = "touch_cards"

urlpatterns = [
    path("<int:pk>/card/", views.card_page, name="page"),
    path("<int:pk>/card.png", views.card_image, name="image"),
]
