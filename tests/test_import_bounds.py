"""Imports never stall nor exhaust the worker: a zip bomb is refused before it is opened,
a lone row numbered 50,000,000 is one row read in a moment, rows, cells and time are
bounded with a clear message; imports run on their own queue; the same file confirmed twice
at once imports once.

The figures (time, peak memory) are printed with `-s`: see the helper's report."""

import io
import re
import resource
import threading
import time
import tracemalloc
import zipfile

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.utils import translation
from openpyxl import Workbook

from clients.models import Client
from policies.models import Policy
from spreadsheets import services as importing_services
from spreadsheets.models import ImportJob
from spreadsheets.reader import ImportFileError, open_sheet
from spreadsheets.services import import_job_confirm, import_job_create, import_job_validate

from .import_factories import HEADERS, policy_row, table, upload, xlsx_bytes

Status = ImportJob.Status


@pytest.fixture(autouse=True)
def english_messages():
    with translation.override("en"):
        yield


def measured(action):
    """(result or exception, seconds, peak traced MB) of running action()."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = action()
    except Exception as exc:  # noqa: BLE001 - returned for the test to assert on
        outcome = exc
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return outcome, seconds, peak / (1024 * 1024)


def with_member(content: bytes, name: str, size: int) -> bytes:
    """The workbook with one more member of `size` zero bytes, deflated (a zip bomb)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for member in source.infolist():
            target.writestr(member, source.read(member.filename))
        with target.open(name, "w", force_zip64=True) as padding:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                padding.write(chunk)
    return out.getvalue()


def read_all(content: bytes) -> list:
    with open_sheet(io.BytesIO(content), kind="xlsx") as sheet:
        return list(sheet.rows)


def test_a_zip_bomb_is_refused_before_it_is_opened():
    """3 MB or less on disk, more than the bound (128 MB) expanded: refused from the zip's
    directory, without decompressing a byte of it."""
    bomb = with_member(
        xlsx_bytes(table([policy_row()])),
        "xl/media/image1.png",
        settings.IMPORT_MAX_UNZIPPED_BYTES + 64 * 1024 * 1024,
    )
    assert len(bomb) < 3 * 1024 * 1024
    outcome, seconds, peak = measured(lambda: read_all(bomb))
    print(
        f"\nbomb: {len(bomb) / 1024:.0f} KB on disk, refused in {seconds:.3f} s, peak {peak:.1f} MB"
    )
    assert isinstance(outcome, ImportFileError)
    assert "would expand to more than 128 MB" in str(outcome)
    assert seconds < 2 and peak < 16


def test_a_bomb_inside_the_sheet_xml_is_refused_too():
    """The sheet itself padded past the bound (the way the 1.8 GB file was built)."""
    content = xlsx_bytes(table([policy_row()]))
    with override_settings(IMPORT_MAX_UNZIPPED_BYTES=8 * 1024 * 1024):
        bomb = with_member(content, "xl/worksheets/sheet2.xml", 16 * 1024 * 1024)
        with pytest.raises(ImportFileError, match="would expand"):
            read_all(bomb)


def lone_row_workbook(row_number: int) -> bytes:
    """The header, then one policy row numbered `row_number` (2 KB on disk). Written as the
    XML says it, since openpyxl itself stops at Excel's 1,048,576 rows."""
    content = xlsx_bytes(table([policy_row()]))
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = re.sub(r'r="([A-Z]+)2"', rf'r="\g<1>{row_number}"', text)
                text = text.replace('<row r="2"', f'<row r="{row_number}"')
                text = re.sub(r'ref="A1:([A-Z]+)2"', rf'ref="A1:\g<1>{row_number}"', text)
                assert f'<row r="{row_number}"' in text
                data = text.encode()
            target.writestr(member, data)
    return out.getvalue()


def test_a_lone_row_numbered_fifty_million_is_one_row_read_at_once():
    content = lone_row_workbook(50_000_000)
    assert len(content) < 8 * 1024
    outcome, seconds, peak = measured(lambda: read_all(content))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nrow 50,000,000: read in {seconds:.3f} s, peak traced {peak:.1f} MB, "
        f"process max RSS so far {rss:.0f} MB"
    )
    assert not isinstance(outcome, Exception), outcome
    assert [number for number, _cells in outcome] == [50_000_000]
    assert outcome[0][1][0] == "王芳"
    assert seconds < 2 and peak < 16


@pytest.mark.django_db
def test_the_huge_row_workbook_is_checked_in_a_moment(owner, django_capture_on_commit_callbacks):
    """Through the service: the check finishes (one row, valid) instead of spinning, and the
    progress estimate stays within the row limit although the sheet declares 50 million."""
    with django_capture_on_commit_callbacks(execute=False):
        job = import_job_create(owner=owner, upload=upload(lone_row_workbook(50_000_000)))
    outcome, seconds, peak = measured(lambda: import_job_validate(job_id=job.pk))
    print(f"\nrow 50,000,000 through the check: {seconds:.3f} s, peak traced {peak:.1f} MB")
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.valid_rows) == (Status.VALIDATED, 1, 1), job.message
    assert seconds < 5 and peak < 32


