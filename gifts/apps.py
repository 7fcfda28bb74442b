"""Gifts (节日的礼物, 赠书籍杂志, and the pitfall 送贵重礼品): on start-up the app adds its card to
the client page, its figures to the service page, "log the gift" to birthday and festival
touches, and its rows to the client merge."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GiftsConfig(AppConfig):
    name = "gifts"
    verbose_name = _("Gifts")

    def ready(self) -> None:
        from touches.registry import (
            register_client_panel,
            register_gift_ideas,
            register_merge_mover,
            register_service_panel,
            register_touch_action,
        )

        from .ideas import touch_ideas_loader
        from .panels import GIFT_TOUCH_KINDS, client_panel, log_gift_url, service_panel
        from .services import gifts_merge_move, gifts_merge_undo

        register_client_panel("gifts/_client_panel.html", client_panel, order=35)
        register_service_panel(
            "gifts", template_name="gifts/_service_panel.html", context_fn=service_panel, order=50
        )
        register_touch_action(
            "gift_log",
            _("Log the gift"),
            log_gift_url,
            kinds=GIFT_TOUCH_KINDS,
            order=50,
            after_done=True,
        )
        # The dashboard's gift ideas are the agent's lists of /gifts/ideas/ (one source).
        register_gift_ideas(touch_ideas_loader, kinds=GIFT_TOUCH_KINDS)
        register_merge_mover("gifts", move=gifts_merge_move, undo=gifts_merge_undo, order=50)
