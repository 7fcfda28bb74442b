from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisciplineConfig(AppConfig):
    name = "discipline"
    label = "discipline"
    verbose_name = _("Service discipline")

    def ready(self) -> None:
        from touches.registry import register_nightly_step, register_service_panel

        from .panels import small_clients_panel, weekly_panel, whole_days_panel
        from .services import lapses_raise_touches, service_summary_refresh

        # Right after the policies fall into lapse (order 10): tonight's lapses raise their
        # touch and count in the summary the manager's pages read the same night.
        register_nightly_step(name="lapses_raise_touches", step=lapses_raise_touches, order=11)
        register_nightly_step(
            name="service_summary_refresh", step=service_summary_refresh, order=90
        )
        # The deck's pitfalls (售后服务部的误区), on /service/ and the manager's drill-down.
        register_service_panel(
            "discipline_weekly",
            template_name="discipline/_panel_weekly.html",
            context_fn=weekly_panel,
            order=10,
        )
        register_service_panel(
            "discipline_small_clients",
            template_name="discipline/_panel_small_clients.html",
            context_fn=small_clients_panel,
            order=20,
        )
        register_service_panel(
            "discipline_whole_days",
            template_name="discipline/_panel_whole_days.html",
            context_fn=whole_days_panel,
            order=30,
        )
