from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Personal data")

    def ready(self) -> None:
        from touches.registry import register_client_panel, register_nightly_step

        from .services import referral_contacts_purge_step

        # After the uploads' expiry (20): referral contacts past their retention.
        register_nightly_step(
            name="referral_contacts_purge", step=referral_contacts_purge_step, order=30
        )
        register_client_panel("privacy/_client_panel.html", lambda client: {}, order=90)
