from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    # The occasion kinds in clients/occasions.py are found by the touch engine
    # (autodiscover_modules("occasions") in TouchesConfig.ready()).
    name = "clients"
    verbose_name = _("Client archive")
