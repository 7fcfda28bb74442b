"""Spreadsheets for the import tests, built in memory."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

HEADERS = [
    "客户姓名", "性别", "手机", "出生日期", "保险公司", "保单号", "产品名称", "险种",
    "保额", "保费", "缴费频率", "缴费年期", "生效日期", "保单状态",
]  # fmt: skip


def policy_row(name="王芳", mobile="13800138000", number="P0001", **overrides) -> dict:
    row = {
        "客户姓名": name,
        "性别": "女",
        "手机": mobile,
        "出生日期": "1985-06-15",
        "保险公司": "中国平安人寿",
        "保单号": number,
        "产品名称": "平安福终身寿险",
        "险种": "寿险",
        "保额": "500000",
        "保费": "12000",
        "缴费频率": "年交",
        "缴费年期": "20",
        "生效日期": "2024-03-15",
        "保单状态": "有效",
    }
    row.update(overrides)
    return row


def table(rows: list[dict], headers: list[str] | None = None) -> list[list]:
    headers = headers or HEADERS
    return [headers, *[[row.get(h, "") for h in headers] for row in rows]]


def xlsx_bytes(cells: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in cells:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(cells: list[list], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(cells)
    return out.getvalue().encode(encoding)


def upload(content: bytes, name: str = "book.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def read_xlsx(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]
