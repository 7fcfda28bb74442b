"""The Celery app: settings from Django (namespace CELERY), tasks autodiscovered from the
installed apps, and log masking for the worker's own handlers."""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentcrm.settings.local")

app = Celery("agentcrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def mask_personal_numbers(logger, **kwargs):
    """A worker replaces the root logger's handlers with its own: they mask phone and ID
    numbers too, like the handler of settings.LOGGING."""
    from agentcrm.core.logging import MaskPersonalNumbersFilter

    for handler in logger.handlers:
        if not any(isinstance(f, MaskPersonalNumbersFilter) for f in handler.filters):
            handler.addFilter(MaskPersonalNumbersFilter())