def test_empty_rows_count_against_the_rows_read():
    """Formatted empty rows are real <row> elements: past twice the row limit, refused."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append(table([policy_row()])[1])
    for row in range(3, 400):
        sheet.cell(row=row, column=1).number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    with (
        override_settings(IMPORT_MAX_ROWS=100),
        pytest.raises(ImportFileError, match="more than 210 rows, empty rows included"),
    ):
        read_all(out.getvalue())
    assert len(read_all(out.getvalue())) == 398  # within the default bound: read through


def test_a_row_wider_than_the_cell_bound_is_refused():
    header, values = table([policy_row()])
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    sheet.append(values)
    for column in range(20, 3000):
        sheet.cell(row=3, column=column, value=1)
    out = io.BytesIO()
    workbook.save(out)
    with override_settings(IMPORT_MAX_CELLS=2000):
        outcome, seconds, peak = measured(lambda: read_all(out.getvalue()))
    assert isinstance(outcome, ImportFileError)
    assert "more than 2000 cells" in str(outcome)


def test_the_time_budget_refuses_a_slow_file():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for _ in range(600):
        sheet.append(table([policy_row()])[1])
    out = io.BytesIO()
    workbook.save(out)
    with (
        override_settings(IMPORT_MAX_SECONDS=-1),
        pytest.raises(ImportFileError, match="took longer than 1 minutes"),
    ):
        read_all(out.getvalue())


def test_the_same_for_csv_rows():
    lines = ",".join(HEADERS) + "\n" + "\n" * 500
    with (
        override_settings(IMPORT_MAX_ROWS=100),
        pytest.raises(ImportFileError, match="empty rows included"),
        open_sheet(io.BytesIO(lines.encode()), kind="csv") as sheet,
    ):
        list(sheet.rows)


def test_entity_declarations_are_refused():
    """defusedxml under openpyxl: a billion-laughs sheet never expands."""
    content = xlsx_bytes(table([policy_row()]))
    out = io.BytesIO()
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = laughs.encode()
            target.writestr(member, data)
    with pytest.raises(ImportFileError):
        read_all(out.getvalue())


def test_imports_run_on_their_own_queue():
    routes = settings.CELERY_TASK_ROUTES
    assert routes["policies.tasks.import_validate"] == {"queue": "imports"}
    assert routes["policies.tasks.import_run"] == {"queue": "imports"}
    assert "--queues=celery,imports" in (settings.BASE_DIR / "bin" / "dev-run").read_text()
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert "-Q imports" in readme


# -- concurrent confirms (real PostgreSQL) -------------------------------------------------


ROWS = 40


def book() -> bytes:
    return xlsx_bytes(
        table(
            [
                policy_row(name=f"客户{i}", mobile=f"1380013{i:04d}", number=f"P{i:05d}")
                for i in range(ROWS)
            ]
        )
    )


def checked_job(owner) -> ImportJob:
    job = import_job_create(owner=owner, upload=upload(book()))
    import_job_validate(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Status.VALIDATED and job.valid_rows == ROWS
    return job


def at_once(*actions) -> list:
    """Run the actions in threads released together; their results or exceptions."""
    start = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        try:
            start.wait()
            results[index] = action()
        except Exception as exc:  # noqa: BLE001 - asserted by the caller
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def slow_writes(monkeypatch):
    """Each batch's write takes a moment, so two imports overlap if nothing holds them apart."""
    real = importing_services._write

    def slow(**kwargs):
        time.sleep(0.4)
        return real(**kwargs)

    monkeypatch.setattr(importing_services, "_write", slow)


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_one_job_confirmed_twice_at_once_imports_once(owner, slow_writes):
    job = checked_job(owner)
    results = at_once(
        lambda: import_job_confirm(job=job, only_valid=False),
        lambda: import_job_confirm(job=job, only_valid=False),
    )
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1, results
    assert Client.objects.filter(owner=owner).count() == ROWS
    assert Policy.objects.filter(owner=owner).count() == ROWS
    job.refresh_from_db()
    assert job.status == Status.DONE


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("only_valid", [False, True])
def test_the_same_file_uploaded_twice_and_confirmed_at_once_imports_once(
    owner, slow_writes, only_valid
):
    """Both checks ran before either import, so both jobs say every row is new; the second
    import waits for the first and its own check then finds every row a duplicate."""
    first, second = checked_job(owner), checked_job(owner)
    results = at_once(
        lambda: import_job_confirm(job=first, only_valid=only_valid),
        lambda: import_job_confirm(job=second, only_valid=only_valid),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Client.objects.filter(owner=owner).count() == ROWS
    assert Policy.objects.filter(owner=owner).count() == ROWS
    jobs = sorted(ImportJob.objects.filter(owner=owner), key=lambda j: j.imported_rows)
    assert [j.imported_rows for j in jobs] == [0, ROWS]
    if not only_valid:
        assert jobs[0].status == Status.FAILED and str(ROWS) in jobs[0].message
