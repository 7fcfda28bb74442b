"""Every export of client data is logged: who, which file, when, how many rows."""

import pytest
from django.urls import reverse

from agentcrm.core.models import ExportLog
from agentcrm.core.services import export_log_record

from .factories import ClientFactory
from .import_factories import read_xlsx
from .policy_factories import PolicyFactory

pytestmark = pytest.mark.django_db


def download(http, name: str) -> list[list]:
    response = http.get(reverse(f"imports:{name}"))
    assert response.status_code == 200
    return read_xlsx(b"".join(response.streaming_content))


def test_each_export_is_logged_with_its_row_count(as_user, owner, teammate):
    for _i in range(3):
        ClientFactory(owner=owner)
    PolicyFactory(holder=ClientFactory(owner=owner))
    ClientFactory(owner=teammate)  # not in the owner's export
    http = as_user(owner)

    clients = download(http, "export_clients")
    policies = download(http, "export_policies")

    logs = list(ExportLog.objects.order_by("id").values_list("user", "kind", "row_count"))
    assert logs == [
        (owner.pk, "clients.xlsx", len(clients) - 1),  # less the header row
        (owner.pk, "policies.xlsx", len(policies) - 1),
    ]
    assert logs[0][2] == 4 and logs[1][2] == 1


def test_an_empty_export_is_logged_too(as_user, owner):
    download(as_user(owner), "export_clients")
    assert ExportLog.objects.get().row_count == 0


def test_the_service_records_one_row(owner):
    entry = export_log_record(user=owner, kind="referrals.xlsx", rows=12)
    assert (entry.user, entry.kind, entry.row_count) == (owner, "referrals.xlsx", 12)
    assert entry.created_at is not None


def test_the_admin_shows_the_log_read_only(as_user, admin_user, owner):
    entry = export_log_record(user=owner, kind="clients.xlsx", rows=5)
    http = as_user(admin_user)

    listing = http.get("/admin/core/exportlog/")
    assert listing.status_code == 200
    assert "clients.xlsx" in listing.content.decode()
    assert http.get("/admin/core/exportlog/add/").status_code == 403
    page = http.get(f"/admin/core/exportlog/{entry.pk}/change/")
    assert page.status_code == 200 and 'name="row_count"' not in page.content.decode()
    assert (
        http.post(f"/admin/core/exportlog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert ExportLog.objects.filter(pk=entry.pk).exists()


def test_agents_cannot_open_the_log(as_user, owner):
    assert as_user(owner).get("/admin/core/exportlog/").status_code == 302
