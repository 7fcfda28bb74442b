"""Fuzzing the spreadsheet import: CSV files made by hypothesis (random unicode, very long
cells, HTML and SQL payloads, malformed dates and numbers, odd headers and encodings) and
files of random bytes, uploaded, checked and imported through the pages.

Whatever the file: never a server error; the check writes nothing but its report; the
import writes all its rows or none (what it reports is exactly what exists); and markup
from the file (cells, headers, the file's name) never comes back unescaped."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import event, given
from hypothesis import strategies as st

from clients.models import Client
from policies.models import Policy
from spreadsheets.models import ImportJob

from .fuzz_inputs import (
    HTML_PAYLOADS,
    assert_escaped,
    assert_not_server_error,
    rolled_back,
    text,
    value,
)
from .import_factories import HEADERS, policy_row

pytestmark = pytest.mark.django_db
Status = ImportJob.Status

NAMES = st.one_of(
    st.sampled_from(["book.csv", "BOOK.CSV", "客户名单.csv", "book.xlsx", "book.txt"]),
    st.builds(lambda p: f"{p}.csv", st.sampled_from(HTML_PAYLOADS)),
    st.builds(lambda t: f"{t}.csv", text()),
)


@st.composite
def csv_upload(draw) -> tuple[str, bytes, list[str]]:
    """(file name, content, every string put in the file)."""
    rows = []
    for i in range(draw(st.integers(min_value=0, max_value=6))):
        row = policy_row(name=f"导入客户{i}", mobile=f"1391234{i:04d}", number=f"FZ{i:04d}")
        row.update(draw(st.dictionaries(st.sampled_from(HEADERS), value(), max_size=4)))
        rows.append(row)
    headers = draw(
        st.one_of(
            st.just(HEADERS),
            st.permutations(HEADERS),
            st.lists(st.one_of(st.sampled_from(HEADERS), text()), max_size=16),
        )
    )
    cells = [headers, *[[row.get(h, "") for h in headers] for row in rows]]
    out = io.StringIO()
    csv.writer(out).writerows(cells)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    name = draw(NAMES)
    sent = [name, *(str(cell) for line in cells for cell in line)]
    return name, out.getvalue().encode(encoding), sent


RANDOM_BYTES = st.tuples(
    st.sampled_from(["book.csv", "book.xlsx"]), st.binary(max_size=2000), st.just([])
)


def counts() -> tuple[int, int]:
    return Client.objects.count(), Policy.objects.count()


@given(upload=st.one_of(csv_upload(), RANDOM_BYTES))
def test_fuzz_import(http_owner, owner, django_capture_on_commit_callbacks, upload):
    http = http_owner
    name, content, sent = upload
    with rolled_back():
        before = counts()
        with django_capture_on_commit_callbacks(execute=True):  # the check, eagerly
            response = http.post(
                reverse("imports:index"), {"file": SimpleUploadedFile(name, content)}
            )
        assert_not_server_error(response)
        body = response.content.decode()
        if response.status_code == 400:  # refused at the upload: no job, nothing written
            event("upload refused")
            assert not ImportJob.objects.filter(owner=owner).exists()
            assert counts() == before
        else:
            assert response.status_code == 302
            job = ImportJob.objects.get(owner=owner)
            assert job.status in (Status.VALIDATED, Status.FAILED), job.status
            assert counts() == before  # the check writes nothing but its report
            body = _page(http, job)
            event(f"check: {job.status}, {'some' if job.valid_rows else 'no'} valid rows")
            if job.status == Status.VALIDATED and job.valid_rows:
                mode = "all" if job.can_import_all else "valid"
                with django_capture_on_commit_callbacks(execute=True):
                    response = http.post(reverse("imports:confirm", args=[job.pk]), {"mode": mode})
                assert response.status_code == 302
                job.refresh_from_db()
                assert job.status in (Status.DONE, Status.FAILED), job.status
                event(f"import: {job.status}")
                if job.status == Status.DONE:
                    assert counts() == (
                        before[0] + job.clients_created,
                        before[1] + job.policies_created,
                    )
                    assert job.imported_rows > 0 and job.policies_created <= job.imported_rows
                else:
                    assert counts() == before
                body += _page(http, job)
                body += http.get(reverse("clients:list")).content.decode()
                body += http.get(reverse("policies:list")).content.decode()
        assert_escaped(body, sent)


def _page(http, job) -> str:
    response = http.get(reverse("imports:detail", args=[job.pk]))
    assert response.status_code == 200
    index = http.get(reverse("imports:index"))  # the recent imports list names the file
    assert index.status_code == 200
    return response.content.decode() + index.content.decode()


@pytest.fixture
def http_owner(as_user, owner):
    return as_user(owner)


# -- what the fuzzing found ----------------------------------------------------------------


def test_nul_characters_in_cells_are_dropped(http_owner, owner, django_capture_on_commit_callbacks):
    """PostgreSQL cannot store or even compare a NUL character: a cell holding one made the
    check fail with a database error. They mean nothing in a cell and are dropped."""
    row = policy_row(name="王\x00芳", number="P\x000001", 保险公司="\x00平安\x00人寿")
    out = io.StringIO()
    csv.writer(out).writerows([HEADERS, [row[h] for h in HEADERS]])
    with django_capture_on_commit_callbacks(execute=True):
        response = http_owner.post(
            reverse("imports:index"),
            {"file": SimpleUploadedFile("nul\x00.csv", out.getvalue().encode())},
        )
    job = ImportJob.objects.get(owner=owner)
    assert response.status_code == 302 and job.status == Status.VALIDATED, job.message
    with django_capture_on_commit_callbacks(execute=True):
        http_owner.post(reverse("imports:confirm", args=[job.pk]), {"mode": "all"})
    policy = Policy.objects.get()
    assert (policy.holder.name, policy.number, policy.insurer.name) == ("王芳", "P0001", "平安人寿")


@pytest.mark.parametrize(
    ("column", "cell"),
    [("生效日期", "9999-12-31"), ("生效日期", "00010101"), ("缴费年期", "8000")],
)
def test_policy_dates_beyond_any_real_policy_are_row_errors(
    http_owner, owner, django_capture_on_commit_callbacks, column, cell
):
    """The check passed them and the import then failed on the dates derived from them."""
    row = policy_row(**{column: cell})
    out = io.StringIO()
    csv.writer(out).writerows([HEADERS, [row[h] for h in HEADERS]])
    with django_capture_on_commit_callbacks(execute=True):
        http_owner.post(
            reverse("imports:index"), {"file": SimpleUploadedFile("a.csv", out.getvalue().encode())}
        )
    job = ImportJob.objects.get(owner=owner)
    assert (job.status, job.valid_rows, job.error_rows) == (Status.VALIDATED, 0, 1)
    assert list(job.row_errors.values_list("column", flat=True)) == [column]
