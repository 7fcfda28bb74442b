"""Open an uploaded spreadsheet as a stream of rows.

.xlsx files are read with openpyxl in read-only mode (as its documentation advises for large
files, with defusedxml installed so its XML parsing refuses entity tricks), after the zip's
members were measured: a workbook whose members would expand past
IMPORT_MAX_UNZIPPED_BYTES is refused before anything is decompressed (zipfile never reads a
member past its declared size). The sheet's rows are the rows the XML holds, each cell
parsed and dropped as it comes: a lone row numbered 50,000,000 is one row, not fifty million
empty ones, and a row of a million cells does not build a million objects. Every sheet is
bounded three ways (rows read, cells read, IMPORT_MAX_SECONDS) and refused with a message
when it goes past one. .csv files go through the csv module over a decoding stream. Either
way only the row being read is held, so memory does not grow with the file. A CSV's
encoding is found by its byte-order mark, then by charset-normalizer (Excel on a Chinese
Windows saves CSV as GBK, everything else as UTF-8), then confirmed by decoding the whole
file once before any row is read.
"""

import codecs
import csv
import io
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

from charset_normalizer import from_bytes
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._reader import WorkSheetParser

from . import xls
from .columns import BY_HEADER, BY_KEY, Column, cell_text, header_key

HEADER_SEARCH_ROWS = 10  # title lines above the header row are skipped
SAMPLE_BYTES = 256 * 1024
MAX_HIDDEN_SPAN = 200  # a hidden <col> range wider than this is a style, not a column
MAX_COLUMNS = 512  # cells further right are never a column of the template: not kept
# Rows read, empty ones included, per row the import may take (IMPORT_MAX_ROWS): a sheet
# of formatted empty rows ends here instead of being walked to its end.
ROWS_READ_FACTOR = 2
CHUNK_BYTES = 1024 * 1024
# What the detector may answer: the encodings Chinese CSV files are saved in (UTF-16 files
# start with a byte-order mark and are recognised by it).
CANDIDATE_ENCODINGS = ["utf_8", "gb18030", "big5"]
# GBK and GB2312 are subsets of GB18030: decoding as GB18030 reads them all.
ENCODING_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "ascii": "utf-8", "utf_8": "utf-8"}
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "gb18030": "GB18030 / GBK"}


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says why."""


@dataclass
class Sheet:
    columns: dict[int, Column]  # cell index -> column
    headers: dict[str, str]  # column key -> the header as written in the file
    ignored: list[str]
    rows: Iterator[tuple[int, list]]  # (spreadsheet row number, cell values)
    encoding: str = ""
    estimated_rows: int | None = None
    header_row: int = 1
    # Headers of the columns hidden in the workbook that are imported (shown in the preview).
    hidden: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def match_header(cells: list) -> tuple[dict[int, Column], dict[str, str], list[str]] | None:
    """The columns a row names, or None if it is not a header row (fewer than two known)."""
    columns: dict[int, Column] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for index, cell in enumerate(cells):
        text = cell_text(cell)
        if not text:
            continue
        column = BY_HEADER.get(header_key(text))
        if column is None:
            ignored.append(text)
            continue
        if column.key in headers:
            raise ImportFileError(
                _("The columns %(first)s and %(second)s both hold %(column)s; keep one.")
                % {"first": headers[column.key], "second": text, "column": column.header}
            )
        columns[index] = column
        headers[column.key] = text
    if len(columns) < 2:
        return None
    return columns, headers, ignored


def _find_header(rows: Iterator[tuple[int, list]]):
    for number, cells in rows:
        found = match_header(list(cells))
        if found:
            columns, headers, ignored = found
            if "name" not in headers:
                raise ImportFileError(
                    _("The file has no %(column)s column: every row needs the client's name.")
                    % {"column": BY_KEY["name"].header}
                )
            return number, columns, headers, ignored
        if number >= HEADER_SEARCH_ROWS:
            break
    raise ImportFileError(
        _(
            "No header row found. The first row must name the columns, such as 客户姓名, 手机, "
            "保险公司, 保单号: download the template to see them all."
        )
    )


def detect_kind(name: str, head: bytes) -> str:
    """'xlsx', 'xls' or 'csv' from the file's name and first bytes, or ImportFileError."""
    lower = name.lower()
    if lower.endswith(".xlsx") or lower.endswith(".xlsm"):
        if not head.startswith(b"PK"):
            raise ImportFileError(_("This is not an .xlsx file: open it in Excel and save again."))
        return "xlsx"
    if lower.endswith(".csv") or lower.endswith(".txt"):
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportFileError(_("This is not a text CSV file."))
        return "csv"
    if lower.endswith(".xls"):
        # WPS and some back offices give an .xlsx workbook the old name: read what it is.
        return "xlsx" if head.startswith(b"PK") else "xls"
    if head.startswith(xls.OLE_SIGNATURE):
        return "xls"
    raise ImportFileError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))


