from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandoutsConfig(AppConfig):
    name = "handouts"
    verbose_name = _("Handouts")

    def ready(self):
        from django.urls import reverse

        from touches.registry import register_client_panel, register_touch_action

        from .cards import CARD_KINDS
        from .panels import client_household_panel

        register_client_panel("handouts/_client_panel.html", client_household_panel, order=22)
        register_touch_action(
            "greeting_card",
            _("Card"),
            lambda touch: reverse("touch_cards:page", args=[touch.pk]),
            kinds=CARD_KINDS,
            order=50,
        )
