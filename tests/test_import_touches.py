"""Bulk writes and their touches (issue 12 §1): one rule, `touches_rebuild_for_clients`,
called by every bulk write in its own transaction. An imported book's touches are on the
dashboard when the import ends; occasions already past make no pile of overdue touches; the
import's summary counts them per kind. The handover and the admin's grace-days change
follow the same rule."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from policies.services.policy import insurer_grace_days_apply
from spreadsheets.models import ImportJob
from spreadsheets.services import import_job_confirm, import_job_create
from touches.build import touch_build_now
from touches.models import Touch
from touches.registry import touches_rebuild_for_clients

from .factories import ClientFactory
from .import_factories import csv_bytes, upload
from .policy_factories import InsurerFactory, PolicyFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 24)
NOON = datetime.datetime(2026, 11, 24, 4, tzinfo=datetime.UTC)  # 12:00 in Shanghai

HEADER = ["客户姓名", "出生日期", "保险公司", "保单号", "产品名称", "险种", "保额", "保费",
          "缴费年期", "生效日期"]  # fmt: skip


def book() -> bytes:
    rows = [
        HEADER,
        ["明天生日", "1980-11-25", "", "", "", "", "", "", "", ""],
        ["六天后生日", "1981-11-30", "", "", "", "", "", "", "", ""],
        ["昨天生日", "1982-11-23", "", "", "", "", "", "", "", ""],
        ["上月生日", "1983-10-10", "", "", "", "", "", "", "", ""],
        # Anniversary in five days; its premiums since 2016 are "unpaid" in the CRM (no
        # payment recorded): no overdue premium or grace touches for them.
        ["老保单", "1970-01-01", "中国人寿", "A-1", "国寿福", "寿险", "100000", "3000", "20",
         "2015-11-29"],
    ]  # fmt: skip
    return csv_bytes(rows)


def import_now(owner, content, capture) -> ImportJob:
    with capture(execute=True):
        job = import_job_create(owner=owner, upload=upload(content, "book.csv"))
    job.refresh_from_db()
    with capture(execute=True):
        import_job_confirm(job=job, only_valid=False)
    job.refresh_from_db()
    return job


@time_machine.travel(NOON)
def test_an_imported_books_touches_are_on_the_dashboard_when_it_ends(
    owner, as_user, django_capture_on_commit_callbacks
):
    touch_build_now(today=TODAY)  # the nightly build: days up to today + 7 are built
    job = import_now(owner, book(), django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.DONE, job.message

    touches = {
        (t.client.name, t.kind): (t.due_date, t.occasion_date)
        for t in Touch.objects.filter(owner=owner).select_related("client")
    }
    assert touches == {
        ("明天生日", "birthday"): (TODAY, datetime.date(2026, 11, 25)),  # owed today
        ("六天后生日", "birthday"): (datetime.date(2026, 11, 27), datetime.date(2026, 11, 30)),
        ("老保单", "policy_anniversary"): (TODAY, datetime.date(2026, 11, 29)),
        # Paid up to the import day (no 缴至日期 given): the next premium is the coming one.
        ("老保单", "premium_due"): (TODAY, datetime.date(2026, 11, 29)),
    }
    # The summary counts them per kind.
    assert job.touches_created == {"birthday": 2, "policy_anniversary": 1, "premium_due": 1}
    assert job.touches_total == 4
    page = as_user(owner).get(reverse("imports:detail", kwargs={"pk": job.pk})).content.decode()
    assert "新建提醒" in page and "生日 2" in page
    dashboard = as_user(owner).get(reverse("dashboard")).content.decode()
    assert "明天生日" in dashboard and "老保单" in dashboard


@time_machine.travel(NOON)
def test_no_flood_of_past_occasions(owner, django_capture_on_commit_callbacks):
    touch_build_now(today=TODAY)
    import_now(owner, book(), django_capture_on_commit_callbacks)
    made = Touch.objects.filter(owner=owner)
    assert not made.filter(due_date__lt=TODAY).exists()
    assert not made.filter(occasion_date__lt=TODAY).exists()
    assert not made.filter(kind__in=["grace_ending", "neglect"]).exists()
    # Premiums before the import day count as paid: only the coming one is owed a reminder.
    assert list(made.filter(kind="premium_due").values_list("occasion_date", flat=True)) == [
        datetime.date(2026, 11, 29)
    ]
    # The next nights add only the new days: still no past occasion.
    with time_machine.travel(NOON + datetime.timedelta(days=1)):
        touch_build_now(today=TODAY + datetime.timedelta(days=1))
    assert not made.filter(occasion_date__lt=TODAY).exists()


@time_machine.travel(NOON)
def test_nothing_built_ahead_means_the_nightly_build_does_it(
    owner, django_capture_on_commit_callbacks
):
    job = import_now(owner, book(), django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.DONE and job.touches_created == {}
    assert not Touch.objects.exists()


@time_machine.travel(NOON)
def test_the_rule_is_set_based_and_idempotent(owner, django_assert_max_num_queries):
    touch_build_now(today=TODAY)
    clients = [ClientFactory(owner=owner, birth_date=datetime.date(1990, 11, 26)) for _ in range(3)]
    Touch.objects.all().delete()  # as if written in bulk, without their triggers
    ids = [c.pk for c in clients]
    more = [c.pk for c in (ClientFactory(owner=owner, birth_date=None) for _ in range(27))]
    with django_assert_max_num_queries(10_000) as few:
        first = touches_rebuild_for_clients(client_ids=ids)
    assert first == {"birthday": 3}
    Touch.objects.all().delete()
    # The same statements for 3 clients or 30: their number depends on kinds and days only.
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert touches_rebuild_for_clients(client_ids=ids + more) == {"birthday": 3}
    assert touches_rebuild_for_clients(client_ids=ids) == {}  # nothing twice


@time_machine.travel(NOON)
def test_many_clients_are_read_from_a_table_in_a_handful_of_statements(
    owner, teammate, monkeypatch, django_assert_max_num_queries
):
    """An import's thousands of clients: the ids go once into a temporary table, and each
    kind and lead group is one INSERT … SELECT over every built day, never one statement per
    day carrying every id. Same touches as the short-list path; other clients untouched."""
    from touches import build
    from touches.registry import occasion_kinds

    touch_build_now(today=TODAY)
    mine = [
        ClientFactory(owner=owner, birth_date=datetime.date(1990, 11, 26 + n)) for n in range(3)
    ]
    outside = ClientFactory(owner=owner, birth_date=datetime.date(1991, 11, 27))
    theirs = ClientFactory(owner=teammate, birth_date=datetime.date(1992, 11, 27))
    Touch.objects.all().delete()  # as if written in bulk, without their triggers
    ids = [c.pk for c in mine]
    listed = touches_rebuild_for_clients(client_ids=ids)
    listed_rows = set(Touch.objects.values_list("client_id", "kind", "occasion_date", "due_date"))
    Touch.objects.all().delete()
    monkeypatch.setattr(build, "CLIENT_SET_TABLE_FROM", 2)
    with django_assert_max_num_queries(10_000) as done:
        assert touches_rebuild_for_clients(client_ids=ids) == listed == {"birthday": 3}
    sqls = [q["sql"] for q in done.captured_queries]
    inserts = [sql for sql in sqls if sql.startswith(f"INSERT INTO {Touch._meta.db_table}")]
    assert len(inserts) <= len(occasion_kinds())  # one per kind (one lead group each here)
    assert all(str(ids[0]) not in sql for sql in inserts)  # the ids are in the table
    assert any("touch_rebuild_clients" in sql for sql in sqls)
    rows = set(Touch.objects.values_list("client_id", "kind", "occasion_date", "due_date"))
    assert rows == listed_rows
    assert not Touch.objects.filter(client__in=[outside, theirs]).exists()
    assert touches_rebuild_for_clients(client_ids=ids) == {}  # nothing twice


@time_machine.travel(NOON)
def test_the_handover_follows_the_rule_in_its_transaction(owner, teammate, manager):
    from handover.services import handover_execute

    ClientFactory(owner=owner, name="交接客户")
    touch_build_now(today=TODAY)
    # No on-commit capture and no broker: the touches come with the move itself.
    handover_execute(from_agent=owner, to_agents=[teammate], by=manager)
    intro = Touch.objects.get(kind="agent_introduction", owner=teammate)
    assert (intro.client.name, intro.due_date) == ("交接客户", TODAY)


@time_machine.travel(NOON)
def test_the_admins_grace_days_change_follows_the_rule(owner):
    insurer = InsurerFactory(name="宽限公司", grace_days=60)
    policy = PolicyFactory(
        holder=ClientFactory(owner=owner), insurer=insurer, effective_date=datetime.date(2026, 9, 1)
    )
    touch_build_now(today=TODAY)
    policy.refresh_from_db()
    assert policy.premium_grace_end < TODAY  # the grace end before the change is past
    assert not Touch.objects.filter(kind="grace_ending").exists()
    new_end = TODAY + datetime.timedelta(days=5)
    insurer.grace_days = (new_end - policy.premium_next_due).days
    insurer.save()  # as the admin's save_model, which then applies it
    assert insurer_grace_days_apply(insurer=insurer) == 1
    touch = Touch.objects.get(kind="grace_ending")
    assert (touch.client_id, touch.occasion_date, touch.due_date) == (
        policy.holder_id,
        new_end,
        TODAY,
    )
