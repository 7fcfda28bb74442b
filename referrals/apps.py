"""The referrals app: on start-up it adds the referrals panel to the client page and the
referral step to the demo data."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from touches.registry import register_client_panel, register_merge_mover

        from .panels import client_referrals_panel
        from .services import referrals_merge_move, referrals_merge_undo

        register_client_panel("referrals/_client_panel.html", client_referrals_panel, order=30)
        register_merge_mover(
            "referrals", move=referrals_merge_move, undo=referrals_merge_undo, order=30
        )
