from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = _("Policies")

    def ready(self):
        from touches.registry import (
            register_client_panel,
            register_merge_mover,
            register_nightly_step,
        )

        from .panels import client_policies_panel
        from .services import policies_lapse_overdue
        from .services.merge import policies_merge_move, policies_merge_undo

        register_client_panel("policies/_client_panel.html", client_policies_panel, order=20)
        # First: what lapses tonight is read by every later step as lapsed.
        register_nightly_step(name="policies_lapse_overdue", step=policies_lapse_overdue, order=10)
        register_merge_mover(
            "policies", move=policies_merge_move, undo=policies_merge_undo, order=10
        )
