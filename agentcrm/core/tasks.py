"""The nightly run's task and a ping through broker, worker and database."""

from celery import shared_task

from . import services


@shared_task(name="agentcrm.core.tasks.nightly_run")
def nightly_run() -> None:
    services.nightly_run()


@shared_task(name="agentcrm.core.tasks.ping")
def ping() -> dict:
    """A round trip through broker, worker and database, for health and CI tests."""
    from django.contrib.auth import get_user_model

    return {"pong": True, "users": get_user_model().objects.count()}
