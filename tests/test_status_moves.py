"""The one status-machine helper (agentcrm.core.transitions.status_move) on its own: the
transition check, the conditional update on the status the caller saw, the log row and the
audit history row. The three machines that use it are tested through their services."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from agentcrm.core.transitions import allowed_next, status_move
from policies.models import Policy, PolicyStatusChange
from referrals.models import Referral, ReferralStageChange, Stage
from servicing.models import ServiceRequest, ServiceRequestStatusChange

from .policy_factories import PolicyFactory
from .referral_factories import ReferralFactory
from .service_request_factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db

Status = Policy.Status
REFUSED = "No step from %(from)s to %(to)s."
STALE = "Someone moved it to %(now)s."


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def policy(client_obj):
    return PolicyFactory(holder=client_obj, status=Status.IN_FORCE)


def move(obj, to, **kwargs):
    """A policy move unless told otherwise."""
    args = {
        "obj": obj,
        "to": to,
        "transitions": Policy.TRANSITIONS,
        "refused": REFUSED,
        "stale": STALE,
        "log_model": PolicyStatusChange,
        "log_fields": {"policy": obj},
        "stamp": "status_changed_at",
    }
    return status_move(**(args | kwargs))


def test_an_allowed_move_updates_the_object_and_writes_the_log_row(policy, owner):
    at = timezone.now() - datetime.timedelta(hours=1)
    change = move(policy, Status.GRACE, by=owner, note="宽限期", at=at)

    assert (policy.status, policy.status_changed_at) == (Status.GRACE, at)
    policy.refresh_from_db()
    assert (policy.status, policy.status_changed_at) == (Status.GRACE, at)
    assert change.pk and change.policy == policy
    assert (change.from_status, change.to_status, change.at, change.by, change.note) == (
        Status.IN_FORCE,
        Status.GRACE,
        at,
        owner,
        "宽限期",
    )
    assert list(PolicyStatusChange.objects.filter(policy=policy)) == [change]


def test_a_move_not_in_the_table_is_refused_keyed_by_the_field(policy, owner):
    with pytest.raises(ValidationError) as exc:
        move(policy, Status.PENDING, by=owner)
    assert exc.value.message_dict == {"status": ["No step from In force to Pending."]}
    policy.refresh_from_db()
    assert policy.status == Status.IN_FORCE
    assert not PolicyStatusChange.objects.filter(policy=policy).exists()


def test_a_refusal_can_say_why_in_the_machines_own_words(policy):
    def refused(current, to):
        return f"{current}→{to}: final" if current == Status.SURRENDERED else "not so"

    policy.status = Status.SURRENDERED
    Policy.objects.filter(pk=policy.pk).update(status=Status.SURRENDERED)
    with pytest.raises(ValidationError) as exc:
        move(policy, Status.IN_FORCE, refused=refused)
    assert exc.value.message_dict == {"status": ["surrendered→in_force: final"]}


def test_a_stale_move_is_refused_and_the_caller_refreshed(policy, owner):
    """Two tabs: the second still shows the policy in force."""
    stale = Policy.objects.get(pk=policy.pk)
    move(policy, Status.GRACE, by=owner)

    with pytest.raises(ValidationError) as exc:
        move(stale, Status.PAID_UP, by=owner)  # allowed from in force, not from grace

    assert exc.value.message_dict == {"status": ["Someone moved it to Grace period."]}
    assert (stale.status, stale.status_changed_at) == (policy.status, policy.status_changed_at)
    policy.refresh_from_db()
    assert policy.status == Status.GRACE
    assert [c.to_status for c in PolicyStatusChange.objects.filter(policy=policy)] == ["grace"]


def test_a_move_needing_more_is_refused_before_anything_is_written(policy):
    def extra():
        raise ValidationError({"note": "Say why."})

    with pytest.raises(ValidationError) as exc:
        move(policy, Status.LAPSED, extra=extra)
    assert exc.value.message_dict == {"note": ["Say why."]}
    # The transition check comes first: a refused step is reported as such.
    with pytest.raises(ValidationError) as exc:
        move(policy, Status.PENDING, extra=extra)
    assert list(exc.value.message_dict) == ["status"]
    policy.refresh_from_db()
    assert policy.status == Status.IN_FORCE
    assert not PolicyStatusChange.objects.exists()


def test_a_status_left_out_of_the_history_writes_no_history_row(policy, owner):
    rows = policy.history.count()
    move(policy, Status.GRACE, by=owner)
    assert policy.history.count() == rows  # the log row is the status' history


def test_a_tracked_field_changed_by_the_move_writes_a_history_row(owner, policy):
    sr = ServiceRequestFactory(policy=policy, status=ServiceRequest.Status.APPROVED)
    rows = sr.history.count()
    args = {
        "transitions": ServiceRequest.TRANSITIONS,
        "log_model": ServiceRequestStatusChange,
        "log_fields": {"request": sr},
        "stamp": "updated_at",
        "where": {"closed_on__isnull": True},
        "by": owner,
    }
    move(sr, ServiceRequest.Status.PAID, extra={"amount_paid": Decimal("8200")}, **args)

    assert sr.history.count() == rows + 1
    record = sr.history.latest("history_id")
    assert (record.amount_paid, record.history_user) == (Decimal("8200"), owner)
    (change,) = sr.status_history.all()
    assert (change.from_status, change.to_status, change.by) == ("approved", "paid", owner)


def test_the_same_value_again_writes_no_history_row(owner, policy):
    sr = ServiceRequestFactory(policy=policy, amount_paid=Decimal("8200"))
    rows = sr.history.count()
    status_move(
        obj=sr,
        to=ServiceRequest.Status.UNDER_REVIEW,
        transitions=ServiceRequest.TRANSITIONS,
        refused=REFUSED,
        stale=STALE,
        log_model=ServiceRequestStatusChange,
        log_fields={"request": sr},
        extra={"amount_paid": Decimal("8200.00")},
    )
    assert sr.history.count() == rows


def test_more_conditions_than_the_status_refuse_like_a_stale_move(owner, policy):
    sr = ServiceRequestFactory(policy=policy, status=ServiceRequest.Status.APPROVED)
    ServiceRequest.objects.filter(pk=sr.pk).update(closed_on=datetime.date(2026, 3, 2))
    with pytest.raises(ValidationError) as exc:
        status_move(
            obj=sr,
            to=ServiceRequest.Status.PAID,
            transitions=ServiceRequest.TRANSITIONS,
            refused=REFUSED,
            stale=STALE,
            log_model=ServiceRequestStatusChange,
            log_fields={"request": sr},
            where={"closed_on__isnull": True},
        )
    assert exc.value.message_dict == {"status": ["Someone moved it to Approved."]}
    assert sr.closed_on == datetime.date(2026, 3, 2)  # refreshed with the status
    assert not sr.status_history.exists()


def test_a_log_with_its_own_field_names_and_a_history_row(owner):
    referral = ReferralFactory(referrer__owner=owner)
    rows = referral.history.count()
    at = timezone.now()
    change = status_move(
        obj=referral,
        field="stage",
        to=Stage.MET,
        transitions=Referral.TRANSITIONS,
        refused=REFUSED,
        stale="Changed meanwhile.",
        by=owner,
        note="见面",
        log_model=ReferralStageChange,
        log_fields={"referral": referral, "owner_id": referral.owner_id},
        stamp="stage_changed_at",
        at=at,
    )

    assert (change.from_stage, change.to_stage, change.changed_at) == (Stage.NEW, Stage.MET, at)
    assert (change.by, change.note, change.owner) == (owner, "见面", owner)
    assert referral.history.count() == rows + 1
    record = referral.history.latest("history_id")
    assert (record.stage, record.history_user) == (Stage.MET, owner)

    stale = Referral.objects.get(pk=referral.pk)
    stale.stage = Stage.NEW
    with pytest.raises(ValidationError) as exc:
        status_move(
            obj=stale,
            field="stage",
            to=Stage.CONTACTED,
            transitions=Referral.TRANSITIONS,
            refused=REFUSED,
            stale="Changed meanwhile.",
            log_model=ReferralStageChange,
            log_fields={"referral": stale, "owner_id": stale.owner_id},
        )
    assert exc.value.message_dict == {"stage": ["Changed meanwhile."]}
    assert stale.stage == Stage.MET
    assert referral.history.count() == rows + 1


def test_allowed_next_keeps_the_order_of_the_choices():
    assert allowed_next(Policy.TRANSITIONS, Status.PENDING, Status) == ["in_force", "surrendered"]
    assert allowed_next(Policy.TRANSITIONS, Status.MATURED, Status) == []
    assert allowed_next(Policy.TRANSITIONS, "unknown", Status) == []
    assert Referral(stage=Stage.WON).allowed_next_stages() == []
    assert Referral(stage=Stage.LOST).allowed_next_stages() == [
        "new",
        "contacted",
        "met",
        "proposal",
        "won",
    ]
