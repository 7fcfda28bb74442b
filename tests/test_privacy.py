"""Personal data that must not outlive its purpose (PIPL): ID numbers encrypted at rest and
shown masked, the basis of a referred person's contact details and their purge after the
retention (the team figures unchanged), a client's data export and erasure, both logged."""

import datetime
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from agentcrm.core.models import ExportLog
from clients.models import Client, FamilyMember, id_number_digest_for
from clients.services import client_create, client_update
from policies.models import Policy
from privacy.models import ErasureLog
from privacy.services import ERASED_NAME, client_erase, referral_contacts_purge
from referrals import services as referral_services
from referrals.models import ContactBasis, Referral, Stage
from referrals.selectors import team as team_stats
from touches.models import Touch

from .edit_forms import versioned
from .factories import (
    ClientFactory,
    CommitmentFactory,
    FamilyMemberFactory,
    InteractionFactory,
)
from .policy_factories import BeneficiaryFactory, PolicyFactory
from .referral_factories import ReferralFactory, ReferralStageChangeFactory
from .touch_factories import TouchFactory

ID_NUMBER = "11010119900307459X"
SH = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=SH)
OLD_KEY = "dGVzdC1vbmx5LWZpZWxkLWtleS0wMTIzNDU2Nzg5YWI="
NEW_KEY = "bmV3LXJvdGF0ZWQtZmllbGQta2V5LTAxMjM0NTY3ODk="


def stored_id_column(table: str, pk_name: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number FROM {table} WHERE {pk_name} = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


# --- ID numbers -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_id_number_is_stored_encrypted_found_by_digest_and_shown_masked(owner):
    client = client_create(owner=owner, name="王芳", id_number=" 110101199003074514 ")
    raw = stored_id_column("clients_client", "id", client.pk)
    assert raw.startswith("gAAAA") and "110101" not in raw
    client.refresh_from_db()
    assert client.id_number == "110101199003074514"
    assert client.id_number_masked == "110***********4514"
    # Equality lookups go through the digest: the ciphertext differs on every write.
    assert Client.objects.get(id_number_digest=id_number_digest_for("110101 19900307 4514")) == (
        client
    )
    # The audit history keeps the ciphertext too.
    record = client.history.latest()
    raw_history = stored_id_column("clients_historicalclient", "history_id", record.history_id)
    assert raw_history.startswith("gAAAA") and "110101" not in raw_history


@pytest.mark.django_db
def test_a_client_without_id_number_stores_an_empty_value_and_no_digest(owner):
    client = client_create(owner=owner, name="李四")
    assert stored_id_column("clients_client", "id", client.pk) == ""
    client.refresh_from_db()
    assert client.id_number == "" and client.id_number_digest == ""


@pytest.mark.django_db
def test_key_rotation_reencrypts_every_value_and_a_missing_key_fails_loudly(owner):
    client = client_create(owner=owner, name="王芳", id_number=ID_NUMBER)
    client_update(client=client, notes="复查")  # a second history row
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        call_command("id_numbers_reencrypt", stdout=io.StringIO())
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        assert Client.objects.get(pk=client.pk).id_number == ID_NUMBER
        assert {r.id_number for r in client.history.all()} == {ID_NUMBER}
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]), pytest.raises(ImproperlyConfigured):
        Client.objects.get(pk=client.pk)


@pytest.mark.django_db
def test_the_client_form_never_sends_the_id_number_back_and_blank_keeps_it(as_user, owner):
    client = client_create(owner=owner, name="王芳", id_number=ID_NUMBER)
    http = as_user(owner)
    page = http.get(reverse("clients:edit", args=[client.pk])).content.decode()
    assert ID_NUMBER not in page and "110***********459X" in page
    detail = http.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert ID_NUMBER not in detail and "110***********459X" in detail
    form = {"name": "王芳", "gender": "male", "birthday_calendar": "solar", "stage": "client"}
    form |= {"source": "other", "vip_tier": "standard", "greeting_style": "formal"}
    form |= {f"{p}-{k}": "0" for p in ("family", "dates") for k in ("TOTAL_FORMS", "INITIAL_FORMS")}
    edit = reverse("clients:edit", args=[client.pk])
    response = http.post(edit, versioned(http, edit, {**form, "id_number": ""}))
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.id_number == ID_NUMBER
    # A new number replaces it; the change history shows both masked.
    new = "31010119800101123X"
    response = http.post(edit, versioned(http, edit, {**form, "id_number": new}))
    assert response.status_code == 302
    detail = http.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert new not in detail and ID_NUMBER not in detail
    assert "310***********123X" in detail and "110***********459X" in detail
    client_update(client=client, id_number=ID_NUMBER)
    response = http.post(edit, versioned(http, edit, {**form, "id_number": "12#"}))
    assert response.status_code == 400
    assert "身份证号" in response.content.decode()
    client.refresh_from_db()
    assert client.id_number == ID_NUMBER


