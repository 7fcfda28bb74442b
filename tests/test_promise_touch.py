"""A promise (Commitment) and its "promise due" touch stay in step, both ways: done on the
dashboard keeps the promise; kept on the client page closes the touch; undoing either
undoes the other; every step is idempotent and another agent's touch never moves a promise."""

import datetime
from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from clients import services as client_services
from clients.models import Commitment, Interaction
from touches import services
from touches.build import AgentRange, build_day
from touches.models import Touch

from .factories import ClientFactory
from .touch_factories import TouchFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 24)
NOON = datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.timezone(timedelta(hours=8)))


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def promise(client_obj):
    return Commitment.objects.create(
        client=client_obj, description="寄重疾险条款对比表", due_date=TODAY + timedelta(days=1)
    )


@pytest.fixture
def touch(owner, promise):
    """The promise's touch, as the nightly build makes it (1 day ahead)."""
    build_day(due=TODAY, agents=AgentRange(owner.pk, owner.pk), kinds=["commitment"])
    return Touch.objects.get(kind="commitment")


def test_the_build_names_the_promise_as_source(touch, promise):
    assert touch.source == f"commitment:{promise.pk}"
    assert touch.status == Touch.Status.OPEN


def test_done_on_the_dashboard_keeps_the_promise(http_owner, touch, promise):
    response = http_owner.post(
        reverse("touches:done", kwargs={"pk": touch.pk}), {"channel": "call", "note": "已寄出"}
    )
    assert response.status_code == 302
    promise.refresh_from_db()
    assert promise.done_date == TODAY
    touch.refresh_from_db()
    assert touch.status == Touch.Status.DONE


def test_done_twice_changes_the_promise_once(owner, touch, promise):
    assert services.touch_done(touch=touch, by=owner)
    Commitment.objects.filter(pk=promise.pk).update(done_date=TODAY - timedelta(days=1))
    assert not services.touch_done(touch=touch, by=owner)
    promise.refresh_from_db()
    assert promise.done_date == TODAY - timedelta(days=1)  # the first date is kept


def test_kept_on_the_client_page_closes_the_touch(http_owner, client_obj, touch, promise):
    url = reverse(
        "clients:commitment_done", kwargs={"pk": client_obj.pk, "commitment_id": promise.pk}
    )
    assert http_owner.post(url).status_code == 302
    touch.refresh_from_db()
    assert (touch.status, touch.closed_at is not None) == (Touch.Status.DONE, True)
    # Again: nothing changes, no error.
    closed_at = touch.closed_at
    assert http_owner.post(url).status_code == 302
    touch.refresh_from_db()
    assert touch.closed_at == closed_at
    # The dashboard no longer lists it.
    page = http_owner.get(reverse("dashboard")).content.decode()
    assert f'id="touch-{touch.pk}"' not in page


def test_a_skipped_touch_is_not_a_kept_promise(owner, touch, promise):
    assert services.touch_skip(touch=touch, reason="客户出差")
    promise.refresh_from_db()
    assert promise.done_date is None
    # Keeping the promise later leaves the skipped touch as the agent left it.
    client_services.commitment_complete(commitment=promise)
    touch.refresh_from_db()
    assert touch.status == Touch.Status.SKIPPED
    # Reopening the skipped touch does not touch the promise either.
    assert services.touch_reopen(touch=touch)
    promise.refresh_from_db()
    assert promise.done_date == TODAY


def test_undoing_done_on_the_dashboard_reopens_the_promise(owner, touch, promise):
    services.touch_done(touch=touch, by=owner)
    services.touch_reopen(touch=touch)
    promise.refresh_from_db()
    assert promise.done_date is None
    assert touch.status == Touch.Status.OPEN


def test_reopening_the_promise_reopens_its_done_touch(
    http_owner, owner, client_obj, touch, promise
):
    services.touch_done(touch=touch, by=owner, note="已寄出")
    assert Interaction.objects.filter(client=client_obj).count() == 1
    url = reverse(
        "clients:commitment_reopen", kwargs={"pk": client_obj.pk, "commitment_id": promise.pk}
    )
    assert http_owner.post(url).status_code == 302
    promise.refresh_from_db()
    touch.refresh_from_db()
    assert promise.done_date is None
    assert (touch.status, touch.note, touch.interaction_id) == (Touch.Status.OPEN, "", None)
    # As with undo on the dashboard, the contact it logged leaves the timeline.
    assert not Interaction.objects.filter(client=client_obj).exists()
    # Reopening an open promise again changes nothing.
    assert not client_services.commitment_reopen(commitment=promise)


def test_the_promise_kept_first_makes_no_touch(owner, promise):
    client_services.commitment_complete(commitment=promise)
    build_day(due=TODAY, agents=AgentRange(owner.pk, owner.pk), kinds=["commitment"])
    assert not Touch.objects.filter(kind="commitment").exists()


def test_another_agents_touch_never_moves_a_promise(owner, outsider, promise):
    # A forged touch of another agent naming this promise as its source.
    stranger = ClientFactory(owner=outsider)
    forged = TouchFactory(
        client=stranger, kind="commitment", source=f"commitment:{promise.pk}", due_date=TODAY
    )
    services.touch_done(touch=forged, by=outsider)
    promise.refresh_from_db()
    assert promise.done_date is None


def test_other_kinds_with_a_lookalike_source_are_ignored(owner, client_obj, promise):
    other = TouchFactory(
        client=client_obj, kind="birthday", source=f"commitment:{promise.pk}", due_date=TODAY
    )
    services.touch_done(touch=other, by=owner)
    promise.refresh_from_db()
    assert promise.done_date is None


@pytest.fixture
def http_owner(as_user, owner):
    return as_user(owner)
