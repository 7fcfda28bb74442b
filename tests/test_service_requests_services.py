"""Service request rules below the pages: the services (checklist, transitions, closing,
conditional status update, validation keyed by field) and the selectors (scoping, urgency)."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import translation

from servicing import selectors, services
from servicing.models import ServiceRequest, ServiceRequestDocument, ServiceRequestStatusChange
from servicing.services.requests import DEFAULT_DOCUMENTS, REQUEST_TRANSITIONS

from .factories import ClientFactory
from .policy_factories import PolicyFactory
from .service_request_factories import ServiceRequestDocumentFactory, ServiceRequestFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 3, 20)
Status = ServiceRequest.Status
Kind = ServiceRequest.Kind
Category = ServiceRequest.Category


@pytest.fixture(autouse=True)
def today():
    with (
        time_machine.travel(datetime.datetime(2026, 3, 20, 10, 0, tzinfo=SHANGHAI), tick=False),
        translation.override("en"),
    ):
        yield TODAY


@pytest.fixture
def policy(client_obj):
    return PolicyFactory(holder=client_obj)


def create(owner, policy, **kwargs):
    args = {"kind": Kind.CLAIM, "category": Category.HOSPITAL, **kwargs}
    return services.service_request_create(owner=owner, policy=policy, by=owner, **args)


def messages(exc: ValidationError) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_every_category_has_a_default_checklist():
    assert set(DEFAULT_DOCUMENTS) == set(Category.values)
    assert DEFAULT_DOCUMENTS[Category.HOSPITAL] == [
        "理赔申请书",
        "身份证复印件",
        "银行卡复印件",
        "病历",
        "出院小结",
        "医疗费用发票及清单",
    ]
    assert {"死亡证明", "户籍注销证明", "受益人身份证明"} <= set(DEFAULT_DOCUMENTS[Category.DEATH])


def test_create_uses_the_default_checklist_when_none_is_given(owner, policy):
    sr = create(owner, policy, category=Category.DEATH)
    assert list(sr.documents.values_list("name", flat=True)) == DEFAULT_DOCUMENTS["death"]
    assert sr.opened_on == TODAY and sr.status == Status.SUBMITTED and sr.closed_on is None
    assert sr.status_history.get().to_status == Status.SUBMITTED


def test_create_with_an_empty_checklist(owner, policy):
    sr = create(owner, policy, documents=[])
    assert not sr.documents.exists()


def test_create_reports_every_problem_at_once_and_writes_nothing(owner, policy):
    with pytest.raises(ValidationError) as exc:
        create(
            owner,
            policy,
            kind=Kind.SERVICING,
            category=Category.DEATH,
            amount_claimed=Decimal("-1"),
            opened_on=datetime.date(2026, 3, 21),
        )
    errors = messages(exc)
    assert set(errors) == {"category", "amount_claimed", "opened_on"}
    assert errors["category"] == ["Death is not a kind of Policy servicing (保全)."]
    assert not ServiceRequest.objects.exists()
    assert not ServiceRequestStatusChange.objects.exists()


def test_create_refuses_another_agents_policy(owner, outsider):
    foreign = PolicyFactory(holder=ClientFactory(owner=outsider))
    with pytest.raises(ValidationError) as exc:
        create(owner, foreign)
    assert list(messages(exc)) == ["policy"]
    assert not ServiceRequest.objects.exists()


def test_update_changes_only_editable_fields(owner, policy):
    sr = create(owner, policy)
    with pytest.raises(TypeError):
        services.service_request_update(request=sr, status=Status.PAID)
    updated = services.service_request_update(
        request=sr, amount_paid=Decimal("300"), next_action="  打电话  "
    )
    assert updated.amount_paid == Decimal(300) and updated.next_action == "打电话"
    with pytest.raises(ValidationError) as exc:
        services.service_request_update(request=sr, amount_claimed=Decimal("-0.01"))
    assert list(messages(exc)) == ["amount_claimed"]
    sr.refresh_from_db()
    assert sr.amount_claimed is None


def test_update_keeps_opened_before_closed(owner, policy):
    sr = ServiceRequestFactory(
        policy=policy,
        status=Status.REJECTED,
        opened_on=datetime.date(2026, 3, 1),
        closed_on=datetime.date(2026, 3, 10),
    )
    with pytest.raises(ValidationError) as exc:
        services.service_request_update(request=sr, opened_on=datetime.date(2026, 3, 11))
    assert list(messages(exc)) == ["opened_on"]


def test_transitions_never_leave_a_closed_status():
    for closed in ServiceRequest.CLOSED_STATUSES:
        assert REQUEST_TRANSITIONS[closed] == set()
    assert set(REQUEST_TRANSITIONS) == set(Status.values)


def test_rejected_closes_today_and_records_the_step(owner, policy):
    sr = create(owner, policy)
    step = services.service_request_set_status(
        request=sr, to_status=Status.REJECTED, by=owner, note="等待期内出险"
    )
    sr.refresh_from_db()
    assert sr.status == Status.REJECTED and sr.closed_on == TODAY
    assert (step.from_status, step.to_status, step.note) == (
        "submitted",
        "rejected",
        "等待期内出险",
    )
    assert services.allowed_next_statuses(request=sr) == []


def test_reopening_a_closed_request_is_refused(owner, policy):
    sr = create(owner, policy)
    services.service_request_set_status(request=sr, to_status=Status.PAID, amount_paid=Decimal(0))
    for to_status in (Status.SUBMITTED, Status.UNDER_REVIEW, Status.REJECTED):
        with pytest.raises(ValidationError) as exc:
            services.service_request_set_status(request=sr, to_status=to_status)
        assert "cannot be reopened" in messages(exc)["status"][0]
    sr.refresh_from_db()
    assert sr.status == Status.PAID and sr.status_history.count() == 2


def test_paid_needs_an_amount_for_claims_only(owner, policy):
    claim = create(owner, policy)
    with pytest.raises(ValidationError) as exc:
        services.service_request_set_status(request=claim, to_status=Status.PAID)
    assert list(messages(exc)) == ["amount_paid"]
    claim.refresh_from_db()
    assert claim.status == Status.SUBMITTED
    # An amount recorded earlier (through the edit page) is enough.
    services.service_request_update(request=claim, amount_paid=Decimal("100"))
    claim.refresh_from_db()
    services.service_request_set_status(request=claim, to_status=Status.PAID)
    assert claim.closed_on == TODAY
    surrender = create(owner, policy, kind=Kind.SERVICING, category=Category.SURRENDER)
    services.service_request_set_status(request=surrender, to_status=Status.PAID)
    surrender.refresh_from_db()
    assert surrender.status == Status.PAID and surrender.amount_paid is None


def test_negative_amount_paid_is_refused(owner, policy):
    sr = create(owner, policy)
    with pytest.raises(ValidationError) as exc:
        services.service_request_set_status(
            request=sr, to_status=Status.PAID, amount_paid=Decimal("-5")
        )
    assert list(messages(exc)) == ["amount_paid"]


def test_a_transition_outside_the_map_is_refused(owner, policy):
    sr = create(owner, policy)
    services.service_request_set_status(request=sr, to_status=Status.APPROVED)
    with pytest.raises(ValidationError) as exc:
        services.service_request_set_status(request=sr, to_status=Status.DOCUMENTS_MISSING)
    assert messages(exc)["status"] == ["A request cannot go from Approved to Documents missing."]


def test_concurrent_status_change_is_refused(owner, policy):
    sr = create(owner, policy)
    stale = ServiceRequest.objects.get(pk=sr.pk)  # a second tab, loaded at the same time
    services.service_request_set_status(request=sr, to_status=Status.UNDER_REVIEW)
    with pytest.raises(ValidationError) as exc:
        services.service_request_set_status(request=stale, to_status=Status.DOCUMENTS_MISSING)
    assert "changed meanwhile to Under review" in messages(exc)["status"][0]
    sr.refresh_from_db()
    assert sr.status == Status.UNDER_REVIEW
    assert list(sr.status_history.values_list("to_status", flat=True)) == [
        "submitted",
        "under_review",
    ]


def test_closing_twice_concurrently_keeps_one_step(owner, policy):
    sr = create(owner, policy)
    stale = ServiceRequest.objects.get(pk=sr.pk)
    services.service_request_set_status(request=sr, to_status=Status.REJECTED)
    with pytest.raises(ValidationError):
        services.service_request_set_status(
            request=stale, to_status=Status.PAID, amount_paid=Decimal(10)
        )
    sr.refresh_from_db()
    assert sr.status == Status.REJECTED and sr.amount_paid is None
    assert sr.status_history.filter(to_status__in=ServiceRequest.CLOSED_STATUSES).count() == 1


def test_document_toggle_is_conditional(owner, policy):
    sr = create(owner, policy, documents=["病历"])
    document = sr.documents.get()
    stale = ServiceRequestDocument.objects.get(pk=document.pk)
    services.service_request_document_toggle_received(document=document)
    assert document.received_on == TODAY
    # A double click from a page showing it not received: it stays received.
    services.service_request_document_toggle_received(document=stale)
    assert stale.received_on == TODAY
    services.service_request_document_toggle_received(document=stale)
    assert stale.received_on is None


def test_document_add_refuses_blank_and_repeat(owner, policy):
    sr = create(owner, policy, documents=["病历"])
    for name in ("", "  ", "病历", "x" * 201):
        with pytest.raises(ValidationError) as exc:
            services.service_request_document_add(request=sr, name=name)
        assert list(messages(exc)) == ["name"]
    services.service_request_document_add(request=sr, name="发票")
    assert sr.documents.count() == 2


# --- selectors --------------------------------------------------------------------------


def test_scoping(owner, teammate, policy):
    sr = ServiceRequestFactory(policy=policy)
    assert list(selectors.service_requests_for_user(user=owner)) == [sr]
    assert not selectors.service_requests_for_user(user=teammate).exists()
    with pytest.raises(Http404):
        selectors.get_service_request_for_user(user=teammate, pk=sr.pk)
    assert selectors.get_service_request_for_user(user=owner, pk=sr.pk) == sr


def test_open_requests_by_urgency(owner, policy):
    def make(label, opened, next_date=None, **kwargs):
        return ServiceRequestFactory(
            policy=policy,
            description=label,
            opened_on=opened,
            next_action_date=next_date,
            **kwargs,
        )

    make("later", datetime.date(2026, 3, 1), datetime.date(2026, 4, 1))
    make("oldest-without-date", datetime.date(2025, 12, 1))
    make("overdue", datetime.date(2026, 3, 15), datetime.date(2026, 3, 18))
    make("closed", datetime.date(2025, 1, 1), datetime.date(2025, 2, 1), closed_on=TODAY)
    rows = list(selectors.service_requests_open(user=owner, today=TODAY))
    assert [r.description for r in rows] == ["overdue", "later", "oldest-without-date"]
    assert [(r.overdue, r.age.days) for r in rows] == [(True, 5), (False, 19), (False, 109)]
    # On 2 April, "later" (due 1 April) is overdue as well.
    rows = selectors.service_requests_open(user=owner, today=datetime.date(2026, 4, 2))
    assert [r.description for r in rows if r.overdue] == ["overdue", "later"]


def test_requests_for_policy_open_first(owner, policy):
    ServiceRequestFactory(policy=policy, description="closed", closed_on=TODAY)
    ServiceRequestFactory(policy=policy, description="open")
    ServiceRequestFactory(policy=PolicyFactory(holder=policy.holder), description="elsewhere")
    rows = selectors.service_requests_for_policy(policy=policy, today=TODAY)
    assert [r.description for r in rows] == ["open", "closed"]


def test_documents_missing_counted_in_one_query(owner, policy, django_assert_num_queries):
    sr = ServiceRequestFactory(policy=policy)
    ServiceRequestDocumentFactory(request=sr)
    ServiceRequestDocumentFactory(request=sr, received_on=TODAY)
    empty = ServiceRequestFactory(policy=policy)
    with django_assert_num_queries(1):
        rows = {r.pk: r for r in selectors.service_requests_open(user=owner, today=TODAY)}
        assert (rows[sr.pk].documents_total, rows[sr.pk].documents_missing) == (2, 1)
        assert (rows[empty.pk].documents_total, rows[empty.pk].documents_missing) == (0, 0)
        assert rows[sr.pk].policy.holder.name == "王芳"
