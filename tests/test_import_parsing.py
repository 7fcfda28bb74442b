"""Reading spreadsheets: cell values as text, dates, amounts, Chinese choice words, headers
in Chinese or English, and the CSV encoding (UTF-8, UTF-8 with BOM, GBK)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import translation

from clients.models import Gender
from policies.models import Policy
from spreadsheets.columns import (
    BY_HEADER,
    FREQUENCIES,
    GENDERS,
    POLICY_TYPES,
    STATUSES,
    CellError,
    cell_text,
    coverage_text,
    header_key,
    parse_code,
    parse_coverage,
    parse_date,
    parse_money,
    parse_years,
)
from spreadsheets.reader import ImportFileError, detect_kind, open_sheet

from .import_factories import csv_bytes, xlsx_bytes


@pytest.fixture(autouse=True)
def english_messages():
    """The messages are asserted in English; the UI's default language is Chinese."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (13800138000, "13800138000"),
        (13800138000.0, "13800138000"),  # a phone Excel stored as a number
        (1.5, "1.5"),
        (1e16, "10000000000000000"),  # never scientific notation
        ("\u3000王芳\xa0", "王芳"),
        (datetime.datetime(2024, 3, 15, 0, 0), "2024-03-15"),
        (None, ""),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_codes_keep_their_digits():
    assert parse_code("00012345") == "00012345"  # text cell: leading zeros survive
    assert parse_code(13800138000) == "13800138000"
    assert parse_code(13800138000.0) == "13800138000"


@pytest.mark.parametrize("value", ["1.38001E+10", "1.38E10", 1.1e17, 123456789012345678])
def test_numbers_excel_already_damaged_are_refused(value):
    with pytest.raises(CellError):
        parse_code(value)


@pytest.mark.parametrize(
    "value",
    [
        "2024-03-15",
        "2024/3/15",
        "2024.03.15",
        "2024年3月15日",
        "20240315",
        20240315,
        "2024-03-15 00:00:00",
        datetime.datetime(2024, 3, 15),
        datetime.date(2024, 3, 15),
        45366,  # the Excel serial number of 2024-03-15, in a cell without a date format
    ],
)
def test_dates(value):
    assert parse_date(value) == datetime.date(2024, 3, 15)


@pytest.mark.parametrize("value", ["2024-02-30", "15/03/2024", "next week", "2024-13-01"])
def test_bad_dates(value):
    with pytest.raises(CellError):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("12,000.00", Decimal("12000.00")),
        ("¥1,000", Decimal("1000")),
        ("50万", Decimal("500000")),
        ("1.5万元", Decimal("15000.0")),
        (12000, Decimal("12000")),
        (99.9, Decimal("99.9")),
        ("", None),
    ],
)
def test_amounts(value, amount):
    assert parse_money(value) == amount


@pytest.mark.parametrize("value", ["-5", -1, "abc", "NaN"])
def test_bad_amounts(value):
    with pytest.raises(CellError):
        parse_money(value)


def test_years():
    assert parse_years("20年") == 20
    assert parse_years(20.0) == 20
    assert parse_years("趸交") == 1
    with pytest.raises(CellError):
        parse_years("二十")


@pytest.mark.parametrize(
    ("text", "coverage"),
    [
        ("终身", (Policy.Coverage.WHOLE_LIFE, None)),
        ("至70岁", (Policy.Coverage.TO_AGE, 70)),
        ("70周岁", (Policy.Coverage.TO_AGE, 70)),
        ("20年", (Policy.Coverage.YEARS, 20)),
        ("Whole life", (Policy.Coverage.WHOLE_LIFE, None)),
        ("", None),
    ],
)
def test_coverage(text, coverage):
    assert parse_coverage(text) == coverage
    if coverage:
        assert parse_coverage(coverage_text(*coverage)) == coverage  # exports read back


def test_bad_coverage():
    with pytest.raises(CellError):
        parse_coverage("很久")


def test_choice_words_labels_and_values_are_accepted():
    assert GENDERS.parse("男") == Gender.MALE
    assert GENDERS.parse("Female") == Gender.FEMALE
    assert FREQUENCIES.parse("年缴") == Policy.Frequency.ANNUAL
    assert FREQUENCIES.parse("月交") == Policy.Frequency.MONTHLY
    assert FREQUENCIES.parse("semi_annual") == Policy.Frequency.SEMI_ANNUAL
    assert POLICY_TYPES.parse("重大疾病保险") == Policy.Type.CRITICAL_ILLNESS
    assert POLICY_TYPES.parse("Critical illness") == Policy.Type.CRITICAL_ILLNESS
    assert STATUSES.parse("In force") == STATUSES.parse("有效") == Policy.Status.IN_FORCE


