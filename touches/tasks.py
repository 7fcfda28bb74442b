"""Thin tasks: each takes ids or a date and calls a service. acks_late is on for every task
(settings), so a task may run twice: the services are written for that.

The task names keep the `agentcrm.touches` prefix of the app's first home: beat's schedule
rows and messages already queued name them so.
"""

from datetime import date, time

from celery import shared_task
from django.utils import timezone

from . import build, digest


@shared_task(name="agentcrm.touches.tasks.build_touches")
def build_touches(today: str | None = None) -> dict:
    """Beat's entry point: plan the days not built yet and fan out one task per batch."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    plan = build.touch_build_plan(today=day)
    for batch_id in plan.batch_ids:
        build_touch_batch.delay(batch_id)
    return {"days": [d.isoformat() for d in plan.days], "batches": len(plan.batch_ids)}


@shared_task(name="agentcrm.touches.tasks.build_touch_batch")
def build_touch_batch(batch_id: int) -> int:
    return build.touch_build_batch(batch_id=batch_id)


@shared_task(name="agentcrm.touches.tasks.rebuild_client_touches")
def rebuild_client_touches(client_id: int, owner_id: int, kinds: list[str] | None = None) -> int:
    return build.touch_rebuild_for_client(
        client_id=client_id, owner_id=owner_id, today=timezone.localdate(), kinds=kinds
    )


@shared_task(name="agentcrm.touches.tasks.rebuild_clients_touches")
def rebuild_clients_touches(owner_ids: list[int], client_ids: list[int]) -> int:
    """Kept for messages queued before bulk writes rebuilt in their own transaction."""
    counts = build.touch_build_for_clients(
        owner_ids=owner_ids, client_ids=client_ids, today=timezone.localdate()
    )
    return sum(counts.values())


@shared_task(name="agentcrm.touches.tasks.send_digests")
def send_digests(today: str | None = None) -> int:
    """Beat's entry point, every 15 minutes: queue the digests whose time has come today and
    that were not sent yet. Given a day (a catch-up by hand), everyone still owed that day's."""
    if today:
        day, at = date.fromisoformat(today), time.max
    else:
        now = timezone.localtime()
        day, at = now.date(), now.time()
    recipients = digest.digest_recipients(day=day, at=at)
    for owner_id in recipients:
        send_digest.delay(owner_id, day.isoformat())
    return len(recipients)


@shared_task(name="agentcrm.touches.tasks.send_digest")
def send_digest(owner_id: int, day: str) -> bool:
    return digest.digest_send(owner_id=owner_id, day=date.fromisoformat(day))
