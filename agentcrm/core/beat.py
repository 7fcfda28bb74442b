"""Beat's scheduler: django-celery-beat's database scheduler, with the schedule of
`CELERY_BEAT_SCHEDULE` written all at once.

The stock scheduler saves each entry on its own and logs (and skips) an entry it could not
save, so on a busy database (SQLite while the worker builds the demo's touches) beat came up
with some nightly jobs missing, for good. Here every entry is written in one transaction,
retried until the database takes it: the admin shows all the jobs or, briefly, none.
"""

import logging
import time

from celery import schedules
from django.db import DatabaseError, transaction
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

ATTEMPTS = 10
FIRST_WAIT = 0.5  # seconds; doubles after each failed attempt, 4 minutes in all at most


class Scheduler(DatabaseScheduler):
    def setup_schedule(self):
        wait = FIRST_WAIT
        for attempt in range(1, ATTEMPTS + 1):
            try:
                # Only the rows in the transaction: the scheduler's own reads close the
                # connection (close_old_connections), which must not happen inside it.
                with transaction.atomic():
                    entries = self._write_entries(self._default_entries())
                    entries.update(self._write_entries(self.app.conf.beat_schedule))
                break
            except DatabaseError:
                if attempt == ATTEMPTS:
                    raise
                logger.warning("beat could not write its schedule (try %d); retrying", attempt)
                time.sleep(wait)
                wait *= 2
        self.schedule.update(entries)

    def _default_entries(self) -> dict:
        # What the stock install_default_entries adds (the result backend's cleanup).
        if not self.app.conf.result_expires:
            return {}
        return {
            "celery.backend_cleanup": {
                "task": "celery.backend_cleanup",
                "schedule": schedules.crontab("0", "4", "*"),
                "options": {"expire_seconds": 12 * 3600},
            }
        }

    def _write_entries(self, mapping) -> dict:
        """Save every entry; a failure raises (the stock scheduler logs it and goes on)."""
        entries = {}
        for name, fields in mapping.items():
            entry = self.Entry.from_entry(name, app=self.app, **fields)
            if entry.model.enabled:
                entries[name] = entry
        return entries
