"""The spreadsheets agents really bring (issue 12 §2), made here with openpyxl as agents make
them: a title row, merged cells, hidden columns, their own headers, full-width digits and
dashes, spaced dates, GBK CSV. Each is imported and compared field by field. Also: resident
ID numbers, the duplicate-policy message, .xls files, and `manage.py import_book`.

Files converted by a real office suite (LibreOffice Calc) are in test_import_office_files.py.
"""

import datetime
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from agentcrm.core.masking import mask_id
from clients.id_numbers import (
    IdNumberError,
    id_number_check_char,
    id_number_parse,
)
from clients.models import Client
from policies.models import Policy
from spreadsheets.models import ImportJob
from spreadsheets.services import import_job_confirm, import_job_create

from .factories import ClientFactory, UserFactory
from .import_factories import csv_bytes, upload
from .policy_factories import InsurerFactory, PolicyFactory

Status = ImportJob.Status
pytestmark = pytest.mark.django_db


def resident_id(born: datetime.date, *, male: bool, area: str = "110105", seq: str = "01") -> str:
    first17 = f"{area}{born:%Y%m%d}{seq}{1 if male else 2}"
    return first17 + id_number_check_char(first17)


WANG_ID = resident_id(datetime.date(1985, 6, 15), male=False)


def workbook_bytes(build) -> bytes:
    workbook = Workbook()
    build(workbook.active)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def run(owner, django_capture_on_commit_callbacks):
    """Upload, check and (unless told not to) import a file through the services."""

    def go(content: bytes, name: str = "客户名单.xlsx", *, confirm: bool = True, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            job = import_job_create(owner=kw.get("as_owner", owner), upload=upload(content, name))
        job.refresh_from_db()
        if confirm and job.status == Status.VALIDATED:
            with django_capture_on_commit_callbacks(execute=True):
                import_job_confirm(job=job, only_valid=kw.get("only_valid", False))
            job.refresh_from_db()
        return job

    return go


def agents_own_book(sheet) -> None:
    """A book kept the agent's way: a title over the header, the client's cells merged over
    their two policy rows, the ID column hidden, a single 电话 column, 险种 holding the
    product, dates typed in Chinese input mode."""
    sheet.append(["2024年我的客户（张经理）"])
    sheet.merge_cells("A1:L1")
    sheet.append(
        [
            "姓名", "性别", "电话", "身份证号", "出生日期", "保险公司", "保单号", "险种",
            "基本保额", "年缴保费", "交费年限", "生效日期",
        ]
    )  # fmt: skip
    sheet.append(
        ["王芳", "女", "13800138000", WANG_ID, None, "中国平安人寿", "P0001", "平安福终身寿险",
         "50万", 12000, "20年", "2015 年 3 月 30 日"]
    )  # fmt: skip
    sheet.append(
        [None, None, None, None, None, None, "P0002", "康健重疾险", 300000, "8,000", "交费年限",
         "２０１８－０６－０１"]
    )  # fmt: skip
    sheet["K4"] = "30"
    for column in "ABCDEF":  # the client and the insurer, merged over both rows
        sheet.merge_cells(f"{column}3:{column}4")
    sheet.append(
        ["李雷", "男", "１３９－００１３－９０００", None, "１９９５－１２－０５", "新华保险",
         "X-778", "两全险", 100000, 5000, 10, datetime.date(2020, 1, 2)]
    )  # fmt: skip
    sheet.column_dimensions["D"].hidden = True


def test_an_agents_own_workbook_imports_field_by_field(run, owner):
    job = run(workbook_bytes(agents_own_book), confirm=False)
    assert job.status == Status.VALIDATED, list(job.row_errors.values_list("row", "message"))
    assert (job.total_rows, job.valid_rows, job.error_rows) == (3, 3, 0)
    assert job.hidden_columns == ["身份证号"]  # reported, not silently imported
    job = run(workbook_bytes(agents_own_book))
    assert (job.status, job.clients_created, job.policies_created) == (Status.DONE, 2, 3)

    wang = Client.objects.get(owner=owner, name="王芳")
    assert (str(wang.mobile), wang.gender, wang.birth_date, wang.id_number) == (
        "+8613800138000",
        "female",
        datetime.date(1985, 6, 15),  # from the ID number
        WANG_ID,
    )
    li = Client.objects.get(owner=owner, name="李雷")
    assert (str(li.mobile), li.phone_other, li.gender, li.birth_date, li.id_number) == (
        "+8613900139000",  # the lone 电话 column, full-width digits and dashes
        "",
        "male",
        datetime.date(1995, 12, 5),
        "",
    )
    policies = {
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
    assert policies == {
        "P0001": (
            "王芳",
            "中国平安人寿",
            "平安福终身寿险",
            Policy.Type.LIFE,
            Decimal("500000"),
            Decimal("12000"),
            20,
            datetime.date(2015, 3, 30),
        ),
        "P0002": (
            "王芳",
            "中国平安人寿",  # the merged insurer applies to the second row
            "康健重疾险",
            Policy.Type.CRITICAL_ILLNESS,
            Decimal("300000"),
            Decimal("8000"),
            30,
            datetime.date(2018, 6, 1),
        ),
        "X-778": (
            "李雷",
            "新华保险",
            "两全险",
            Policy.Type.ENDOWMENT,
            Decimal("100000"),
            Decimal("5000"),
            10,
            datetime.date(2020, 1, 2),
        ),
    }


def test_the_preview_shows_hidden_columns_and_never_a_full_id_number(run, owner, as_user):
    def book(sheet):
        agents_own_book(sheet)
        sheet["E3"] = "1986-06-15"  # disagrees with the ID number

    job = run(workbook_bytes(book), confirm=False)
    errors = list(job.row_errors.values_list("row", "column", "message"))
    message = "身份证号显示出生日期为1985-06-15，与所填1986-06-15不符：请改正其中一个。"
    # The birth date cell is merged over both rows of the client: both are flagged.
    assert errors == [(3, "出生日期", message), (4, "出生日期", message)]
    page = as_user(owner).get(reverse("imports:detail", kwargs={"pk": job.pk})).content.decode()
    assert "身份证号" in page and 'id="import-hidden-columns"' in page
    assert WANG_ID not in page


def test_a_gbk_csv_with_agents_headers(run, owner):
    cells = [
        ["客户姓名", "手机号", "证件号码", "保险公司", "保单号", "产品名称", "险种", "保额",
         "首年保费", "缴费年期", "生效日期"],
        ["赵敏", "13700137000", resident_id(datetime.date(1990, 2, 3), male=False), "太平洋人寿",
         "C-1", "金佑人生", "重疾险", "30万", "6000", "20", "2019/5/6"],
    ]  # fmt: skip
    job = run(csv_bytes(cells, "gbk"), "客户.csv")
    assert job.status == Status.DONE, job.message
    assert job.encoding == "GB18030 / GBK"
    zhao = Client.objects.get(owner=owner)
    assert (zhao.name, zhao.gender, zhao.birth_date) == (
        "赵敏",
        "female",
        datetime.date(1990, 2, 3),
    )
    policy = Policy.objects.get(owner=owner)
    assert (policy.product_name, policy.policy_type, policy.premium, policy.sum_assured) == (
        "金佑人生",
        Policy.Type.CRITICAL_ILLNESS,
        Decimal("6000"),
        Decimal("300000"),
    )


def test_every_refusal_names_row_column_and_what_to_write(run, owner):
    cells = [
        ["姓名", "手机", "身份证号", "出生日期"],
        ["甲", "13800138001", "110105198506150000", ""],  # checksum wrong
        ["乙", "13800138002", "", "2015年13月30日"],
    ]
    job = run(csv_bytes(cells), "a.csv", confirm=False)
    errors = {(e.row, e.column): (e.value, e.message) for e in job.row_errors.all()}
    assert set(errors) == {(2, "身份证号"), (3, "出生日期")}
    value, message = errors[(2, "身份证号")]
    assert value == "110***********0000"  # masked in the preview too
    assert "身份证" in message and "核对" in message
    assert Client.objects.filter(owner=owner).count() == 0


@pytest.mark.parametrize("batch_rows", [500, 1])
def test_one_id_number_for_two_clients_of_a_file_is_refused_at_the_check(
    run, owner, monkeypatch, batch_rows
):
    """The check and the import agree: before, the check let two clients with one ID number
    through, and the import, writing the first, found the second a duplicate of it when the
    rows fell in different batches ("rows no longer pass the check": nothing imported)."""
    monkeypatch.setattr("spreadsheets.services.BATCH_ROWS", batch_rows)
    same = resident_id(datetime.date(1960, 12, 5), male=True)
    cells = [
        ["姓名", "手机", "身份证号"],
        ["张三", "13800138001", same],
        ["李四", "13800138002", same],
        ["张三", "13800138001", same],  # the same client again: one client
    ]
    job = run(csv_bytes(cells), "a.csv", confirm=False)
    assert job.status == Status.VALIDATED
    errors = {(e.row, e.column): (e.kind, e.message) for e in job.row_errors.all()}
    assert list(errors) == [(3, "身份证号")]
    kind, message = errors[(3, "身份证号")]
    assert kind == "error" and "第 2 行" in message and "张三" in message
    with pytest.raises(ValidationError):
        import_job_confirm(job=job, only_valid=False)  # all or nothing: refused
    job = run(csv_bytes(cells), "b.csv", only_valid=True)
    assert job.status == Status.DONE, job.message
    assert list(Client.objects.filter(owner=owner).values_list("name", flat=True)) == ["张三"]


def test_another_agents_policy_is_refused_without_saying_so(run, owner):
    theirs = PolicyFactory(
        holder=ClientFactory(owner=UserFactory(username="other-agent")),
        insurer=InsurerFactory(name="中国人寿"),
        number="L-1",
    )
    mine = PolicyFactory(holder=ClientFactory(owner=owner), insurer=theirs.insurer, number="L-2")
    cells = [
        ["客户姓名", "保险公司", "保单号", "产品名称", "险种", "保额", "保费", "缴费年期",
         "生效日期"],
        ["新客户", "中国人寿", "L-1", "国寿福", "寿险", "100000", "3000", "20", "2020-01-01"],
        ["又一位", "中国人寿", "L-2", "国寿福", "寿险", "100000", "3000", "20", "2020-01-01"],
    ]  # fmt: skip
    job = run(csv_bytes(cells), "a.csv", confirm=False)
    errors = {e.row: (e.kind, e.message) for e in job.row_errors.all()}
    kind, message = errors[2]
    assert kind == "error"  # not shown as a duplicate: that would say it exists
    for word in ("其他", "已有", "已存在", "别的", "other-agent"):
        assert word not in message
    assert errors[3][0] == "duplicate" and mine.number == "L-2"


# -- resident ID numbers ---------------------------------------------------------------------


def test_id_number_rules():
    parsed = id_number_parse("11010519491231002X")
    assert (parsed.birth_date, parsed.gender) == (datetime.date(1949, 12, 31), "female")
    assert id_number_parse(" 110105 1949１２３１ 002x ").number == "11010519491231002X"
    assert id_number_parse(resident_id(datetime.date(2001, 1, 9), male=True)).gender == "male"
    with pytest.raises(IdNumberError):
        id_number_parse("110105194912310021")  # checksum
    with pytest.raises(IdNumberError):
        id_number_parse("11010519491231002")  # 17 characters
    with pytest.raises(IdNumberError):
        id_number_parse("110105" + "19491331" + "0021")  # month 13 (whatever its checksum)
    assert mask_id("11010519491231002X") == "110***********002X"


def test_the_client_form_fills_in_and_masks_the_id_number(as_user, owner):
    http = as_user(owner)
    response = http.post(
        reverse("clients:create"),
        {
            "name": "孙丽",
            "gender": "unknown",
            "id_number": resident_id(datetime.date(1988, 8, 8), male=False),
            "birthday_calendar": "solar",
            "greeting_style": "formal",
            "vip_tier": "standard",
            "source": "other",
            "stage": "client",
            "family-TOTAL_FORMS": "0",
            "family-INITIAL_FORMS": "0",
            "dates-TOTAL_FORMS": "0",
            "dates-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client = Client.objects.get(owner=owner, name="孙丽")
    assert (client.birth_date, client.gender) == (datetime.date(1988, 8, 8), "female")
    for url in (
        reverse("clients:detail", args=[client.pk]),
        reverse("clients:edit", args=[client.pk]),
    ):
        page = http.get(url).content.decode()
        assert client.id_number not in page
        assert client.id_number_masked in page


# -- manage.py import_book -------------------------------------------------------------------


def test_import_book_command_exit_status(owner, tmp_path):
    good = tmp_path / "book.xlsx"
    good.write_bytes(workbook_bytes(agents_own_book))
    out = StringIO()
    call_command("import_book", owner.username, str(good), stdout=out)
    assert "2" in out.getvalue() and Client.objects.filter(owner=owner).count() == 2

    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_bytes([["姓名", "出生日期"], ["甲", "2015年13月30日"], ["乙", "1990-01-01"]])
    )
    err = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_book", owner.username, str(bad), stderr=err)
    assert refused.value.returncode == 1
    assert "出生日期" in err.getvalue() and "2" in err.getvalue()
    assert Client.objects.filter(owner=owner).count() == 2  # nothing written

    call_command("import_book", owner.username, str(bad), "--only-valid", stdout=out, stderr=err)
    assert Client.objects.filter(owner=owner, name="乙").exists()


# --- files as office programs save them ------------------------------------------------------


def test_a_gbk_csv_saved_by_excel_with_a_title_row(run, owner):
    """Excel's "CSV (逗号分隔)" in a Chinese Windows: GBK, CRLF line ends, the title row above
    the header padded with commas to the table's width, trailing empty lines padded too."""
    header = ["客户姓名", "性别", "手机号", "出生日期", "保险公司", "保单号", "险种", "保额",
              "年缴保费", "缴费年期", "生效日期"]  # fmt: skip
    rows = [
        ["2025年客户保单明细（王丽华）", *[""] * 10],
        header,
        ["赵敏", "女", "13700137000", "1990/2/3", "太平洋人寿", "C-1", "金佑人生终身寿险",
         "30万", "6,000", "20年", "2019年5月6日"],
        ["孙俪", "女", "13700137001", "1988-11-30", "中国人寿", "C-2", "国寿福", "500000",
         "8000", "10", "2021/10/1"],
        [""] * 11,
    ]  # fmt: skip
    content = "\r\n".join(",".join(cells) for cells in rows).replace("6,000", '"6,000"')
    job = run((content + "\r\n").encode("gbk"), "客户保单.csv")
    assert job.status == Status.DONE, job.message
    assert job.encoding == "GB18030 / GBK"
    assert (job.clients_created, job.policies_created) == (2, 2)
    zhao = Client.objects.get(owner=owner, name="赵敏")
    assert (str(zhao.mobile), zhao.birth_date) == ("+8613700137000", datetime.date(1990, 2, 3))
    policy = Policy.objects.get(holder=zhao)
    assert (policy.number, policy.premium, policy.sum_assured) == (
        "C-1",
        Decimal("6000"),
        Decimal("300000"),
    )
    assert (policy.payment_term_years, policy.effective_date) == (20, datetime.date(2019, 5, 6))
    sun = Policy.objects.get(holder__name="孙俪")
    assert (sun.effective_date, sun.payment_term_years) == (datetime.date(2021, 10, 1), 10)


def office_saved_book(workbook) -> None:
    """What Excel and LibreOffice put in a workbook that openpyxl's defaults do not: numbers
    typed into cells (a mobile as a number, an ID number kept as text with the quote
    prefix), real date cells with a Chinese date format, amounts with a thousands format,
    a sum formula in a column of its own, empty but formatted rows and columns after the
    table, a frozen header, and a second (empty) sheet."""
    from openpyxl.styles import Font

    sheet = workbook.active
    sheet.title = "客户"
    sheet.append(["客户保单明细"])
    sheet.append(["姓名", "性别", "手机", "身份证号", "出生日期", "保险公司", "保单号", "产品名称",
                  "险种", "保额", "保费", "缴费年期", "生效日期", "合计"])  # fmt: skip
    sheet.freeze_panes = "A3"
    sheet.append(["王芳", "女", 13800138000, WANG_ID, datetime.datetime(1985, 6, 15),
                  "中国平安人寿", "P0001", "平安福", "重疾险", 500000, 12000.0, 20,
                  datetime.datetime(2015, 3, 30), "=K3*L3"])  # fmt: skip
    sheet.append(["李雷", "男", 13900139000.0, None, datetime.datetime(1995, 12, 5),
                  "新华保险", 778, "健康无忧", "重疾险", 300000, 5000, 10,
                  datetime.datetime(2020, 1, 2), "=K4*L4"])  # fmt: skip
    sheet["D3"].quotePrefix = True
    for row in (3, 4):
        sheet[f"E{row}"].number_format = 'yyyy"年"m"月"d"日"'
        sheet[f"M{row}"].number_format = "yyyy/m/d"
        sheet[f"J{row}"].number_format = "#,##0"
        sheet[f"K{row}"].number_format = "#,##0.00"
    for row in range(5, 60):  # formatted, empty: office programs keep them in the file
        sheet.cell(row=row, column=1).font = Font(name="宋体")
        sheet.cell(row=row, column=20).number_format = "@"
    sheet.column_dimensions["T"].width = 12
    workbook.create_sheet("Sheet2")


def test_an_xlsx_as_office_programs_save_it(run, owner):
    job = run(workbook_bytes_of(office_saved_book), "客户保单.xlsx")
    assert job.status == Status.DONE, job.message
    assert "合计" in job.ignored_columns
    assert (job.imported_rows, job.clients_created, job.policies_created) == (2, 2, 2)
    wang = Client.objects.get(owner=owner, name="王芳")
    assert str(wang.mobile) == "+8613800138000" and wang.id_number == WANG_ID
    assert wang.birth_date == datetime.date(1985, 6, 15)
    li = Client.objects.get(owner=owner, name="李雷")
    assert (str(li.mobile), li.birth_date) == ("+8613900139000", datetime.date(1995, 12, 5))
    paf = Policy.objects.get(holder=wang)
    assert (paf.premium, paf.sum_assured, paf.payment_term_years) == (
        Decimal("12000"),
        Decimal("500000"),
        20,
    )
    assert paf.effective_date == datetime.date(2015, 3, 30)
    assert Policy.objects.get(holder=li).number == "778"  # a number cell, read as its digits


def workbook_bytes_of(build) -> bytes:
    workbook = Workbook()
    build(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
