from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = _("Policies")

    def ready(self):
        from agentcrm.core.services import register_nightly_step
        from clients.demo import register_demo_step
        from clients.panels import register_client_panel

        from . import occasions
        from .demo import seed_agent_policies
        from .panels import client_policies_panel, client_reviews_panel
        from .services import policies_lapse_overdue

        register_client_panel("policies/_client_panel.html", client_policies_panel)
        register_client_panel("policies/_client_reviews_panel.html", client_reviews_panel)
        register_nightly_step(name="policies_lapse_overdue", step=policies_lapse_overdue)
        occasions.register()
        register_demo_step("policies", seed_agent_policies)
