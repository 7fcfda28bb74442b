"""The status form on a request's page proposes the next step forward (issue 18): never the
first status of the list, never a step back. Steps back stay possible where the status
machine allows them, chosen by hand."""

import re

import pytest
from django.urls import reverse

from agentcrm.core.transitions import next_forward
from servicing.models import ServiceRequest

from .policy_factories import PolicyFactory
from .service_request_factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db
Status = ServiceRequest.Status


@pytest.mark.parametrize(
    ("current", "proposed"),
    [
        (Status.SUBMITTED, Status.UNDER_REVIEW),
        (Status.DOCUMENTS_MISSING, Status.UNDER_REVIEW),
        (Status.UNDER_REVIEW, Status.APPROVED),
        (Status.APPROVED, Status.PAID),
        (Status.PAID, None),
        (Status.REJECTED, None),
    ],
)
def test_the_proposed_step_is_the_next_forward_one(current, proposed):
    sr = ServiceRequest(status=current)
    assert sr.next_forward_status() == proposed
    if proposed is not None:
        assert proposed in sr.allowed_next_statuses()


def test_next_forward_skips_steps_the_table_refuses_and_never_goes_back():
    table = {"a": {"c", "z"}, "b": {"a"}, "c": {"a"}}
    assert next_forward(table, "a", ("a", "b", "c")) == "c"  # b is not allowed from a
    assert next_forward(table, "c", ("a", "b", "c")) is None  # only a step back is allowed
    assert next_forward(table, "z", ("a", "b", "c")) is None  # off the way, no anchor
    assert next_forward(table, "b", ("a", "b", "c"), same_as={"b": "a"}) is None


def selected_status(page) -> tuple[str, list[str]]:
    html = page.content.decode()
    select = re.search(r'<select name="to_status".*?</select>', html, re.S).group(0)
    options = re.findall(r'<option value="([^"]*)"( selected)?', select)
    chosen = [value for value, selected in options if selected]
    return (chosen[0] if chosen else options[0][0]), [value for value, _ in options]


@pytest.mark.parametrize(
    ("current", "proposed", "backwards"),
    [
        (Status.UNDER_REVIEW, Status.APPROVED, Status.DOCUMENTS_MISSING),
        (Status.DOCUMENTS_MISSING, Status.UNDER_REVIEW, Status.SUBMITTED),
        (Status.SUBMITTED, Status.UNDER_REVIEW, Status.DOCUMENTS_MISSING),
    ],
)
def test_the_page_selects_the_forward_step_and_still_offers_the_step_back(
    as_user, owner, client_obj, current, proposed, backwards
):
    sr = ServiceRequestFactory(policy=PolicyFactory(holder=client_obj), status=current)
    page = as_user(owner).get(reverse("service_requests:detail", kwargs={"pk": sr.pk}))
    chosen, offered = selected_status(page)
    assert chosen == proposed
    assert backwards in offered  # still possible by hand, as the table allows
    assert Status.REJECTED in offered and chosen != Status.REJECTED


def test_a_step_back_chosen_by_hand_is_still_taken(as_user, owner, client_obj):
    sr = ServiceRequestFactory(policy=PolicyFactory(holder=client_obj), status=Status.UNDER_REVIEW)
    response = as_user(owner).post(
        reverse("service_requests:status", kwargs={"pk": sr.pk}),
        {"to_status": Status.DOCUMENTS_MISSING, "seen_status": Status.UNDER_REVIEW, "note": ""},
    )
    assert response.status_code == 302
    sr.refresh_from_db()
    assert sr.status == Status.DOCUMENTS_MISSING
