"""An import cannot make an insurer every other team then sees: an insurer a spreadsheet
brought in is the importing agent's own (and of any agent whose own policies name it) until
an administrator confirms it in the admin."""

import pytest
from django.urls import reverse

from policies.models import Insurer, Policy
from spreadsheets.services import import_job_confirm, import_job_create

from .factories import ClientFactory
from .import_factories import policy_row, table, upload, xlsx_bytes
from .policy_factories import InsurerFactory

pytestmark = pytest.mark.django_db

NEW = "小众互助人寿（笔误）"


@pytest.fixture
def imported(owner, django_capture_on_commit_callbacks):
    """The owner imports one policy with an insurer nobody has."""
    InsurerFactory(name="中国平安人寿")
    content = xlsx_bytes(table([policy_row(保险公司=NEW)]))
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(owner=owner, upload=upload(content))
    job.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        import_job_confirm(job=job, only_valid=False)
    return Insurer.objects.get(name=NEW)


def insurer_choices(http) -> str:
    return http.get(reverse("policies:create")).content.decode()


def test_an_imported_insurer_is_the_importing_agents_until_confirmed(
    imported, owner, teammate, outsider, as_user
):
    assert (imported.confirmed, imported.added_by) == (False, owner)
    assert Policy.objects.filter(owner=owner, insurer=imported).exists()

    assert NEW in insurer_choices(as_user(owner))
    assert NEW in as_user(owner).get(reverse("policies:list")).content.decode()
    for other in (teammate, outsider):
        http = as_user(other)
        assert NEW not in insurer_choices(http)
        assert "中国平安人寿" in insurer_choices(http)
        assert NEW not in http.get(reverse("policies:list")).content.decode()
        assert list(Insurer.objects.visible_to(other).filter(pk=imported.pk)) == []


def test_another_agent_cannot_pick_it_by_its_id(imported, outsider, as_user):
    holder = ClientFactory(owner=outsider)
    response = as_user(outsider).post(
        reverse("policies:create"),
        {"insurer": imported.pk, "holder": holder.pk, "insured_client": holder.pk},
    )
    assert response.status_code == 400
    assert not Policy.objects.filter(owner=outsider).exists()


def test_an_administrator_confirms_it_and_then_every_agent_sees_it(
    imported, admin_user, outsider, as_user
):
    admin = as_user(admin_user)
    response = admin.post(
        reverse("admin:policies_insurer_changelist"),
        {"action": "confirm", "_selected_action": [imported.pk]},
    )
    assert response.status_code == 302
    imported.refresh_from_db()
    assert imported.confirmed
    assert NEW in insurer_choices(as_user(outsider))


def test_insurers_existing_before_stay_shared(owner, outsider):
    shared = InsurerFactory(name="中国人寿")
    assert shared.confirmed
    assert shared in Insurer.objects.visible_to(outsider)
