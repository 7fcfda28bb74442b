"""Queueing a task from a web request when the broker may be down.

The request has usually committed its change already, so Redis being unreachable must not
turn it into a server error. `task_send` says whether the task was queued and the caller
chooses the fallback (do the work in-process, or tell the user to try again).

The task is sent with ignore_result: these tasks are fire-and-forget, and with Redis down
a result backend subscription would retry for some 20 seconds before giving up.
"""

import logging
from collections.abc import Sequence

from celery import Task
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def task_send(*, task: Task, args: Sequence = ()) -> bool:
    """Queue `task`; False (logged) when the broker cannot be reached."""
    try:
        task.apply_async(args=tuple(args), ignore_result=True)
    except OperationalError:
        logger.warning("broker unreachable: %s was not queued", task.name, exc_info=True)
        return False
    return True
