from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "agentcrm.core"
    label = "core"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the deploy checks)
        from .nightly import register_nightly_step
        from .services import sessions_clear_expired

        register_nightly_step(name="sessions_clear_expired", step=sessions_clear_expired)