def detect_encoding(stream) -> tuple[str, int]:
    """The CSV's encoding and its number of line breaks (an estimate of its rows).

    The whole file is decoded once, a megabyte at a time, so a file that is not entirely in
    the detected encoding is refused before anything is read from it."""
    stream.seek(0)
    sample = stream.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        guesses = ["utf-8-sig"]
    elif sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        guesses = ["utf-16"]
    else:
        if len(sample) == SAMPLE_BYTES and b"\n" in sample:  # end on a whole line
            sample = sample[: sample.rindex(b"\n") + 1]
        best = from_bytes(sample, cp_isolation=CANDIDATE_ENCODINGS).best()
        detected = best.encoding if best else "utf-8"
        detected = ENCODING_ALIASES.get(detected, detected)
        guesses = list(dict.fromkeys([detected, "utf-8", "gb18030"]))
    for encoding in guesses:
        lines = _decodes(stream, encoding)
        if lines is not None:
            stream.seek(0)
            return encoding, lines
    raise ImportFileError(
        _("The file's characters could not be read. In Excel choose Save As, CSV UTF-8.")
    )


def _decodes(stream, encoding: str) -> int | None:
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 0
    try:
        while chunk := stream.read(CHUNK_BYTES):
            lines += decoder.decode(chunk).count("\n")
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return lines


def _csv_rows(text) -> Iterator[tuple[int, list]]:
    first = text.readline()
    dialect = "excel-tab" if first.count("\t") > first.count(",") else "excel"
    if dialect == "excel" and first.count(";") > first.count(","):
        dialect = "semicolon"
    reader = csv.reader(_chain(first, text), dialect=_DIALECTS[dialect])
    yield from enumerate(reader, start=1)


class _Semicolon(csv.excel):
    delimiter = ";"


_DIALECTS = {"excel": csv.excel, "excel-tab": csv.excel_tab, "semicolon": _Semicolon}


def _chain(first: str, rest) -> Iterator[str]:
    yield first
    # Not `yield from`: closing this generator after the text stream was detached (a file
    # refused before its last row) would close the stream too, and raise.
    for line in rest:  # noqa: UP028
        yield line


@dataclass
class Layout:
    """What read-only openpyxl does not give: the hidden columns (0-based cell indexes) and
    the merged ranges (min_col, min_row, max_col, max_row, 1-based) of a worksheet."""

    hidden: set[int] = field(default_factory=set)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def sheet_layout(worksheet) -> Layout:
    """Read the worksheet's XML once more for <col hidden> and <mergeCell>, keeping no row
    nor cell (each is dropped as soon as it is parsed), so memory stays flat."""
    layout = Layout()
    if not hasattr(worksheet, "_get_source"):
        return layout
    source = worksheet._get_source()
    parent = None
    try:
        for event, element in iterparse(source, events=("start", "end")):
            tag = _local(element.tag)
            if event == "start":
                if tag == "sheetData":
                    parent = element
                continue
            if tag == "col" and element.get("hidden") in ("1", "true"):
                first, last = int(element.get("min", 0)), int(element.get("max", 0))
                if last - first < MAX_HIDDEN_SPAN:  # a style on "every column" is no column
                    layout.hidden.update(range(first - 1, last))
            elif tag == "mergeCell" and element.get("ref"):
                with suppress(ValueError):
                    layout.merged.append(range_boundaries(element.get("ref")))
                if len(layout.merged) > settings.IMPORT_MAX_ROWS:
                    break  # more merges than rows: a crafted file, the rows are refused later
            elif tag == "c":
                element.clear()
            elif tag == "row" and parent is not None:
                parent.clear()
    except (ParseError, DefusedXmlException, ValueError):
        return Layout()
    finally:
        source.close()
    return layout


def _merged_filled(rows, merged: list[tuple[int, int, int, int]]):
    """A merged cell's value in every row it spans (its column): a name or an insurer merged
    over a client's three policy rows belongs to each of them."""
    spans = sorted(
        (
            (min_row, max_row, min_col - 1)
            for min_col, min_row, _c, max_row in merged
            if max_row > min_row
        ),
    )
    if not spans:
        yield from rows
        return
    active: list[tuple[int, int, object]] = []  # (last row, cell index, value)
    waiting = 0
    for number, cells in rows:
        while waiting < len(spans) and spans[waiting][0] == number:
            first, last, index = spans[waiting]
            value = cells[index] if index < len(cells) else None
            active.append((last, index, value))
            waiting += 1
        while waiting < len(spans) and spans[waiting][0] < number:
            waiting += 1  # a span starting on a row the reader skipped
        if active:
            active = [span for span in active if span[0] >= number]
            for _last, index, value in active:
                if index < len(cells) and cells[index] in (None, ""):
                    cells[index] = value
                elif index >= len(cells) and value not in (None, ""):
                    cells.extend([None] * (index + 1 - len(cells)))
                    cells[index] = value
        yield number, cells


