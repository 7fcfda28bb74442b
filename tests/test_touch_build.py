"""The build as it runs at night: days to build, batches, the marker, catching up, repeats,
concurrency, the command, the task fan-out and the rebuild after a client's record changes."""

import datetime
import threading
from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from agentcrm.core.models import JobMarker
from touches import build, tasks
from touches.build import AgentRange, build_day
from touches.models import Touch, TouchBuildBatch, TouchBuildRun

from .factories import ClientFactory, FamilyMemberFactory, UserFactory

TODAY = date(2026, 11, 24)
SHANGHAI = datetime.timezone(timedelta(hours=8))


def marker() -> date | None:
    return (
        JobMarker.objects.filter(name=build.BUILD_JOB)
        .values_list("last_completed_day", flat=True)
        .first()
    )


def set_marker(day: date) -> None:
    JobMarker.objects.update_or_create(name=build.BUILD_JOB, defaults={"last_completed_day": day})


@pytest.fixture
def book(owner, teammate):
    """Birthdays on several days around TODAY for two agents."""
    for offset in (-5, -2, 0, 3, 6, 12):
        day = TODAY + timedelta(days=offset + 3)  # due `offset` days from today (lead 3)
        ClientFactory(owner=owner, name=f"甲{offset}", birth_date=day.replace(year=1980))
        ClientFactory(owner=teammate, name=f"乙{offset}", birth_date=day.replace(year=1981))


@pytest.mark.django_db
def test_first_build_covers_last_week_to_next_week(book):
    written = build.touch_build_now(today=TODAY)
    due = sorted(set(Touch.objects.filter(kind="birthday").values_list("due_date", flat=True)))
    assert due == [TODAY + timedelta(days=o) for o in (-5, -2, 0, 3, 6)]
    assert written == Touch.objects.count()
    assert marker() == TODAY + timedelta(days=build.HORIZON_DAYS)
    # The next night, only the new horizon day is planned.
    plan = build.touch_build_plan(today=TODAY + timedelta(days=1))
    assert plan.days == [TODAY + timedelta(days=8)]


@pytest.mark.django_db
def test_rerunning_a_day_creates_nothing(book):
    build.touch_build_now(today=TODAY)
    count = Touch.objects.count()
    assert build.touch_build_now(today=TODAY) == 0
    assert build.touch_build_now(today=TODAY, days=[TODAY, TODAY + timedelta(days=3)]) == 0
    assert Touch.objects.count() == count


@pytest.mark.django_db
def test_three_missed_nights_are_caught_up(book):
    set_marker(TODAY - timedelta(days=4))  # built through 20 Nov; beat was down 21–23 Nov
    plan = build.touch_build_plan(today=TODAY)
    assert plan.days[0] == TODAY - timedelta(days=3)
    assert plan.days[-1] == TODAY + timedelta(days=7)
    for batch_id in plan.batch_ids:
        build.touch_build_batch(batch_id=batch_id)
    assert Touch.objects.filter(due_date=TODAY - timedelta(days=2)).count() == 2
    assert not Touch.objects.filter(due_date=TODAY - timedelta(days=5)).exists()  # before
    assert marker() == TODAY + timedelta(days=7)


@pytest.mark.django_db
def test_marker_waits_for_every_batch_and_a_redelivered_batch_counts_once(book):
    set_marker(TODAY - timedelta(days=1))
    plan = build.touch_build_plan(today=TODAY, agents_per_batch=1)
    today_batches = TouchBuildBatch.objects.filter(run__day=TODAY).order_by("number")
    assert today_batches.count() >= 2  # owner, teammate, manager: one agent per batch
    first, *rest = today_batches
    build.touch_build_batch(batch_id=first.pk)
    assert build.touch_build_batch(batch_id=first.pk) == 0  # redelivered
    run = TouchBuildRun.objects.get(day=TODAY)
    assert run.batches_done == 1 and run.completed_at is None
    assert marker() == TODAY - timedelta(days=1)
    for batch in rest:
        build.touch_build_batch(batch_id=batch.pk)
    assert marker() == TODAY  # later days still have batches pending
    for batch_id in plan.batch_ids:
        build.touch_build_batch(batch_id=batch_id)
    assert marker() == TODAY + timedelta(days=7)
    assert TouchBuildRun.objects.get(day=TODAY).batches_done == today_batches.count()


@pytest.mark.django_db
def test_celery_task_fans_out_and_builds(book):
    # CELERY_TASK_ALWAYS_EAGER in the test settings: the batches run in-process.
    result = tasks.build_touches.delay(TODAY.isoformat()).get()
    assert result["batches"] == TouchBuildBatch.objects.count() > 0
    assert TouchBuildBatch.objects.filter(done_at__isnull=True).count() == 0
    assert marker() == TODAY + timedelta(days=7)
    assert Touch.objects.filter(due_date=TODAY).count() == 2


@pytest.mark.django_db
def test_build_touches_command(book):
    out = StringIO()
    call_command("build_touches", "--date", TODAY.isoformat(), "--days", "4", stdout=out)
    assert out.getvalue().startswith("4 touches written")  # two agents, due today and +3
    assert marker() is None  # explicit days leave the nightly marker alone
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("build_touches", "--date", "24/11/2026")
    with pytest.raises(CommandError, match="--days"):
        call_command("build_touches", "--date", "2026-11-24", "--days", "0")


