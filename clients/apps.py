from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = _("Client archive")

    def ready(self) -> None:
        from . import festival_occasions, occasions

        occasions.register()
        festival_occasions.register()
