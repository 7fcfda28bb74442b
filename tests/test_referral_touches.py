"""The "report back to the referrer" touch (转介绍反馈) through the real touch build, its two
ways of being dealt with (the dashboard's done button, the referral page's report), the
rebuild queued by a stage change, and the agent's feedback compliance figure."""

import datetime
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import translation

from clients.models import Client, Interaction
from referrals.models import ReferralStageChange, Stage
from referrals.selectors.team import feedback_compliance
from referrals.services import (
    FEEDBACK_KIND,
    Person,
    referral_create,
    referral_feedback_report,
    referral_stage_change,
)
from touches import triggers
from touches.build import touch_build_now
from touches.greetings import touch_label
from touches.models import Touch
from touches.services import touch_done

from .factories import ClientFactory

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(timedelta(hours=8))
TODAY = date(2026, 3, 10)


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def refer(owner, referrer, name: str):
    return referral_create(
        owner=owner,
        referrer=referrer,
        person=Person(name=name),
        given_on=date(2026, 3, 1),
        by=owner,
    )


def feedback_touches(**filters):
    return Touch.objects.filter(kind=FEEDBACK_KIND, **filters)


@pytest.fixture
def referral(owner, client_obj):
    with time_machine.travel(at(1, 9), tick=False):
        return refer(owner, client_obj, "李四")


@pytest.fixture
def contacted(owner, referral):
    """李四 contacted yesterday (9 March): 王芳 must hear about it by 12 March."""
    return referral_stage_change(
        referral=referral, to_stage=Stage.CONTACTED, by=owner, at=at(9, 16)
    )


def build() -> None:
    """The first nightly build on TODAY: due days TODAY-7 … TODAY+7."""
    with time_machine.travel(at(10, 1), tick=False):
        touch_build_now(today=TODAY)


def rebuild() -> int:
    """The same days again, whatever the marker says."""
    with time_machine.travel(at(10, 2), tick=False):
        days = [TODAY + timedelta(days=n) for n in range(-7, 8)]
        return touch_build_now(today=TODAY, days=days)


# --- the touch --------------------------------------------------------------------------------


def test_a_stage_change_makes_one_touch_for_the_referrer(owner, client_obj, referral, contacted):
    assert contacted.feedback_due == date(2026, 3, 12)
    build()
    touch = feedback_touches().get()
    assert (touch.owner, touch.client) == (owner, client_obj)
    assert (touch.due_date, touch.occasion_date) == (date(2026, 3, 12), date(2026, 3, 12))
    assert touch.source == f"refstage:{contacted.pk}"
    assert touch.status == Touch.Status.OPEN and touch.priority == Touch.Priority.HIGH
    assert touch.label == "李四|contacted"
    with translation.override("en"):
        assert touch_label(touch) == "李四: Contacted"
    # Nothing for the referred prospect, and a second build writes nothing more.
    assert not feedback_touches(client=referral.referred).exists()
    assert rebuild() == 0
    assert feedback_touches().count() == 1


def test_each_step_to_report_is_its_own_touch(owner, referral, contacted):
    met = referral_stage_change(referral=referral, to_stage=Stage.MET, by=owner, at=at(10, 0, 30))
    referral_stage_change(referral=referral, to_stage=Stage.PROPOSAL, by=owner, at=at(10, 0, 45))
    build()
    touches = feedback_touches().order_by("due_date")
    assert [(t.due_date, t.source, t.label) for t in touches] == [
        (date(2026, 3, 12), f"refstage:{contacted.pk}", "李四|contacted"),
        (date(2026, 3, 13), f"refstage:{met.pk}", "李四|met"),
    ]


def test_no_touch_once_reported(owner, contacted):
    with time_machine.travel(at(9, 18), tick=False):
        referral_feedback_report(change=contacted, by=owner)
    build()
    assert not feedback_touches().exists()


@pytest.mark.parametrize(
    "fields",
    [{"do_not_contact": True, "do_not_contact_reason": "本人要求"}, {"archived_at": at(9, 20)}],
    ids=["do_not_contact", "archived"],
)
def test_no_touch_for_a_referrer_who_may_not_be_contacted(owner, client_obj, contacted, fields):
    Client.objects.filter(pk=client_obj.pk).update(**fields)
    build()
    assert not feedback_touches().exists()


def test_done_on_the_dashboard_marks_the_change_reported(owner, client_obj, contacted):
    build()
    touch = feedback_touches().get()
    with time_machine.travel(at(11, 10), tick=False):
        assert touch_done(touch=touch, by=owner, channel=Interaction.Kind.CALL, note="很顺利")
    contacted.refresh_from_db()
    assert contacted.reported_at == at(11, 10) and contacted.reported_on_time
    # One contact on the referrer's timeline: the touch list's, not a second from referrals.
    logged = Interaction.objects.get(client=client_obj)
    assert logged.kind == Interaction.Kind.CALL and "很顺利" in logged.summary
    touch.refresh_from_db()
    assert touch.interaction == logged
    # A later report from the referral page changes nothing.
    assert not referral_feedback_report(change=contacted, by=owner)
    assert Interaction.objects.filter(client=client_obj).count() == 1


