"""Spreadsheets as a real office suite writes them (issue 12 §2): files converted by
LibreOffice Calc 7 (headless) from the workbooks the other import tests make with openpyxl,
kept as small fixtures in tests/fixtures/office/, so no office suite is needed to run these.
Each is imported and compared field by field with what its source gives.

How they were made (LibreOffice's own GBK is its text encoding 85, MS-936):
- `agents_own_book.ods-roundtrip.xlsx`, `office_saved_book.ods-roundtrip.xlsx`: the
  workbooks of `agents_own_book` and `office_saved_book` (test_import_agents_books.py)
  saved as .ods, then the .ods saved as .xlsx (`soffice --convert-to ods`, then
  `--convert-to "xlsx:Calc MS Excel 2007 XML"`): title row, merged cells, a hidden column,
  Chinese date formats, thousands formats and a formula as Calc writes them back.
- `gbk_csv.converted.xlsx`: a GBK CSV (the one of `test_a_gbk_csv_saved_by_excel…` without
  its title row) opened by Calc (`--infilter="CSV:44,34,85,1"`) and saved as .xlsx: Calc
  made the mobile and "6,000" numbers and left "1990/2/3" as text.
- `office_saved_book.libreoffice-gbk.csv`: the round-tripped office workbook saved by Calc
  as CSV in GBK (`--convert-to "csv:Text - txt - csv (StarCalc):44,34,85"`): dates as
  their formats show them (1985年6月15日, 2015/3/30), amounts with thousands separators
  ("12,000.00"), the formula's value.
- `agents_own_book.xls`: the same agents' book as Excel 97–2003 (BIFF8), written by xlwt
  (`make_xls.py` beside it says how): what WPS and old Excel keep.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from clients.models import Client
from policies.models import Policy
from spreadsheets.models import ImportJob
from spreadsheets.services import import_job_confirm, import_job_create

from .import_factories import upload
from .test_import_agents_books import WANG_ID

FIXTURES = Path(__file__).parent / "fixtures" / "office"
Status = ImportJob.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def run(owner, django_capture_on_commit_callbacks):
    def go(name: str, data: bytes | None = None):
        data = (FIXTURES / name).read_bytes() if data is None else data
        with django_capture_on_commit_callbacks(execute=True):
            job = import_job_create(owner=owner, upload=upload(data, name))
        job.refresh_from_db()
        assert job.status == Status.VALIDATED, (
            job.message,
            list(job.row_errors.values_list("row", "column", "message")),
        )
        with django_capture_on_commit_callbacks(execute=True):
            import_job_confirm(job=job, only_valid=False)
        job.refresh_from_db()
        assert job.status == Status.DONE, job.message
        return job

    return go


def policies_of(owner) -> dict:
    return {
        p.number: (
            p.holder.name,
            p.insurer.name,
            p.product_name,
            p.policy_type,
            p.sum_assured,
            p.premium,
            p.payment_term_years,
            p.effective_date,
        )
        for p in Policy.objects.filter(owner=owner).select_related("holder", "insurer")
    }


@pytest.mark.parametrize(
    "name",
    [
        "agents_own_book.ods-roundtrip.xlsx",  # Calc keeps the column hidden
        "agents_own_book.xls",  # Excel 97–2003: numbers as floats, a date cell
    ],
)
def test_an_agents_own_book_through_ods_and_back_and_as_xls(run, owner, name):
    job = run(name)
    assert (job.clients_created, job.policies_created) == (2, 3)
    assert job.hidden_columns == ["身份证号"]
    wang = Client.objects.get(owner=owner, name="王芳")
    assert (str(wang.mobile), wang.gender, wang.birth_date, wang.id_number) == (
        "+8613800138000",
        "female",
        datetime.date(1985, 6, 15),
        WANG_ID,
    )
    li = Client.objects.get(owner=owner, name="李雷")
    assert (str(li.mobile), li.phone_other, li.gender, li.birth_date, li.id_number) == (
        "+8613900139000",
        "",
        "male",
        datetime.date(1995, 12, 5),
        "",
    )
    assert policies_of(owner) == {
        "P0001": ("王芳", "中国平安人寿", "平安福终身寿险", Policy.Type.LIFE, Decimal("500000"),
                  Decimal("12000"), 20, datetime.date(2015, 3, 30)),
        "P0002": ("王芳", "中国平安人寿", "康健重疾险", Policy.Type.CRITICAL_ILLNESS,
                  Decimal("300000"), Decimal("8000"), 30, datetime.date(2018, 6, 1)),
        "X-778": ("李雷", "新华保险", "两全险", Policy.Type.ENDOWMENT, Decimal("100000"),
                  Decimal("5000"), 10, datetime.date(2020, 1, 2)),
    }  # fmt: skip


OFFICE_BOOK = {
    "P0001": ("王芳", "中国平安人寿", "平安福", Policy.Type.CRITICAL_ILLNESS, Decimal("500000"),
              Decimal("12000"), 20, datetime.date(2015, 3, 30)),
    "778": ("李雷", "新华保险", "健康无忧", Policy.Type.CRITICAL_ILLNESS, Decimal("300000"),
            Decimal("5000"), 10, datetime.date(2020, 1, 2)),
}  # fmt: skip


def assert_office_book_clients(owner) -> None:
    wang = Client.objects.get(owner=owner, name="王芳")
    assert (str(wang.mobile), wang.gender, wang.birth_date, wang.id_number) == (
        "+8613800138000",
        "female",
        datetime.date(1985, 6, 15),
        WANG_ID,
    )
    li = Client.objects.get(owner=owner, name="李雷")
    assert (str(li.mobile), li.gender, li.birth_date, li.id_number) == (
        "+8613900139000",
        "male",
        datetime.date(1995, 12, 5),
        "",
    )


def test_an_office_workbook_through_ods_and_back(run, owner):
    job = run("office_saved_book.ods-roundtrip.xlsx")
    assert (job.clients_created, job.policies_created) == (2, 2)
    assert "合计" in job.ignored_columns  # the formula column
    assert_office_book_clients(owner)
    assert policies_of(owner) == OFFICE_BOOK


def test_a_gbk_csv_that_calc_saved(run, owner):
    job = run("office_saved_book.libreoffice-gbk.csv")
    assert job.encoding == "GB18030 / GBK"
    assert (job.clients_created, job.policies_created) == (2, 2)
    assert_office_book_clients(owner)
    assert policies_of(owner) == OFFICE_BOOK  # "12,000.00" is 12000, 1985年6月15日 a date


def test_a_gbk_csv_that_calc_opened_and_saved_as_xlsx(run, owner):
    job = run("gbk_csv.converted.xlsx")
    assert (job.clients_created, job.policies_created) == (2, 2)
    zhao = Client.objects.get(owner=owner, name="赵敏")
    assert (str(zhao.mobile), zhao.gender, zhao.birth_date) == (
        "+8613700137000",  # a number cell now
        "female",
        datetime.date(1990, 2, 3),  # still the text "1990/2/3"
    )
    sun = Client.objects.get(owner=owner, name="孙俪")
    assert (str(sun.mobile), sun.birth_date) == ("+8613700137001", datetime.date(1988, 11, 30))
    assert policies_of(owner) == {
        "C-1": ("赵敏", "太平洋人寿", "金佑人生终身寿险", Policy.Type.LIFE, Decimal("300000"),
                Decimal("6000"), 20, datetime.date(2019, 5, 6)),
        "C-2": ("孙俪", "中国人寿", "国寿福", Policy.Type.LIFE, Decimal("500000"),
                Decimal("8000"), 10, datetime.date(2021, 10, 1)),
    }  # fmt: skip


def test_an_xls_book_is_checked_like_an_xlsx_one(owner, django_capture_on_commit_callbacks):
    """The preview of an .xls: the title row skipped, the merged client rows filled in, the
    hidden column reported, the kind kept."""
    name = "agents_own_book.xls"
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(owner=owner, upload=upload((FIXTURES / name).read_bytes(), name))
    job.refresh_from_db()
    assert (job.kind, job.status) == ("xls", Status.VALIDATED)
    assert (job.total_rows, job.valid_rows, job.error_rows) == (3, 3, 0)
    assert job.hidden_columns == ["身份证号"]
    assert not Client.objects.filter(owner=owner).exists()  # nothing before the go-ahead


@pytest.mark.parametrize(
    ("content", "words"),
    [
        # Back offices that "export to Excel" often write an HTML table named .xls.
        (b"<html><body><table><tr><td>\xe5\xa7\x93\xe5\x90\x8d</td></tr></table></body></html>",
         "不是 Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "另存为"),
    ],
)  # fmt: skip
def test_what_is_not_an_xls_workbook_is_refused_with_how_to_save_it(
    owner, django_capture_on_commit_callbacks, content, words
):
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(owner=owner, upload=upload(content, "老客户.xls"))
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert ".xlsx" in job.message and words in job.message
    assert not Client.objects.filter(owner=owner).exists()


def test_an_xlsx_workbook_named_xls_is_read_as_what_it_is(run, owner):
    data = (FIXTURES / "agents_own_book.ods-roundtrip.xlsx").read_bytes()
    job = run("agents_own_book.xls", data)
    assert (job.kind, job.policies_created) == ("xlsx", 3)
