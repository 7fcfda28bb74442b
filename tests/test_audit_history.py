"""The audit trail: who changed what, shown on the client, policy and service request pages
with old → new values, phone numbers masked, in a fixed number of queries."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from agentcrm.core.history import REASON_IMPORT, HistorySource, history_entries
from clients import services as client_services
from clients.models import Client, FamilyMember
from policies.models import Policy
from policies.services import policy_set_status, policy_update
from servicing.models import ServiceRequest
from servicing.services.requests import service_request_set_status, service_request_update

from .edit_forms import versioned
from .factories import ClientFactory, FamilyMemberFactory
from .policy_factories import PolicyFactory
from .service_request_factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Labels are asserted in English: the pages (and the code) speak it here."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def history_section(response) -> str:
    html = response.content.decode()
    match = re.search(r'<section[^>]*id="change-history".*?</section>', html, re.S)
    assert match, "no history section on the page"
    return match.group(0)


def formset(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def client_form(**fields) -> dict:
    data = {
        "name": "陈静",
        "gender": "female",
        "birth_date": "1988-04-12",
        "birthday_calendar": "solar",
        "mobile": "138 1234 5678",
        "marital_status": "married",
        "income_band": "",
        "vip_tier": "standard",
        "source": "cold_call",
        "stage": "client",
        **formset("family", []),
        **formset("dates", []),
    }
    data.update(fields)
    return data


def test_an_edit_is_recorded_with_who_and_each_change(as_user, owner):
    owner.display_name = "王经理"
    owner.save()
    http = as_user(owner)
    http.post(reverse("clients:create"), client_form())
    client = Client.objects.get(name="陈静")

    url = reverse("clients:edit", args=[client.pk])
    response = http.post(
        url,
        versioned(
            http, url, client_form(mobile="139 8765 4321", vip_tier="gold", notes="喜欢喝茶")
        ),
    )
    assert response.status_code == 302

    records = list(client.history.order_by("history_id"))
    assert [r.history_type for r in records] == ["+", "~"]
    assert {r.history_user for r in records} == {owner}
    section = history_section(http.get(reverse("clients:detail", args=[client.pk])))
    assert "王经理" in section
    assert "VIP tier" in section and "Standard</span> → Gold" in section
    assert "Notes" in section and "喜欢喝茶" in section
    assert "Mobile phone" in section
    assert "138****5678</span> → 139****4321" in section
    for full in ("13812345678", "13987654321", "1234 5678", "8765 4321", "+86"):
        assert full not in section


def test_family_member_changes_show_on_the_client_page(as_user, client_obj):
    member = FamilyMemberFactory(client=client_obj, name="王小宝", relation="child")
    member.is_living = False
    member.save()

    section = history_section(as_user(client_obj.owner).get(f"/clients/{client_obj.pk}/"))

    assert "Family member 王小宝" in section
    assert "Living" in section and "Yes</span> → No" in section


def test_archiving_leaves_a_history_row(as_user, client_obj, owner):
    http = as_user(owner)
    http.post(reverse("clients:archive", args=[client_obj.pk]))
    http.post(reverse("clients:archive", args=[client_obj.pk]))  # twice: one change only
    http.post(reverse("clients:unarchive", args=[client_obj.pk]))

    changes = [r for r in client_obj.history.order_by("history_id") if r.history_type == "~"]
    assert [r.archived_at is not None for r in changes] == [True, False]
    assert {r.history_user for r in changes} == {owner}
    section = history_section(http.get(f"/clients/{client_obj.pk}/"))
    assert section.count("Archived") == 2


def test_the_page_shows_the_last_twenty_in_a_fixed_number_of_queries(as_user, client_obj):
    http = as_user(client_obj.owner)
    members = [FamilyMemberFactory(client=client_obj, name=f"成员{i}") for i in range(3)]
    url = f"/clients/{client_obj.pk}/"

    def change(rounds):
        for i in rounds:
            client_obj.notes = f"第{i}次"
            client_obj.save()
            member = members[i % 3]
            member.notes = f"备注{i}"
            member.save()

    change(range(30))
    http.get(url)
    with CaptureQueriesContext(connection) as fewer:
        http.get(url)
    change(range(30, 60))
    with CaptureQueriesContext(connection) as more:
        response = http.get(url)

    section = history_section(response)
    assert len(more) == len(fewer)
    assert section.count('class="list-group-item"') == 20
    assert "第59次" in section and "备注59" in section and "第48次" not in section


def test_history_entries_find_the_earlier_version_outside_the_window(client_obj):
    """The oldest record shown still gets its old values (one extra query), not a blank."""
    client_obj.vip_tier = Client.Tier.GOLD
    client_obj.save()
    for i in range(5):
        client_obj.notes = f"n{i}"
        client_obj.save()

    entries = history_entries(sources=[HistorySource(records=client_obj.history.all())], limit=5)

    assert len(entries) == 5
    oldest = entries[-1]
    assert [(c.label, c.old, c.new) for c in oldest.changes] == [("notes", "—", "n0")]


def test_only_untracked_columns_moving_shows_nothing(client_obj):
    client_obj.save()  # updated_at only
    entries = history_entries(sources=[HistorySource(records=client_obj.history.all())])
    assert [e.action for e in entries] == ["Created"]


def test_policy_page_shows_field_changes_but_status_stays_in_its_own_history(as_user, owner):
    policy = PolicyFactory(holder=ClientFactory(owner=owner))
    policy_update(policy=policy, premium=Decimal("13500.00"), product_name="福寿终身寿险（2026版）")
    policy.refresh_from_db()
    policy_set_status(policy=policy, to_status=Policy.Status.SURRENDERED, by=owner)
    policy.refresh_from_db()
    policy_update(policy=policy, notes="客户退保")

    section = history_section(as_user(owner).get(f"/policies/{policy.pk}/"))

    assert "Premium per payment" in section and "12000</span> → 13500" in section
    assert "福寿终身寿险（2026版）" in section
    assert "Notes" in section
    assert "Surrendered" not in section  # shown in the status history, not twice
    assert policy.history.count() == 3  # created, the edit, the note


def test_service_request_page_shows_edits_and_the_amount_paid(as_user, owner):
    policy = PolicyFactory(holder=ClientFactory(owner=owner))
    sr = ServiceRequestFactory(policy=policy, amount_claimed=Decimal("8000"))
    service_request_update(request=sr, next_action="催保险公司", amount_claimed=Decimal("8500"))
    sr.refresh_from_db()
    service_request_set_status(
        request=sr, to_status=ServiceRequest.Status.PAID, by=owner, amount_paid=Decimal("8200")
    )

    records = list(sr.history.order_by("history_id"))
    assert [r.history_type for r in records] == ["+", "~", "~"]
    assert records[-1].amount_paid == Decimal("8200") and records[-1].history_user == owner
    section = history_section(as_user(owner).get(f"/service-requests/{sr.pk}/"))
    assert "Amount paid" in section and "—</span> → 8200" in section
    assert "8000</span> → 8500" in section
    assert "催保险公司" in section


def test_a_status_change_without_a_new_amount_writes_no_history_row(owner):
    sr = ServiceRequestFactory(policy=PolicyFactory(holder=ClientFactory(owner=owner)))
    service_request_set_status(request=sr, to_status=ServiceRequest.Status.UNDER_REVIEW, by=owner)
    assert sr.history.count() == 1


def test_another_agents_history_is_not_reachable(as_user, client_obj, outsider):
    assert as_user(outsider).get(f"/clients/{client_obj.pk}/").status_code == 404


def test_history_rows_of_an_import_name_the_agent(owner):
    """Rows written with bulk_create / update() by the import get history rows too."""
    from agentcrm.core.history import history_record

    client = ClientFactory(owner=owner, stage=Client.Stage.PROSPECT)
    Client.objects.filter(pk=client.pk).update(stage=Client.Stage.CLIENT)
    history_record(instances=Client.objects.filter(pk=client.pk), user=owner, reason=REASON_IMPORT)

    entries = history_entries(sources=[HistorySource(records=client.history.all())])
    assert entries[0].action == "Imported" and entries[0].who == owner
    assert [(c.old, c.new) for c in entries[0].changes] == [("Prospect", "Client")]


def test_deleting_a_family_member_is_recorded(client_obj):
    member = FamilyMemberFactory(client=client_obj, name="王老先生", relation="parent")
    member.delete()
    entries = history_entries(
        sources=[HistorySource(records=FamilyMember.history.filter(client_id=client_obj.pk))]
    )
    assert [e.action for e in entries] == ["Deleted", "Created"]


def test_archive_service_keeps_the_first_date(client_obj):
    client_services.client_archive(client=client_obj)
    first = Client.objects.get(pk=client_obj.pk).archived_at
    client_services.client_archive(client=client_obj)
    assert Client.objects.get(pk=client_obj.pk).archived_at == first
    assert client_obj.history.filter(history_type="~").count() == 1
    assert isinstance(first, datetime.datetime)


def test_the_migration_gives_existing_records_a_starting_row(client_obj, owner):
    """Records made before the history began get one "History starts" row each, so their
    first change shows old → new."""
    from importlib import import_module

    from django.apps import apps

    member = FamilyMemberFactory(client=client_obj)
    policy = PolicyFactory(holder=client_obj)
    sr = ServiceRequestFactory(policy=policy)
    for model in (Client, FamilyMember, Policy, ServiceRequest):
        model.history.all().delete()  # as before the history existed
    import_module("clients.migrations.0006_history_baseline").baseline(apps, None)
    import_module("policies.migrations.0005_history_baseline").baseline(apps, None)

    for obj in (client_obj, member, policy, sr):
        (row,) = obj.history.all()
        assert row.history_change_reason == "baseline" and row.history_user is None
    assert client_obj.history.get().mobile == client_obj.mobile
    client_obj.vip_tier = Client.Tier.GOLD
    client_obj.save()
    entries = history_entries(sources=[HistorySource(records=client_obj.history.all())])
    assert [e.action for e in entries] == ["Changed", "History starts"]
    assert [(c.old, c.new) for c in entries[0].changes] == [("Standard", "Gold")]


def test_numbers_typed_into_notes_are_masked_in_the_history(as_user, client_obj):
    client_obj.notes = "家里电话 13812345678"
    client_obj.save()
    section = history_section(as_user(client_obj.owner).get(f"/clients/{client_obj.pk}/"))
    assert "138****5678" in section and "13812345678" not in section
