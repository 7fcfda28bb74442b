"""The referrals app: on start-up it adds the referrals panel to the client page and the
referral step to the demo data."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from clients.demo import register_demo_step
        from touches.registry import register_client_panel

        from .demo import seed_agent_referrals
        from .panels import client_referrals_panel

        register_client_panel("referrals/_client_panel.html", client_referrals_panel, order=30)
        # After the policies step (INSTALLED_APPS order): a referred client is won with a policy.
        register_demo_step("referrals", seed_agent_referrals)