# --- Referral contacts ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_referral_records_the_basis_of_the_contact_details(owner, client_obj):
    referral = referral_services.referral_create(
        owner=owner,
        referrer=client_obj,
        person=referral_services.Person(name="赵六", mobile="+8613900001111"),
        given_on=timezone.localdate(),
        by=owner,
    )
    assert referral.contact_basis == ContactBasis.REFERRER
    assert referral.contact_given_at is not None and referral.privacy_reassured is False
    told = referral_services.referral_create(
        owner=owner,
        referrer=client_obj,
        person=referral_services.Person(name="钱七", privacy_reassured=True),
        given_on=timezone.localdate(),
        by=owner,
    )
    assert told.privacy_reassured is True


@pytest.mark.django_db
def test_the_referral_pages_show_the_basis_and_the_retention(as_user, owner):
    referral = ReferralFactory(referrer__owner=owner, contact_given_at=timezone.now())
    http = as_user(owner)
    detail = http.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "由转介绍人提供" in detail and "未记录隐私说明" in detail
    assert "未成交的转介绍联系方式保留12个月" in detail
    listing = http.get(reverse("referrals:list")).content.decode()
    assert "未成交的转介绍联系方式保留12个月" in listing
    with override_settings(REFERRAL_CONTACT_RETENTION_DAYS=183):
        listing = http.get(reverse("referrals:list")).content.decode()
    assert "未成交的转介绍联系方式保留6个月" in listing


def team_figures(owner):
    stats = team_stats.team_referral_stats(
        agents=[owner],
        period=team_stats.Period(datetime.date(2024, 1, 1), datetime.date(2026, 6, 30)),
        today=NOW.date(),
    )
    row = stats.rows[0]
    names = ("requests", "names", "refusals", "received", "contacted", "won", "deepest")
    names += ("feedback_on_time", "feedback_owed")
    return {n: getattr(row, n) for n in names}, [(t.name, t.count) for t in stats.top_referrers]


@pytest.fixture
def old_referrals(owner):
    """Referrals given in 2025 (last step 2025-03): one lost, one left new, one won, one new
    whose person took a policy another way; and one whose last step is recent."""
    referrer = ClientFactory(owner=owner, name="张伟")
    old = datetime.datetime(2025, 3, 1, 10, 0, tzinfo=SH)
    made = {}
    for key, stage in (("lost", Stage.LOST), ("new", Stage.NEW), ("won", Stage.WON)):
        made[key] = ReferralFactory(
            referrer=referrer,
            given_on=old.date(),
            stage=stage,
            stage_changed_at=old,
            contacted_at=old if stage != Stage.NEW else None,
            closed_at=old if stage in (Stage.WON, Stage.LOST) else None,
            reason="他刚买房",
            referred__name=f"朋友{key}",
            referred__mobile=f"+861390000{len(made):04d}",
        )
    made["policy"] = ReferralFactory(referrer=referrer, given_on=old.date(), stage_changed_at=old)
    PolicyFactory(holder=made["policy"].referred)
    made["recent"] = ReferralFactory(
        referrer=referrer,
        given_on=old.date(),
        stage=Stage.MET,
        stage_changed_at=datetime.datetime(2026, 1, 10, tzinfo=SH),
        contacted_at=old,
    )
    ReferralStageChangeFactory(
        referral=made["lost"], changed_at=old, feedback_due=old.date(), reported_at=old
    )
    return made


@pytest.mark.django_db
def test_the_purge_erases_unconverted_contacts_and_keeps_every_team_figure(owner, old_referrals):
    before = team_figures(owner)
    purged = referral_contacts_purge(today=NOW.date())
    assert purged == 2
    assert team_figures(owner) == before
    for key in ("lost", "new"):
        referral = Referral.objects.select_related("referred").get(pk=old_referrals[key].pk)
        assert referral.contact_purged_at is not None and referral.reason == ""
        assert referral.referred.name == ERASED_NAME and not referral.referred.mobile
        assert referral.stage == old_referrals[key].stage
        assert not referral.referred.history.exists()
    for key in ("won", "policy", "recent"):
        referral = Referral.objects.select_related("referred").get(pk=old_referrals[key].pk)
        assert referral.contact_purged_at is None and referral.referred.name != ERASED_NAME
    assert ErasureLog.objects.filter(reason=ErasureLog.Reason.REFERRAL_RETENTION).count() == 2
    # Idempotent: the next night finds nothing more.
    assert referral_contacts_purge(today=NOW.date()) == 0
    assert team_figures(owner) == before


