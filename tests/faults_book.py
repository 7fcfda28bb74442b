"""Data and checks shared by the fault tests of the nightly touch build."""

from datetime import date, timedelta

from agentcrm.core.models import JobMarker
from touches import build
from touches.models import Touch, TouchBuildBatch, TouchBuildRun

from .factories import ClientFactory, FamilyMemberFactory, UserFactory
from .policy_factories import PolicyFactory

TODAY = date(2026, 11, 24)


def make_book(*, today: date = TODAY, agents: int = 3, clients: int = 12) -> list:
    """Agents whose clients have birthdays, children's birthdays and policy anniversaries
    spread over the days a first build covers (a week back to a week ahead)."""
    users = [UserFactory(username=f"faults-agent-{a}") for a in range(agents)]
    for a, user in enumerate(users):
        for i in range(clients):
            day = today + timedelta(days=(i * 3 + a) % 20 - 8)
            client = ClientFactory(
                owner=user, name=f"客户{a}-{i}", birth_date=day.replace(year=1970 + i)
            )
            if i % 3 == 0:
                FamilyMemberFactory(
                    client=client,
                    name=f"孩子{a}-{i}",
                    birth_date=(day + timedelta(days=2)).replace(year=2012 + a),
                )
            if i % 4 == 1:
                PolicyFactory(
                    holder=client, effective_date=(day + timedelta(days=1)).replace(year=2021)
                )
    return users


def touch_rows() -> list[tuple]:
    """Every touch as (owner, client, kind, occasion date, source), duplicates kept."""
    return sorted(
        Touch.objects.values_list("owner_id", "client_id", "kind", "occasion_date", "source")
    )


def clean_build_rows(*, today: date = TODAY) -> list[tuple]:
    """Forget every touch and build record, build again in-process from scratch (the clean
    run on the same data), and return its touches."""
    Touch.objects.all().delete()
    TouchBuildBatch.objects.all().delete()
    TouchBuildRun.objects.all().delete()
    JobMarker.objects.filter(name=build.BUILD_JOB).delete()
    build.touch_build_now(today=today)
    return touch_rows()


def build_marker() -> date | None:
    return (
        JobMarker.objects.filter(name=build.BUILD_JOB)
        .values_list("last_completed_day", flat=True)
        .first()
    )


def assert_build_complete(*, today: date = TODAY) -> None:
    """Every day of a first build has one run, complete, each batch counted exactly once,
    and the marker is at the end of the horizon."""
    days = [today + timedelta(days=i) for i in range(-build.FIRST_BUILD_DAYS_BACK, 8)]
    runs = list(TouchBuildRun.objects.order_by("day"))
    assert [run.day for run in runs] == days
    for run in runs:
        batches = run.batches.count()
        assert run.batches_total == batches >= 1
        assert run.batches_done == batches, f"{run.day}: {run.batches_done} of {batches}"
        assert run.completed_at is not None
    assert not TouchBuildBatch.objects.filter(done_at__isnull=True).exists()
    assert build_marker() == today + timedelta(days=build.HORIZON_DAYS)
