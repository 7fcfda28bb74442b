from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpreadsheetsConfig(AppConfig):
    name = "spreadsheets"
    verbose_name = _("Spreadsheet")

    def ready(self):
        from touches.registry import register_nightly_step

        from .services import import_jobs_expire_step

        # After policies_lapse_overdue (10): uploads never confirmed lose their file.
        register_nightly_step(name="import_jobs_expire", step=import_jobs_expire_step, order=20)
