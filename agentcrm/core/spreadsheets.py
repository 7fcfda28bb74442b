"""The one writer of spreadsheet downloads: every .xlsx and .csv export of the project goes
through `write_xlsx` or `write_csv` (clients and policies in `spreadsheets.workbook`, the team
referral statistics in referrals).

The base imports no domain app, so callers pass a header and rows of plain cell values.

- .xlsx: openpyxl's write-only mode serialises each row as it is added, so memory stays flat
  however long the export. The header is bold (and filled when asked), dates are date cells
  shown as yyyy-mm-dd, other values are written as they are; an optional footer row (a
  total) is bold.
- .csv: a byte-order mark first, so Excel reads the file as UTF-8 (Chinese names intact);
  None is an empty cell.

Text an agent typed is never a live formula in a download (CSV/formula injection): a string
that starts with `=`, `+`, `-`, `@`, a tab, CR or LF would be taken by Excel, WPS or
LibreOffice as a formula (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`). In .xlsx such a cell
is written as a text cell with Excel's "quote prefix" (shown and re-imported exactly as
typed, and it stays text when edited); in .csv, which has no cell types, it gets a leading
apostrophe, the mark spreadsheet programs read as "this is text". Header and footer cells
go through the same rule.
"""

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
DATE_FORMAT = "yyyy-mm-dd"
SHEET_TITLE_MAX = 31  # Excel's limit
BOLD = Font(bold=True)
# First characters that make a spreadsheet program read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def is_formula_like(value: Any) -> bool:
    """Whether `value` is text a spreadsheet program would evaluate as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    """A cell that holds `value` as text whatever it starts with."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl makes "=..." a formula cell; this keeps it a string
    cell.quotePrefix = True
    return cell


def _bold_row(sheet, values: Iterable[Any], fill: PatternFill | None = None) -> list:
    cells = []
    for value in values:
        cell = _text_cell(sheet, value) if is_formula_like(value) else WriteOnlyCell(sheet, value)
        cell.font = BOLD
        if fill is not None:
            cell.fill = fill
        cells.append(cell)
    return cells


def _cell(sheet, value: Any) -> Any:
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if is_formula_like(value):
        return _text_cell(sheet, value)
    return value


def write_xlsx(
    stream: IO[bytes],
    *,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    footer: Sequence[Any] | None = None,
    widths: Sequence[int] = (),
    header_fill: str | None = None,
) -> None:
    """One sheet named `title`: the header, the rows, then the footer if given. `widths`
    sets the first columns' widths; `header_fill` is the header's background (RGB hex)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:SHEET_TITLE_MAX])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    fill = PatternFill("solid", fgColor=header_fill) if header_fill else None
    sheet.append(_bold_row(sheet, header, fill))
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    if footer is not None:
        sheet.append(_bold_row(sheet, footer))
    workbook.save(stream)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if is_formula_like(value):
        return "'" + value
    return value


def write_csv(stream: IO[str], *, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """The header and the rows as CSV text, after a byte-order mark."""
    stream.write("\ufeff")
    writer = csv.writer(stream)
    writer.writerow([_csv_value(value) for value in header])
    writer.writerows([_csv_value(value) for value in row] for row in rows)
