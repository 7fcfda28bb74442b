"""The referrals app: on start-up it adds the referrals panel to the client page and the
referral step to the demo data."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from touches.registry import register_client_panel

        from .panels import client_referrals_panel

        register_client_panel("referrals/_client_panel.html", client_referrals_panel, order=30)
