import datetime

import pytest
import time_machine
from django.urls import reverse

from clients.models import Client

from .factories import CommitmentFactory, InteractionFactory

NOW = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def http(as_user, owner):
    return as_user(owner)


@time_machine.travel(NOW)
@pytest.mark.django_db
def test_add_interaction_by_htmx(http, owner, client_obj):
    url = reverse("clients:interaction_add", kwargs={"pk": client_obj.pk})
    response = http.post(
        url,
        {"kind": "gift", "date": "2026-11-20", "summary": "送月饼", "gift_value": "88.00"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "送月饼" in response.content.decode()
    interaction = client_obj.interactions.get()
    assert interaction.created_by == owner and interaction.gift_value == 88


@time_machine.travel(NOW)
@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"kind": "call", "date": "2026-12-01", "summary": "未来"},
        {"kind": "call", "date": "2026-11-01", "summary": "礼物", "gift_value": "10"},
        {"kind": "call", "date": "2026-02-30", "summary": "x"},
        {"kind": "nope", "date": "2026-11-01", "summary": "x"},
    ],
)
def test_bad_interaction_is_refused(http, client_obj, data):
    url = reverse("clients:interaction_add", kwargs={"pk": client_obj.pk})
    response = http.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert not client_obj.interactions.exists()
    # Without htmx the error comes back as a message and the page is shown again.
    response = http.post(url, data)
    assert response.status_code == 302
    assert not client_obj.interactions.exists()


@time_machine.travel(NOW)
@pytest.mark.django_db
def test_life_event_and_commitment(http, client_obj):
    http.post(
        reverse("clients:life_event_add", kwargs={"pk": client_obj.pk}),
        {"kind": "hospitalised", "date": "2026-11-23", "notes": "阑尾炎"},
    )
    http.post(
        reverse("clients:commitment_add", kwargs={"pk": client_obj.pk}),
        {"description": "寄理赔材料清单", "due_date": "2026-11-26"},
    )
    assert client_obj.life_events.get().kind == "hospitalised"
    commitment = client_obj.commitments.get()
    done = reverse(
        "clients:commitment_done", kwargs={"pk": client_obj.pk, "commitment_id": commitment.pk}
    )
    http.post(done)
    commitment.refresh_from_db()
    assert commitment.done_date == datetime.date(2026, 11, 24)
    with time_machine.travel(NOW + datetime.timedelta(days=2)):
        http.force_login(client_obj.owner)  # two days idle: the 8-hour session is over
        http.post(done)  # a second click keeps the first date
    commitment.refresh_from_db()
    assert commitment.done_date == datetime.date(2026, 11, 24)
    http.post(
        reverse(
            "clients:commitment_reopen",
            kwargs={"pk": client_obj.pk, "commitment_id": commitment.pk},
        )
    )
    commitment.refresh_from_db()
    assert commitment.done_date is None


@time_machine.travel(NOW)
@pytest.mark.django_db
def test_overdue_commitments_stand_out(http, client_obj):
    CommitmentFactory(
        client=client_obj, description="逾期的承诺", due_date=datetime.date(2026, 11, 1)
    )
    CommitmentFactory(
        client=client_obj, description="将来的承诺", due_date=datetime.date(2026, 12, 1)
    )
    page = http.get(reverse("clients:commitments"))
    rows = list(page.context["commitments"])
    assert [c.description for c in rows] == ["逾期的承诺", "将来的承诺"]
    body = page.content.decode()
    assert body.index("逾期的承诺") < body.index("将来的承诺")
    assert "overdue" in body


@pytest.mark.django_db
def test_client_with_history_is_archived_not_deleted(http, client_obj):
    InteractionFactory(client=client_obj)
    response = http.post(reverse("clients:delete", kwargs={"pk": client_obj.pk}))
    assert response.status_code == 302
    assert Client.objects.filter(pk=client_obj.pk).exists()
    http.post(reverse("clients:archive", kwargs={"pk": client_obj.pk}))
    client_obj.refresh_from_db()
    assert client_obj.is_archived
    http.post(reverse("clients:unarchive", kwargs={"pk": client_obj.pk}))
    client_obj.refresh_from_db()
    assert not client_obj.is_archived


@pytest.mark.django_db
def test_client_without_history_can_be_deleted(http, client_obj):
    response = http.post(reverse("clients:delete", kwargs={"pk": client_obj.pk}))
    assert response["Location"] == reverse("clients:list")
    assert not Client.objects.filter(pk=client_obj.pk).exists()


@time_machine.travel(NOW)
@pytest.mark.django_db
def test_detail_page_query_count_is_fixed(http, client_obj, django_assert_max_num_queries):
    for i in range(10):
        InteractionFactory(client=client_obj, summary=f"拜访{i}")
        CommitmentFactory(client=client_obj)
    # +1 for the service touches panel (touches), +2 for the change history (the
    # client's records and their family's), +2 for the referrals panel, +1 for the agents who
    # served the client before (handover), +1 for the merges that can be undone, +1 for the
    # possible duplicates, +1 for the history of the records merged into this one, +3 for
    # the introductions card (offers, needs, introductions), +3 for the gifts, events and
    # household panels.
    with django_assert_max_num_queries(31):
        response = http.get(reverse("clients:detail", kwargs={"pk": client_obj.pk}))
    assert response.status_code == 200
    assert "拜访9" in response.content.decode()
