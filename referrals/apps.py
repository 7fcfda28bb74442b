"""The referrals app: on start-up it adds the referrals panels to the client page and the service
page, the referral step to the demo data, and marks the team figures kept by month as changed when a
dated row goes (a client erased or deleted takes their referrals and asks with them)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from touches.registry import (
            register_client_panel,
            register_merge_mover,
            register_service_panel,
        )

        from . import summary
        from .models import Referral, ReferralRequest, ReferralStageChange
        from .panels import client_referrals_panel, service_panel
        from .services import referrals_merge_move, referrals_merge_undo

        register_client_panel("referrals/_client_panel.html", client_referrals_panel, order=30)
        # The deck's pitfall 过分利用介绍人, beside discipline's (orders 10–30) on /service/.
        register_service_panel(
            "referrals_reasks",
            template_name="referrals/_service_panel.html",
            context_fn=service_panel,
            order=40,
        )
        register_merge_mover(
            "referrals", move=referrals_merge_move, undo=referrals_merge_undo, order=30
        )
        for model, day in (
            (Referral, "given_on"),
            (ReferralRequest, "asked_on"),
            (ReferralStageChange, "feedback_due"),
        ):
            post_delete.connect(
                summary.month_row_deleted(day),
                sender=model,
                weak=False,
                dispatch_uid=f"referral-months-{model.__name__}",
            )