def test_reporting_from_the_referral_page_closes_the_touch(owner, teammate, client_obj, contacted):
    other = ClientFactory(owner=teammate, name="别人的介绍人")
    with time_machine.travel(at(1, 9), tick=False):
        other_referral = refer(teammate, other, "赵六")
    other_change = referral_stage_change(
        referral=other_referral, to_stage=Stage.MET, by=teammate, at=at(9, 17)
    )
    build()
    assert feedback_touches(status=Touch.Status.OPEN).count() == 2
    with time_machine.travel(at(11, 9), tick=False):
        assert referral_feedback_report(change=contacted, by=owner, note="已微信告知")
    touch = feedback_touches().get(owner=owner)
    assert touch.status == Touch.Status.DONE and touch.closed_at == at(11, 9)
    assert Interaction.objects.filter(client=client_obj).count() == 1
    # Only that change's touch: the teammate's stays open.
    assert feedback_touches().get(source=f"refstage:{other_change.pk}").status == "open"


def test_a_stage_change_queues_the_referrers_rebuild(owner, client_obj, referral, monkeypatch):
    queued = []
    monkeypatch.setattr(triggers, "queue_rebuild", lambda *ids, kinds: queued.append((*ids, kinds)))
    change = referral_stage_change(referral=referral, to_stage=Stage.MET, by=owner)
    # Only the kind a stage change feeds is rebuilt.
    assert queued == [(client_obj.pk, owner.pk, frozenset({"referral_feedback"}))]
    # Reporting back is an UPDATE of the change: the build drops it, no rebuild needed.
    referral_feedback_report(change=change, by=owner, log_contact=False)
    assert len(queued) == 1


def test_the_touch_shows_before_the_next_night(owner, django_capture_on_commit_callbacks):
    build()  # the days up to TODAY+7 are built
    with (
        time_machine.travel(at(10, 11), tick=False),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        referrer = ClientFactory(owner=owner, name="张三")
        referral = refer(owner, referrer, "李四")
        referral_stage_change(referral=referral, to_stage=Stage.LOST, by=owner, lost_reason="无意")
    # One rebuild per client, however many of its rows were saved.
    assert sorted(cb.client_id for cb in callbacks) == sorted([referrer.pk, referral.referred_id])
    touch = feedback_touches().get()
    assert (touch.client, touch.due_date, touch.label) == (referrer, date(2026, 3, 13), "李四|lost")


# --- compliance -------------------------------------------------------------------------------


def change_on(owner, referrer, name, moment, stage=Stage.CONTACTED, reported=None):
    """One stage change at `moment`, reported back at `reported` (a moment) or never."""
    with time_machine.travel(moment - timedelta(hours=1), tick=False):
        referral = refer(owner, referrer, name)
    kwargs = {"lost_reason": "无意"} if stage == Stage.LOST else {}
    change = referral_stage_change(referral=referral, to_stage=stage, by=owner, at=moment, **kwargs)
    if reported is not None:
        with time_machine.travel(reported, tick=False):
            assert referral_feedback_report(change=change, by=owner)
    return change


def test_feedback_compliance(owner, teammate, outsider, client_obj):
    mine = [
        # contacted 1 Mar, due 4 Mar, reported 3 Mar: on time
        change_on(owner, client_obj, "甲", at(1), reported=at(3)),
        # met 1 Mar, due 4 Mar, reported 23:30 on the 4th Shanghai time (15:30 UTC): on time
        change_on(owner, client_obj, "乙", at(1), Stage.MET, reported=at(4, 23, 30)),
        # due 4 Mar, reported 00:30 on the 5th Shanghai time (still the 4th in UTC): late
        change_on(owner, client_obj, "丙", at(1), reported=at(5, 0, 30)),
        # lost 2 Mar, due 5 Mar, reported 7 Mar: late
        change_on(owner, client_obj, "丁", at(2), Stage.LOST, reported=at(7)),
        # contacted 5 Mar, due 8 Mar, never reported, today 10 Mar: owed and overdue
        change_on(owner, client_obj, "戊", at(5)),
        # contacted 7 Mar, due 10 Mar (today), not reported: not owed yet
        change_on(owner, client_obj, "己", at(7)),
        # contacted 8 Mar, due 11 Mar, not reported: not owed yet
        change_on(owner, client_obj, "庚", at(8)),
        # contacted 8 Mar, due 11 Mar, reported 9 Mar: counted, on time
        change_on(owner, client_obj, "辛", at(8), reported=at(9)),
        # a proposal: nothing to report
        change_on(owner, client_obj, "壬", at(2), Stage.PROPOSAL),
        # due 4 Feb: outside the period
        change_on(owner, client_obj, "癸", at(1, month=2), reported=at(2, month=2)),
        # due 1 Apr: outside the period, reported early
        change_on(owner, client_obj, "子", at(29), reported=at(29, 12)),
    ]
    assert [c.feedback_due for c in mine[:3]] == [date(2026, 3, 4)] * 3
    assert mine[8].feedback_due is None
    theirs = ClientFactory(owner=teammate, name="队友的客户")
    change_on(teammate, theirs, "丑", at(2), reported=at(6))  # due 5 Mar: late
    change_on(teammate, theirs, "寅", at(3), reported=at(3, 20))  # due 6 Mar: on time
    change_on(outsider, ClientFactory(owner=outsider), "卯", at(2), reported=at(3))

    figures = feedback_compliance(
        owner_ids=[owner.pk, teammate.pk],
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
        today=TODAY,
    )
    assert figures == {owner.pk: (3, 6), teammate.pk: (1, 2)}
    # A day later the change due today is owed too.
    later = feedback_compliance(
        owner_ids=[owner.pk],
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
        today=TODAY + timedelta(days=1),
    )
    assert later == {owner.pk: (3, 7)}
    # Nothing owed in the period: no row (the page shows no figure, not 0%).
    assert (
        feedback_compliance(
            owner_ids=[owner.pk], start=date(2026, 5, 1), end=date(2026, 5, 31), today=TODAY
        )
        == {}
    )
    assert ReferralStageChange.objects.filter(owner=outsider).count() == 2
