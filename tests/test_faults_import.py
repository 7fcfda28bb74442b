"""The database connection drops in the middle of an import: the import's one transaction
is lost with the connection, so nothing of it is written, and the job's page says what
happened and that nothing was imported."""

import pytest
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections
from django.urls import reverse
from django.utils import translation

from clients.models import Client
from policies.models import Insurer, Policy, PolicyStatusChange
from spreadsheets import services as importing_services
from spreadsheets import tasks
from spreadsheets.models import ImportJob
from spreadsheets.services import import_job_create

from .import_factories import policy_row, table, upload, xlsx_bytes

Status = ImportJob.Status
LOST = "connection to the database was lost"


@pytest.fixture
def http(as_user, owner):
    return as_user(owner)


def queued_job(owner, rows: int = 6) -> ImportJob:
    """A checked file of `rows` new clients with a policy each (new insurer too), confirmed
    and waiting for the worker."""
    content = xlsx_bytes(
        table(
            [
                policy_row(
                    name=f"断线客户{i}",
                    mobile=f"1380013800{i}",
                    number=f"DROP{i}",
                    保险公司="断线人寿",
                )
                for i in range(rows)
            ]
        )
    )
    job = import_job_create(owner=owner, upload=upload(content))
    job.refresh_from_db()  # checked: without a test transaction on_commit ran at once
    assert job.status == Status.VALIDATED and job.valid_rows == rows
    ImportJob.objects.filter(pk=job.pk).update(status=Status.QUEUED)
    return job


def assert_nothing_imported(owner) -> None:
    assert not Client.objects.filter(owner=owner).exists()
    assert not Policy.objects.exists() and not PolicyStatusChange.objects.exists()
    assert not Insurer.objects.filter(name="断线人寿").exists()


def assert_job_page_says_so(http, job: ImportJob) -> None:
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert LOST in job.message and "nothing was imported" in job.message
    response = http.get(reverse("imports:detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported." in page and LOST in page
    progress = http.get(reverse("imports:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"  # a page left open stops polling and shows it


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_connection_killed_mid_import_writes_nothing_and_the_page_says_so(http, owner, monkeypatch):
    """PostgreSQL ends the import's connection (pg_terminate_backend, as a failover or an
    idle-connection killer would) after two batches were written inside its transaction."""
    job = queued_job(owner)
    monkeypatch.setattr(importing_services, "BATCH_ROWS", 2)
    real_write, batches = importing_services._write, []
    other = connections.create_connection(DEFAULT_DB_ALIAS)

    def write_then_lose_the_connection(**kwargs):
        result = real_write(**kwargs)
        batches.append(result)
        if len(batches) == 2:
            pid = connection.connection.get_backend_pid()
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                assert cursor.fetchone() == (True,)
        return result

    monkeypatch.setattr(importing_services, "_write", write_then_lose_the_connection)
    try:
        with pytest.raises((OperationalError, InterfaceError)), translation.override("en"):
            tasks.import_run(job.pk)  # as the worker runs it
        with other.cursor() as cursor:  # seen from another connection: nothing committed
            cursor.execute("SELECT count(*) FROM clients_client WHERE owner_id = %s", [owner.pk])
            assert cursor.fetchone() == (0,)
    finally:
        other.close()

    assert batches == [(2, 2), (2, 2)]  # two batches were written before the drop
    assert_nothing_imported(owner)
    assert_job_page_says_so(http, job)
    assert not ImportJob.objects.get(pk=job.pk).file  # the file is deleted, as on any failure


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_database_error_mid_import_writes_nothing_and_the_page_says_so(
    http, owner, monkeypatch, error
):
    """The same on any database: the driver reports the lost connection on the third batch."""
    job = queued_job(owner)
    monkeypatch.setattr(importing_services, "BATCH_ROWS", 2)
    real_write, batches = importing_services._write, []

    def write_then_fail(**kwargs):
        if len(batches) == 2:
            raise error("server closed the connection unexpectedly")
        batches.append(real_write(**kwargs))
        return batches[-1]

    monkeypatch.setattr(importing_services, "_write", write_then_fail)
    with pytest.raises(error), translation.override("en"):
        tasks.import_run(job.pk)

    assert len(batches) == 2
    assert_nothing_imported(owner)
    assert_job_page_says_so(http, job)
