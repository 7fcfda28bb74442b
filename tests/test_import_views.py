"""Import pages: every URL of the `imports` namespace in the access matrix, the progress
fragment, the preview's pages of problems and the query counts of the list pages.

The matrix is checked against the URL resolver, so a new imports URL without an entry
fails `test_every_import_url_is_in_the_matrix`.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse

from spreadsheets.models import ImportJob, ImportRowError

from .factories import ClientFactory
from .import_factories import read_xlsx
from .policy_factories import PolicyFactory

Status = ImportJob.Status

# name -> (method, needs a job)
MATRIX = {
    "index": ("GET", False),
    "template": ("GET", False),
    "export_clients": ("GET", False),
    "export_policies": ("GET", False),
    "detail": ("GET", True),
    "progress": ("GET", True),
    "confirm": ("POST", True),
}
JOB_URLS = [name for name, (_, needs_job) in MATRIX.items() if needs_job]


def import_url_names() -> set[str]:
    namespaced = get_resolver().namespace_dict["imports"][1]
    return {k for k in namespaced.reverse_dict if isinstance(k, str)}


def url_for(name: str, job: ImportJob) -> str:
    return reverse(f"imports:{name}", kwargs={"pk": job.pk} if MATRIX[name][1] else {})


def make_job(owner, **fields) -> ImportJob:
    defaults = {
        "original_name": "客户.xlsx",
        "kind": "xlsx",
        "file": "imports/x.xlsx",
        "status": Status.VALIDATED,
        "total_rows": 3,
        "valid_rows": 2,
        "error_rows": 1,
    }
    return ImportJob.objects.create(owner=owner, **defaults | fields)


@pytest.fixture
def job(owner):
    job = make_job(owner)
    ImportRowError.objects.create(job=job, row=3, column="手机", value="123", message="坏号码")
    return job


def test_every_import_url_is_in_the_matrix():
    assert import_url_names() == set(MATRIX)


def test_the_public_import_url():
    assert reverse("imports:index") == "/policies/import/"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_is_sent_to_login(client, name, job):
    method = client.post if MATRIX[name][0] == "POST" else client.get
    response = method(url_for(name, job))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teammate", "outsider", "manager", "admin_user"])
@pytest.mark.parametrize("name", JOB_URLS)
def test_someone_elses_import_is_404(request, as_user, persona, name, job):
    http = as_user(request.getfixturevalue(persona))
    if MATRIX[name][0] == "GET":
        assert http.get(url_for(name, job)).status_code == 404
    assert http.post(url_for(name, job), {"mode": "valid"}).status_code in (404, 405)
    job.refresh_from_db()
    assert job.status == Status.VALIDATED and not job.only_valid


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teammate", "outsider", "manager", "admin_user"])
def test_confirm_of_someone_elses_import_is_404(request, as_user, persona, job):
    http = as_user(request.getfixturevalue(persona))
    assert http.post(url_for("confirm", job), {"mode": "valid"}).status_code == 404
    job.refresh_from_db()
    assert job.status == Status.VALIDATED


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_owner_is_served(as_user, owner, name, job, django_capture_on_commit_callbacks):
    http = as_user(owner)
    if MATRIX[name][0] == "POST":
        with django_capture_on_commit_callbacks(execute=False) as queued:
            response = http.post(url_for(name, job), {"mode": "valid"})
        assert response.status_code == 302 and len(queued) == 1
        job.refresh_from_db()
        assert job.status == Status.QUEUED and job.only_valid
        return
    response = http.get(url_for(name, job))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_get_on_confirm_is_refused(as_user, owner, job):
    assert as_user(owner).get(url_for("confirm", job)).status_code == 405
    job.refresh_from_db()
    assert job.status == Status.VALIDATED


@pytest.mark.django_db
def test_import_all_is_refused_when_rows_have_problems(as_user, owner, job):
    response = as_user(owner).post(url_for("confirm", job), {"mode": "all"})
    assert response.status_code == 400
    assert "坏号码" in response.content.decode()
    job.refresh_from_db()
    assert job.status == Status.VALIDATED


@pytest.mark.django_db
def test_lists_and_exports_show_only_own_data(as_user, owner, teammate, client_obj, job):
    make_job(teammate, original_name="别人的.xlsx")
    PolicyFactory(holder=client_obj, number="P-MINE")
    PolicyFactory(holder=ClientFactory(owner=teammate, name="李雷"), number="P-THEIRS")
    http = as_user(owner)
    index = http.get(reverse("imports:index")).content.decode()
    assert "客户.xlsx" in index and "别人的.xlsx" not in index
    policies = read_xlsx(b"".join(http.get(reverse("imports:export_policies")).streaming_content))
    assert [row[0] for row in policies[1:]] == ["王芳"]
    assert "P-MINE" in policies[1] and all("P-THEIRS" not in row for row in policies)
    clients = read_xlsx(b"".join(http.get(reverse("imports:export_clients")).streaming_content))
    assert [row[0] for row in clients[1:]] == ["王芳"]


@pytest.mark.django_db
def test_progress_fragment_polls_while_running_then_reloads(as_user, owner):
    job = make_job(owner, status=Status.IMPORTING, total_rows=200, processed_rows=50)
    http = as_user(owner)
    response = http.get(url_for("progress", job), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'hx-trigger="every 1500ms"' in body and "25%" in body
    assert "HX-Refresh" not in response
    page = http.get(url_for("detail", job)).content.decode()
    assert 'id="import-progress"' in page
    assert reverse("imports:confirm", kwargs={"pk": job.pk}) not in page  # nothing to confirm
    ImportJob.objects.filter(pk=job.pk).update(status=Status.DONE)
    response = http.get(url_for("progress", job), HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"
    assert "hx-trigger" not in response.content.decode()


@pytest.mark.django_db
def test_index_query_count_does_not_grow_with_jobs(as_user, owner):
    http = as_user(owner)
    make_job(owner)
    with CaptureQueriesContext(connection) as one:
        assert http.get(reverse("imports:index")).status_code == 200
    for _ in range(15):
        make_job(owner)
    with CaptureQueriesContext(connection) as many:
        assert http.get(reverse("imports:index")).status_code == 200
    assert len(many) == len(one)


@pytest.mark.django_db
def test_preview_lists_every_problem_a_page_at_a_time(
    as_user, owner, django_assert_max_num_queries
):
    job = make_job(owner, error_rows=120, valid_rows=0, total_rows=120)
    ImportRowError.objects.bulk_create(
        ImportRowError(job=job, row=i + 2, column="手机", value=str(i), message=f"错误{i}")
        for i in range(120)
    )
    http = as_user(owner)
    with django_assert_max_num_queries(8):
        page = http.get(url_for("detail", job)).content.decode()
    assert "错误0" in page and "错误49" in page and "错误50" not in page
    third = http.get(url_for("detail", job) + "?page=3", HTTP_HX_REQUEST="true").content.decode()
    assert "错误119" in third and "<nav" in third and "<html" not in third
    assert 'value="all"' in page and "disabled" in page  # import all is not offered


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        (
            {
                "status": Status.DONE,
                "imported_rows": 2,
                "clients_created": 1,
                "policies_created": 2,
            },
            "2",
        ),
        ({"status": Status.FAILED, "message": "文件坏了"}, "文件坏了"),
        ({"status": Status.VALIDATING}, 'id="import-progress"'),
    ],
)
def test_job_page_in_each_state(as_user, owner, fields, shown):
    job = make_job(owner, **fields)
    response = as_user(owner).get(url_for("detail", job))
    assert response.status_code == 200
    body = response.content.decode()
    assert shown in body
    assert (reverse("imports:confirm", kwargs={"pk": job.pk}) in body) is False
