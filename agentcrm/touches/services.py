"""Running the build: which due days, in which batches of agents, and the day marker.

The nightly task asks `touch_build_plan` for the days not built yet (from the day after the
marker up to today + HORIZON_DAYS, so the dashboard can show the coming week), splits each
day into batches of agents, and queues one task per batch. Each batch claims itself with a
conditional update, builds, and marks itself done; the batch that completes a day moves the
marker, but only over days that are complete, in order. A redelivered task, a second beat or
a second worker repeats statements whose rows already exist: nothing is written twice.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F, Max, Min
from django.utils import timezone

from agentcrm.accounts.models import User
from agentcrm.core.models import JobMarker
from agentcrm.core.services import job_marker_record_success

from .engine import AgentRange, build_day
from .models import TouchBuildBatch, TouchBuildRun

BUILD_JOB = "touch_build"
HORIZON_DAYS = 7
AGENTS_PER_BATCH = 50
# A first build (no marker yet) starts this many days back, so today's overdue list is full.
FIRST_BUILD_DAYS_BACK = 7


@dataclass(frozen=True)
class BuildPlan:
    days: list[date]
    batch_ids: list[int]


def _agent_id_ranges(size: int) -> list[tuple[int, int]]:
    """Contiguous id ranges of at most `size` agents: one query over the users' ids."""
    ids = list(User.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    return [
        (chunk[0], chunk[-1]) for chunk in (ids[i : i + size] for i in range(0, len(ids), size))
    ]


def touch_build_days(*, today: date) -> list[date]:
    marker = JobMarker.objects.filter(name=BUILD_JOB).values_list("last_completed_day", flat=True)
    last = marker.first()
    start = last + timedelta(days=1) if last else today - timedelta(days=FIRST_BUILD_DAYS_BACK)
    end = today + timedelta(days=HORIZON_DAYS)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@transaction.atomic
def touch_build_plan(*, today: date, agents_per_batch: int = AGENTS_PER_BATCH) -> BuildPlan:
    """Create the runs and batches still to do, and return the batches not done yet."""
    days = touch_build_days(today=today)
    ranges = _agent_id_ranges(agents_per_batch)
    for day in days:
        run, created = TouchBuildRun.objects.get_or_create(
            day=day, defaults={"batches_total": len(ranges)}
        )
        if created and ranges:
            TouchBuildBatch.objects.bulk_create(
                [
                    TouchBuildBatch(run=run, number=n, first_owner_id=first, last_owner_id=last)
                    for n, (first, last) in enumerate(ranges)
                ],
                ignore_conflicts=True,
            )
        elif created:
            _run_complete(run_id=run.pk)
    pending = TouchBuildBatch.objects.filter(run__day__in=days, done_at__isnull=True)
    return BuildPlan(
        days=days,
        batch_ids=list(pending.order_by("run__day", "number").values_list("id", flat=True)),
    )


def touch_build_batch(*, batch_id: int) -> int:
    """Build one batch; safe to run twice or at the same time as a copy of itself."""
    batch = TouchBuildBatch.objects.select_related("run").get(pk=batch_id)
    if batch.done_at is not None:
        return 0
    written = build_day(
        due=batch.run.day, agents=AgentRange(batch.first_owner_id, batch.last_owner_id)
    )
    with transaction.atomic():
        claimed = TouchBuildBatch.objects.filter(pk=batch_id, done_at__isnull=True).update(
            done_at=timezone.now(), touches_written=written
        )
        if claimed:
            TouchBuildRun.objects.filter(pk=batch.run_id).update(
                batches_done=F("batches_done") + 1,
                touches_written=F("touches_written") + written,
            )
    if claimed:
        _run_complete(run_id=batch.run_id)
    return written


def _run_complete(*, run_id: int) -> None:
    TouchBuildRun.objects.filter(
        pk=run_id, completed_at__isnull=True, batches_done__gte=F("batches_total")
    ).update(completed_at=timezone.now())
    touch_build_marker_advance()


def touch_build_marker_advance() -> date | None:
    """Move the marker to the last day of the unbroken series of complete runs after it."""
    marker, _ = JobMarker.objects.get_or_create(name=BUILD_JOB)
    runs = TouchBuildRun.objects.all()
    if marker.last_completed_day:
        runs = runs.filter(day__gt=marker.last_completed_day)
    incomplete = runs.filter(completed_at__isnull=True).aggregate(first=Min("day"))["first"]
    complete = runs.filter(completed_at__isnull=False)
    if incomplete:
        complete = complete.filter(day__lt=incomplete)
    last = complete.aggregate(last=Max("day"))["last"]
    if last:
        job_marker_record_success(name=BUILD_JOB, day=last)
    return last


def touch_build_now(*, today: date, days: list[date] | None = None) -> int:
    """Build synchronously (the build_touches command; tests): the same batches, in-process."""
    if days is None:
        plan = touch_build_plan(today=today)
        return sum(touch_build_batch(batch_id=batch_id) for batch_id in plan.batch_ids)
    # Explicit days are rebuilt whatever the marker says; the marker is left alone.
    everyone = AgentRange(0, 2**62)
    return sum(build_day(due=day, agents=everyone) for day in days)


def touch_rebuild_for_client(*, client_id: int, owner_id: int, today: date) -> int:
    """After a client's record changed (a new family member, a policy, a life event…): build
    the days already built again, for that client only, so the change shows before tomorrow.

    Only adds: touches already made stay as they are, since the agent may have snoozed or
    annotated them; one made from a date since corrected can be skipped with a reason.
    """
    # Nothing built ahead yet: the nightly build will see the change.
    return touch_rebuild_for_clients(owner_ids=[owner_id], client_ids=[client_id], today=today)


def touch_rebuild_for_clients(*, owner_ids: list[int], client_ids: list[int], today: date) -> int:
    """`touch_rebuild_for_client` for many clients of a few agents at once (a book handed
    over to new agents): the days already built, set-based, adding only what is missing."""
    marker = JobMarker.objects.filter(name=BUILD_JOB).values_list("last_completed_day", flat=True)
    last = marker.first()
    if last is None or last < today or not client_ids:
        return 0
    days = [today + timedelta(days=i) for i in range((last - today).days + 1)]
    agents = AgentRange(min(owner_ids), max(owner_ids), ids=tuple(owner_ids))
    return sum(
        build_day(due=day, agents=agents, client_ids=client_ids, late=day == today) for day in days
    )