def unzipped_size(stream) -> int:
    """What the workbook's members would expand to, from the sizes the zip declares (zipfile
    stops reading a member at its declared size, so a lie only truncates it)."""
    try:
        with zipfile.ZipFile(stream) as archive:
            return sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(
            _("The workbook could not be opened: open it in Excel and save it again.")
        ) from exc
    finally:
        stream.seek(0)


def _xlsx_sheet(stream):
    """The workbook, opened read-only once its expanded size is known to be bounded."""
    limit = settings.IMPORT_MAX_UNZIPPED_BYTES
    if unzipped_size(stream) > limit:
        raise ImportFileError(
            _(
                "This workbook would expand to more than %(size)s MB when opened (a crafted "
                "file, or pictures and formatting far beyond the data): copy the data into a "
                "new workbook, or split it into several files."
            )
            % {"size": limit // (1024 * 1024)}
        )
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ParseError) as exc:
        raise ImportFileError(
            _("The workbook could not be opened: open it in Excel and save it again.")
        ) from exc
    except DefusedXmlException as exc:
        raise ImportFileError(
            _("The workbook holds XML constructs a spreadsheet never needs: it is refused.")
        ) from exc
    return workbook


def xlsx_rows(worksheet, budget) -> Iterator[tuple[int, list]]:
    """(row number, values) for each row the worksheet's XML holds, in order; the gaps
    between them are not filled in. Each cell is parsed by openpyxl's own cell parser
    (dates, shared strings, numbers as openpyxl reads them) and dropped at once."""
    workbook = worksheet.parent
    source = worksheet._get_source()
    parser = WorkSheetParser(
        source,
        worksheet._shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    data = row = None
    values: dict[int, object] = {}
    number = 0
    try:
        for event, element in iterparse(source, events=("start", "end")):
            tag = _local(element.tag)
            if event == "start":
                if tag == "row":
                    row = element
                    declared = element.get("r")
                    number = int(declared) if declared and declared.isdigit() else number + 1
                    parser.row_counter, parser.col_counter = number, 0
                    values = {}
                elif tag == "sheetData":
                    data = element
                continue
            if tag == "c" and row is not None:
                cell = parser.parse_cell(element)
                column = cell["column"]
                if column <= MAX_COLUMNS and cell["value"] is not None:
                    values[column] = cell["value"]
                budget.cell()
                row.clear()  # the cell goes with it; the row's number was read at its start
            elif tag == "row":
                width = max(values) if values else 0
                cells = [None] * width
                for column, value in values.items():
                    cells[column - 1] = value
                row = None
                if data is not None:
                    data.clear()
                yield number, cells
            elif tag == "sheetData":
                break
    except ImportFileError:
        raise
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise ImportFileError(
            _("The workbook could not be read: open it in Excel and save it again.")
        ) from exc
    finally:
        source.close()


class Budget:
    """How much of a file one step may read: rows (empty ones included), cells and time.
    Past any of them the file is refused with a message saying which."""

    def __init__(self):
        self.max_rows = settings.IMPORT_MAX_ROWS * ROWS_READ_FACTOR + HEADER_SEARCH_ROWS
        self.max_cells = settings.IMPORT_MAX_CELLS
        self.deadline = time.monotonic() + settings.IMPORT_MAX_SECONDS
        self.rows = self.cells = 0

    def cell(self, count: int = 1) -> None:
        self.cells += count
        if self.cells > self.max_cells:
            raise ImportFileError(
                _("The file has more than %(limit)s cells: split it into several files.")
                % {"limit": self.max_cells}
            )
        if not self.cells % 4096:
            self.clock()

    def row(self) -> None:
        self.rows += 1
        if self.rows > self.max_rows:
            raise ImportFileError(
                _(
                    "The file has more than %(limit)s rows, empty rows included: delete the "
                    "empty rows under the data, or split it into several files."
                )
                % {"limit": self.max_rows}
            )
        if not self.rows % 256:
            self.clock()

    def clock(self) -> None:
        if time.monotonic() > self.deadline:
            raise ImportFileError(
                _(
                    "Reading the file took longer than %(minutes)s minutes: nothing was "
                    "imported. Split it into several smaller files."
                )
                % {"minutes": max(1, settings.IMPORT_MAX_SECONDS // 60)}
            )


def bounded(rows: Iterator[tuple[int, list]], budget: Budget) -> Iterator[tuple[int, list]]:
    """The rows, counted against the budget (a CSV's cells here; an .xlsx's as parsed)."""
    for number, values in rows:
        budget.row()
        yield number, values


def _csv_bounded(rows: Iterator[tuple[int, list]], budget: Budget):
    for number, values in bounded(rows, budget):
        budget.cell(len(values))
        yield number, values


@contextmanager
def open_sheet(stream, *, kind: str) -> Iterator[Sheet]:
    """Rows of the uploaded file after its header row. `stream` is a binary file object."""
    if kind == "csv":
        encoding, lines = detect_encoding(stream)
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        try:
            rows = _csv_bounded(_csv_rows(text), Budget())
            header_row, columns, headers, ignored = _find_header(rows)
            yield Sheet(
                columns=columns,
                headers=headers,
                ignored=ignored,
                rows=rows,
                encoding=ENCODING_LABELS.get(encoding, encoding.upper()),
                estimated_rows=max(0, lines - header_row),
                header_row=header_row,
            )
        finally:
            text.detach()
        return
    if kind == "xls":
        with _xls_sheet(stream) as sheet:
            yield sheet
        return
    workbook = _xlsx_sheet(stream)
    try:
        found = None
        for worksheet in workbook.worksheets:
            layout = sheet_layout(worksheet)
            budget = Budget()
            rows = _merged_filled(bounded(xlsx_rows(worksheet, budget), budget), layout.merged)
            try:
                found = _find_header(rows)
            except ImportFileError:
                if worksheet is workbook.worksheets[-1]:
                    raise
                continue
            break
        header_row, columns, headers, ignored = found
        max_row = worksheet.max_row
        hidden = [
            headers.get(column.key, column.header)
            for index, column in sorted(columns.items())
            if index in layout.hidden
        ]
        yield Sheet(
            columns=columns,
            headers=headers,
            ignored=ignored,
            rows=rows,
            # The declared dimension, which a crafted file may set to any size: an estimate
            # for the progress bar only, never above what an import may take.
            estimated_rows=min(max(0, max_row - header_row), settings.IMPORT_MAX_ROWS)
            if max_row
            else None,
            header_row=header_row,
            hidden=hidden,
        )
    finally:
        workbook.close()


XLS_REFUSALS = {
    "encrypted": gettext_lazy(
        "This workbook is protected by a password: open it in Excel or WPS, remove the "
        "password (File, Info, Protect Workbook) and save it again."
    ),
    "not_excel": gettext_lazy(
        "This .xls file is not an Excel workbook (some systems save a web page or text under "
        "that name): open it in Excel or WPS and save it as Excel Workbook (.xlsx)."
    ),
    "corrupt": gettext_lazy(
        "The workbook could not be opened: open it in Excel or WPS and save it as Excel "
        "Workbook (.xlsx)."
    ),
}


@contextmanager
def _xls_sheet(stream) -> Iterator[Sheet]:
    """The first sheet of an .xls workbook with a header row, read like an .xlsx one."""
    try:
        book = xls.open_book(stream.read())
    except xls.XlsUnreadable as exc:
        raise ImportFileError(str(XLS_REFUSALS[exc.reason])) from exc
    try:
        count = book.nsheets
        for index in range(count):
            sheet = book.sheet_by_index(index)
            shape = xls.sheet_shape(sheet)
            budget = Budget()
            rows = _merged_filled(
                bounded(_xls_counted(sheet, book.datemode, budget), budget), shape.merged
            )
            try:
                header_row, columns, headers, ignored = _find_header(rows)
            except ImportFileError:
                if index == count - 1:
                    raise
                book.unload_sheet(index)
                continue
            yield Sheet(
                columns=columns,
                headers=headers,
                ignored=ignored,
                rows=rows,
                estimated_rows=min(max(0, shape.rows - header_row), settings.IMPORT_MAX_ROWS),
                header_row=header_row,
                hidden=[
                    headers.get(column.key, column.header)
                    for cell_index, column in sorted(columns.items())
                    if cell_index in shape.hidden
                ],
            )
            return
    finally:
        book.release_resources()


def _xls_counted(sheet, datemode: int, budget: Budget):
    for number, cells in xls.sheet_rows(sheet, datemode, MAX_COLUMNS):
        budget.cell(len(cells))
        yield number, cells