def test_unknown_choice_lists_the_words():
    with pytest.raises(CellError) as exc:
        FREQUENCIES.parse("每两年")
    assert "年交" in str(exc.value) and "趸交" in str(exc.value)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("客户姓名", "name"),
        ("客户姓名*", "name"),
        ("保费（元）", "premium"),
        ("保费(元)", "premium"),
        ("Mobile Phone", "mobile"),
        ("手机号码", "mobile"),
        ("POLICY NUMBER", "number"),
        ("缴费方式", "payment_frequency"),
    ],
)
def test_headers_in_chinese_and_english(header, key):
    assert BY_HEADER[header_key(header)].key == key


def _rows(content: bytes, kind: str):
    with open_sheet(io.BytesIO(content), kind=kind) as sheet:
        return sheet, list(sheet.rows)


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 (BOM)"), ("gbk", "GB18030 / GBK")],
)
def test_csv_encoding_is_detected(encoding, label):
    cells = [["客户姓名", "手机", "职业"]] + [
        [f"王芳{i}", f"1380013800{i}", "中学教师，喜欢书法"] for i in range(5)
    ]
    sheet, rows = _rows(csv_bytes(cells, encoding), "csv")
    assert sheet.encoding == label
    assert [cells[1] for _, cells in rows] == [f"1380013800{i}" for i in range(5)]
    assert rows[0][1][0] == "王芳0" and rows[0][1][2] == "中学教师，喜欢书法"


def test_csv_in_neither_encoding_is_refused():
    content = "客户姓名,手机\n王芳,13800138000\n".encode() + b"\xa1\xff\x80\n"
    with pytest.raises(ImportFileError, match="could not be read"):
        _rows(content, "csv")


def test_utf16_csv_with_bom():
    content = "客户姓名\t手机\n王芳\t13800138000\n".encode("utf-16")
    sheet, rows = _rows(content, "csv")
    assert rows == [(2, ["王芳", "13800138000"])]


def test_title_lines_above_the_header_are_skipped():
    cells = [["2024年客户清单"], [], ["姓名", "手机号", "备注"], ["王芳", "13800138000", "老客户"]]
    sheet, rows = _rows(xlsx_bytes(cells), "xlsx")
    assert sheet.header_row == 3
    assert sheet.headers == {"name": "姓名", "mobile": "手机号", "client_notes": "备注"}
    assert rows == [(4, ["王芳", "13800138000", "老客户"])]


def test_unknown_columns_are_listed_as_ignored():
    sheet, _ = _rows(csv_bytes([["客户姓名", "手机", "籍贯", "爱好"]]), "csv")
    assert sheet.ignored == ["籍贯", "爱好"]


@pytest.mark.parametrize(
    "header",
    [
        ["手机", "保单号", "保险公司"],  # no name column
        ["foo", "bar"],  # no header at all
        ["客户姓名", "姓名", "手机"],  # the name twice
    ],
)
def test_files_without_a_usable_header_are_refused(header):
    with pytest.raises(ImportFileError):
        _rows(csv_bytes([header, ["王芳", "1", "2"]]), "csv")


def test_kind_is_checked_by_name_and_content():
    assert detect_kind("book.XLSX", b"PK\x03\x04") == "xlsx"
    assert detect_kind("book.csv", "客户".encode()) == "csv"
    assert detect_kind("老客户.xls", b"\xd0\xcf\x11\xe0") == "xls"
    assert detect_kind("export.XLS", b"<html>") == "xls"  # refused when read, saying why
    assert detect_kind("named-wrong.xls", b"PK\x03\x04") == "xlsx"
    assert detect_kind("no-extension", b"\xd0\xcf\x11\xe0") == "xls"
    for name, head in [
        ("book.xlsx", b"not a zip"),
        ("book.pdf", b"%PDF"),
        ("book.csv", b"\x00\x01\x02"),
    ]:
        with pytest.raises(ImportFileError):
            detect_kind(name, head)


def test_field_checks_once_per_value_give_full_cleans_messages():
    """clean_fields_memo (the import's model field validation, each distinct value checked
    once per file) raises what Policy.full_clean would, on the first row with a value and
    on the rows after it, answered from the memo."""
    from django.core.exceptions import ValidationError

    from spreadsheets.rows import POLICY_SET_BY_IMPORT, clean_fields_memo

    def policy():
        return Policy(
            number="N" * 300,
            product_name="康健重疾险",
            policy_type="not-a-type",
            currency="XXX",
            payment_frequency="annual",
            payment_term_years=20,
            coverage_kind="whole_life",
            status="in_force",
            effective_date=datetime.date(2020, 1, 1),
        )

    with pytest.raises(ValidationError) as full:
        policy().full_clean(exclude=POLICY_SET_BY_IMPORT, validate_constraints=False)
    memo: dict = {}
    for _row in range(2):
        errors = clean_fields_memo(policy(), exclude=POLICY_SET_BY_IMPORT, memo=memo)
        assert ValidationError(errors).message_dict == full.value.message_dict
    assert {"number", "policy_type", "currency"} <= set(full.value.message_dict)
