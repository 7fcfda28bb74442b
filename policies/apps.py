from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = _("Policies")

    def ready(self):
        from clients.demo import register_demo_step
        from touches.registry import register_client_panel, register_nightly_step

        from .demo import seed_agent_policies
        from .panels import client_policies_panel
        from .services import policies_lapse_overdue

        register_client_panel("policies/_client_panel.html", client_policies_panel, order=20)
        # First: what lapses tonight is read by every later step as lapsed.
        register_nightly_step(name="policies_lapse_overdue", step=policies_lapse_overdue, order=10)
        register_demo_step("policies", seed_agent_policies)