@pytest.mark.django_db
def test_the_purge_runs_nightly_and_follows_the_retention_setting(owner, old_referrals):
    from agentcrm.core.services import nightly_run, nightly_steps

    assert "referral_contacts_purge" in nightly_steps()
    with override_settings(REFERRAL_CONTACT_RETENTION_DAYS=800):
        nightly_run(day=NOW.date())
    assert not Referral.objects.filter(contact_purged_at__isnull=False).exists()
    nightly_run(day=NOW.date())
    assert Referral.objects.filter(contact_purged_at__isnull=False).count() == 2


# --- Export and erasure -----------------------------------------------------------------------


@pytest.fixture
def full_client(owner):
    client = client_create(
        owner=owner,
        name="王芳",
        mobile="+8613812345678",
        address="上海市浦东新区世纪大道100号",
        notes="喜欢喝茶",
        id_number=ID_NUMBER,
    )
    FamilyMemberFactory(client=client, relation=FamilyMember.Relation.CHILD, name="王小宝")
    InteractionFactory(client=client, summary="聊了孩子上学的事")
    CommitmentFactory(client=client, description="送一本育儿书")
    policy = PolicyFactory(holder=client, notes="体检有结节")
    BeneficiaryFactory(policy=policy, name="王小宝")
    TouchFactory(client=client, owner=owner, label="王芳生日")
    referrer = ClientFactory(owner=owner)
    ReferralFactory(referrer=referrer, referred=client, stage=Stage.WON, closed_at=timezone.now())
    client_update(client=client, notes="喜欢喝茶，也喜欢书法")
    return client


