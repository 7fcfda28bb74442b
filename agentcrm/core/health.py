"""Probes behind /healthz. Each answers True/False and never raises."""

import logging

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "down" to a health probe
        logger.warning("health: database unreachable", exc_info=True)
        return False


def broker_ok() -> bool:
    from agentcrm.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_BROKER_TIMEOUT)
            conn.default_channel  # noqa: B018 - opening a channel proves the broker answers
        return True
    except Exception:
        logger.warning("health: broker unreachable", exc_info=True)
        return False
