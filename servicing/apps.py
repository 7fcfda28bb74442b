from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicingConfig(AppConfig):
    name = "servicing"
    # The admin shows only its service requests: the label the request pages use.
    verbose_name = _("Servicing & claims")

    def ready(self):
        from touches.registry import (
            register_client_panel,
            register_merge_mover,
            register_policy_part,
        )

        from .panels import (
            client_reviews_panel,
            policy_delivery_part,
            policy_requests_part,
            policy_reviews_part,
        )

        register_client_panel("policies/_client_reviews_panel.html", client_reviews_panel, order=25)
        register_policy_part(
            "policies/detail/_delivery.html", policy_delivery_part, column="left", order=10
        )
        register_policy_part(
            "policies/requests/_policy_card.html", policy_requests_part, column="right", order=10
        )
        register_policy_part(
            "policies/detail/_reviews.html", policy_reviews_part, column="right", order=20
        )
        from .services.merge import reviews_merge_move, reviews_merge_undo

        register_merge_mover(
            "servicing", move=reviews_merge_move, undo=reviews_merge_undo, order=20
        )