@pytest.mark.django_db
def test_a_new_family_birthday_shows_before_the_next_night(
    owner, client_obj, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime.datetime(2026, 11, 24, 9, tzinfo=SHANGHAI)):
        build.touch_build_now(today=TODAY)
        with django_capture_on_commit_callbacks(execute=True):
            parent = ClientFactory(owner=owner, name="新手妈妈", birth_date=None)
            FamilyMemberFactory(client=parent, name="新生儿", birth_date=date(2020, 11, 29))
    touch = Touch.objects.get(kind="family_birthday")
    assert (touch.label, touch.due_date) == ("新生儿", date(2026, 11, 26))


@pytest.mark.django_db
def test_build_is_scoped_to_the_batch_agents(owner, teammate):
    ClientFactory(owner=owner, birth_date=date(1980, 11, 27))
    ClientFactory(owner=teammate, birth_date=date(1980, 11, 27))
    build_day(due=TODAY, agents=AgentRange(owner.pk, owner.pk))
    assert list(Touch.objects.values_list("owner", flat=True)) == [owner.pk]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_builds_at_once_write_each_touch_once():
    agent = UserFactory(username="busy")
    for i in range(300):
        ClientFactory(owner=agent, name=f"c{i}", birth_date=date(1980, 11, 27))
    errors = []

    def run():
        try:
            build_day(due=TODAY, agents=AgentRange(0, 2**62))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Touch.objects.filter(kind="birthday").count() == 300


@pytest.mark.django_db
def test_many_saves_of_one_client_queue_one_rebuild(owner, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        client = ClientFactory(owner=owner, name="一位")
        for i in range(5):
            with transaction.atomic():  # nested, as inside a service
                FamilyMemberFactory(client=client, name=f"家人{i}")
        client.save()
        other = ClientFactory(owner=owner, name="另一位")
    assert sorted((cb.client_id, cb.owner_id) for cb in callbacks) == sorted(
        [(client.pk, owner.pk), (other.pk, owner.pk)]
    )


@pytest.mark.django_db
@time_machine.travel(datetime.datetime(2026, 11, 24, 9, tzinfo=datetime.UTC))
def test_record_changed_today_gets_occasions_nearer_than_the_lead(owner):
    """A birthday entered today for today (lead 3) is owed a touch today, although its
    regular due day has passed; the nightly build never revisits past days."""
    set_marker(TODAY + timedelta(days=7))
    today = ClientFactory(owner=owner, name="今天生日", birth_date=date(1980, 11, 24))
    in_two = ClientFactory(owner=owner, name="后天生日", birth_date=date(1980, 11, 26))
    in_five = ClientFactory(owner=owner, name="五天后", birth_date=date(1980, 11, 29))
    for client in (today, in_two, in_five):
        build.touch_rebuild_for_client(client_id=client.pk, owner_id=owner.pk, today=TODAY)
    birthdays = {
        t.client.name: (t.due_date, t.occasion_date)
        for t in Touch.objects.filter(kind="birthday").select_related("client")
    }
    assert birthdays == {
        "今天生日": (TODAY, TODAY),
        "后天生日": (TODAY, date(2026, 11, 26)),
        "五天后": (date(2026, 11, 26), date(2026, 11, 29)),  # the regular lead of 3 days
    }
    # Neglect counts silent days, not days before an occasion: nothing caught late.
    assert not Touch.objects.filter(kind="neglect").exists()


def test_a_bulk_write_collects_its_clients_and_rebuilds_them_at_once(owner, monkeypatch):
    """Inside `rebuilds_collected` saves record (client, kinds) instead of queueing a task
    each; one set-based rebuild then writes what they feed."""
    from clients.models import Commitment, FamilyMember
    from touches import triggers
    from touches.build import touch_rebuild_collected
    from touches.models import Touch

    from .factories import ClientFactory

    today = timezone.localdate()
    build.touch_build_now(today=today)  # the days up to today + 7 are built
    queued = []
    monkeypatch.setattr(triggers, "queue_rebuild", lambda *a, **k: queued.append(a))
    with triggers.rebuilds_collected() as collected:
        first = ClientFactory(owner=owner, birth_date=None)
        second = ClientFactory(owner=owner, birth_date=None)
        Commitment.objects.create(
            client=second, description="送资料", due_date=today + timedelta(days=1)
        )
        FamilyMember.objects.create(
            client=first, name="小明", relation="child", birth_date=today.replace(year=2015)
        )
    assert queued == []
    assert collected[(first.pk, owner.pk)] is None  # a client's own save feeds every kind
    assert collected[(second.pk, owner.pk)] is None
    assert touch_rebuild_collected(collected=collected, today=today) >= 2
    kinds = set(Touch.objects.filter(owner=owner).values_list("kind", flat=True))
    assert {"commitment", "family_birthday"} <= kinds


def test_a_rider_edit_rebuilds_only_the_rider_kind(owner, monkeypatch):
    from policies.models import Rider
    from touches import triggers

    from .policy_factories import PolicyFactory, RiderFactory

    rider = RiderFactory(policy=PolicyFactory(owner=owner))
    queued = []
    monkeypatch.setattr(
        triggers, "queue_rebuild", lambda *ids, kinds=None: queued.append((ids, kinds))
    )
    rider.name = "附加住院医疗"
    rider.save()
    assert queued == [((rider.policy.holder_id, owner.pk), frozenset({"rider_expiry"}))]
    assert Rider.objects.filter(pk=rider.pk).exists()