@pytest.mark.django_db
def test_the_owner_downloads_everything_held_masked_and_logged(as_user, owner, full_client):
    response = as_user(owner).get(reverse("client_privacy:export", args=[full_client.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "王芳" not in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = {n[:-5]: json.loads(archive.read(n)) for n in archive.namelist() if n.endswith(".json")}
    assert data["client"][0]["name"] == "王芳"
    assert data["client"][0]["id_number"] == "110***********459X"
    assert [f["name"] for f in data["family"]] == ["王小宝"]
    assert data["interactions"][0]["summary"] == "聊了孩子上学的事"
    assert data["promises"][0]["description"] == "送一本育儿书"
    assert data["policies"][0]["premium"] == "12000.00"
    assert data["policies"][0]["number"].count("*") >= 4
    assert len(data["referrals"]) == 1 and len(data["touches"]) == 1
    assert {r["record"] for r in data["history"]} >= {"client", "policy", "referral"}
    text = b"".join(archive.read(n) for n in archive.namelist()).decode()
    assert ID_NUMBER not in text and full_client.policies_held.get().number not in text
    log = ExportLog.objects.get()
    assert (log.user, log.kind) == (owner, "client_data.zip") and log.row_count > 10


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teammate", "outsider", "manager"])
def test_no_one_else_can_export_or_erase(request, as_user, persona, full_client):
    http = as_user(request.getfixturevalue(persona))
    assert http.get(reverse("client_privacy:export", args=[full_client.pk])).status_code == 404
    url = reverse("client_privacy:erase", args=[full_client.pk])
    assert http.get(url).status_code == 404
    assert http.post(url, {"confirm": "yes"}).status_code == 404
    assert not ErasureLog.objects.exists() and not ExportLog.objects.exists()


@pytest.mark.django_db
def test_erasure_needs_the_confirmation(as_user, owner, full_client):
    url = reverse("client_privacy:erase", args=[full_client.pk])
    page = as_user(owner).get(url).content.decode()
    assert "删除个人资料" in page and "无法撤销" in page
    response = as_user(owner).post(url, {})
    assert response.status_code == 400 and "什么都没有删除" in response.content.decode()
    full_client.refresh_from_db()
    assert full_client.name == "王芳" and full_client.erased_at is None


@pytest.mark.django_db
def test_erasure_removes_personal_data_and_history_and_keeps_the_figures(
    as_user, owner, full_client
):
    policy = full_client.policies_held.get()
    referral = full_client.referral
    response = as_user(owner).post(
        reverse("client_privacy:erase", args=[full_client.pk]), {"confirm": "yes"}
    )
    assert response.status_code == 302
    client = Client.objects.get(pk=full_client.pk)
    assert client.name == ERASED_NAME and client.erased_at and client.archived_at
    assert not client.mobile and not client.address and not client.notes
    assert client.id_number == "" and client.id_number_digest == "" and client.birth_date is None
    assert client.family.get().name == "已删除"
    assert client.interactions.get().summary == "" and client.commitments.get().description == ""
    assert not Touch.objects.filter(client=client, status=Touch.Status.OPEN).exists()
    # No audit-history row keeps the old values.
    assert not Client.history.filter(id=client.pk).exists()
    assert not FamilyMember.history.filter(client_id=client.pk).exists()
    assert not Policy.history.filter(id=policy.pk).exists()
    assert not Referral.history.filter(id=referral.pk).exists()
    # The figures stay: the policy's premium and status, the referral and its stage.
    policy.refresh_from_db()
    assert (policy.premium, policy.status, policy.notes) == (Decimal("12000.00"), "in_force", "")
    assert policy.beneficiaries.get().name == "已删除"
    assert Referral.objects.get(pk=referral.pk).stage == Stage.WON
    log = ErasureLog.objects.get()
    assert (log.client_id, log.user, log.reason) == (client.pk, owner, ErasureLog.Reason.REQUEST)
    assert log.counts["history"] >= 4
    # Once only.
    again = as_user(owner).post(
        reverse("client_privacy:erase", args=[client.pk]), {"confirm": "yes"}
    )
    assert again.status_code == 400
    assert "该客户的个人资料已删除" in again.content.decode()
    with pytest.raises(ValidationError):
        client_erase(client=client, by=owner)
    assert ErasureLog.objects.count() == 1


# --- Uploaded spreadsheets --------------------------------------------------------------------


@pytest.mark.django_db
def test_uploaded_files_are_deleted_seven_days_after_upload_whatever_the_job_became(owner):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from spreadsheets.models import ImportJob, ImportRowError
    from spreadsheets.services import import_jobs_expire

    Status = ImportJob.Status
    now = timezone.now()

    def job(status, *, days_old=8, progress_minutes=None):
        made = ImportJob(owner=owner, original_name="王芳的客户.xlsx", kind="xlsx", status=status)
        made.file.save("x.xlsx", ContentFile(b"PK 13812345678"), save=False)
        made.save()
        progress = now - datetime.timedelta(minutes=progress_minutes) if progress_minutes else None
        ImportJob.objects.filter(pk=made.pk).update(
            created_at=now - datetime.timedelta(days=days_old), progress_at=progress
        )
        ImportRowError.objects.create(job=made, row=2, value="13812345678", message="重复")
        return made

    queued = job(Status.QUEUED)  # the broker lost its task
    dead = job(Status.IMPORTING, progress_minutes=60 * 24)  # its worker died
    running = job(Status.IMPORTING, progress_minutes=1)  # still making progress
    done = job(Status.DONE)  # its file's deletion had failed
    fresh = job(Status.VALIDATED, days_old=2)
    files = {j.pk: j.file.name for j in (queued, dead, running, done, fresh)}

    assert import_jobs_expire() == 2
    state = {j.pk: (j.status, j.file.name) for j in ImportJob.objects.all()}
    assert state[queued.pk] == (Status.FAILED, "") and state[dead.pk] == (Status.FAILED, "")
    assert state[done.pk] == (Status.DONE, "")
    assert state[running.pk] == (Status.IMPORTING, files[running.pk])
    assert state[fresh.pk] == (Status.VALIDATED, files[fresh.pk])
    for pk in (queued.pk, dead.pk, done.pk):
        assert not default_storage.exists(files[pk])
    assert default_storage.exists(files[fresh.pk])
    values = dict(ImportRowError.objects.values_list("job_id", "value"))
    assert values[fresh.pk] == "13812345678"
    assert {values[pk] for pk in (queued.pk, dead.pk, running.pk, done.pk)} == {""}


@pytest.mark.django_db
def test_an_erased_client_can_no_longer_be_deleted(as_user, owner):
    client = client_create(owner=owner, name="孙八")
    client_erase(client=client, by=owner)
    response = as_user(owner).post(reverse("clients:delete", args=[client.pk]))
    assert response.status_code == 302
    assert Client.objects.filter(pk=client.pk).exists()
    assert ErasureLog.objects.filter(client=client).exists()
