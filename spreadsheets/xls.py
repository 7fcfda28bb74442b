"""Excel 97–2003 (.xls) workbooks, read with xlrd (the Python Excel group's reader; its
2.x line reads .xls only). Agents still keep books in .xls: WPS and old Excel save them,
and so do the downloads of many insurers' back offices.

xlrd parses a whole sheet when it is opened (BIFF has no streaming reader), so a sheet is
bounded by the format itself (65,536 rows × 256 columns) and the upload limit; the rows are
then handed out one at a time like the other readers' and counted against the same budget.
`formatting_info=True` is what makes xlrd read merged ranges and hidden columns.

Values come out as openpyxl gives them for an .xlsx, so the row parsing is the same for
both: numbers that are whole are ints (a mobile typed as a number is 13800138000, not
13800138000.0), date cells are datetimes, booleans bools, error cells empty.
"""

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import xlrd
from xlrd.xldate import XLDateError

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"


class XlsUnreadable(Exception):
    """xlrd could not open the file; `reason` says which message the agent gets."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "encrypted", "not_excel" or "corrupt"


@dataclass
class XlsSheet:
    rows: int
    merged: list[tuple[int, int, int, int]]  # (min_col, min_row, max_col, max_row), 1-based
    hidden: set[int] = field(default_factory=set)  # 0-based cell indexes


def open_book(data: bytes):
    """The workbook, or XlsUnreadable. Sheets are parsed one at a time (on_demand)."""
    try:
        return xlrd.open_workbook(
            file_contents=data,
            formatting_info=True,
            on_demand=True,
            logfile=io.StringIO(),  # xlrd writes its warnings to stdout otherwise
        )
    except Exception as exc:  # noqa: BLE001 - a crafted file can make xlrd raise anything
        text = str(exc).lower()
        if "encrypt" in text or "password" in text:
            raise XlsUnreadable("encrypted") from exc
        if not data.startswith(OLE_SIGNATURE) or "expected bof record" in text:
            raise XlsUnreadable("not_excel") from exc
        raise XlsUnreadable("corrupt") from exc


def sheet_shape(sheet) -> XlsSheet:
    return XlsSheet(
        rows=sheet.nrows,
        merged=[(clo + 1, rlo + 1, chi, rhi) for rlo, rhi, clo, chi in sheet.merged_cells],
        hidden={index for index, info in sheet.colinfo_map.items() if info.hidden},
    )


def _value(kind: int, value, datemode: int):
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if kind == xlrd.XL_CELL_NUMBER:
        return int(value) if value.is_integer() else value
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(value, datemode)
        except (XLDateError, ValueError, OverflowError):
            return value  # a number formatted as a date but out of range: the row says so
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    return value


def sheet_rows(sheet, datemode: int, max_columns: int) -> Iterator[tuple[int, list]]:
    """(row number, values) for every row of the sheet, 1-based like the other readers."""
    for index in range(sheet.nrows):
        kinds = sheet.row_types(index, end_colx=max_columns)
        values = sheet.row_values(index, end_colx=max_columns)
        cells = [_value(k, v, datemode) for k, v in zip(kinds, values, strict=True)]
        while cells and cells[-1] in (None, ""):
            cells.pop()
        yield index + 1, cells
