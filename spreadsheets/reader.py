"""Open an uploaded spreadsheet as a stream of rows.

.xlsx files are read with openpyxl in read-only mode, which parses the sheet's XML as it
goes instead of building the whole workbook; .csv files go through the csv module over a
decoding stream. Either way only the row being read is held, so memory does not grow
with the file. A CSV's encoding is found by its byte-order mark, then by charset-normalizer
(Excel on a Chinese Windows saves CSV as GBK, everything else as UTF-8), then confirmed by
decoding the whole file once before any row is read.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from xml.etree import ElementTree  # as openpyxl without defusedxml; expat 2.4.1+ has no bombs

from charset_normalizer import from_bytes
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from .columns import BY_HEADER, BY_KEY, Column, cell_text, header_key

HEADER_SEARCH_ROWS = 10  # title lines above the header row are skipped
SAMPLE_BYTES = 256 * 1024
MAX_HIDDEN_SPAN = 200  # a hidden <col> range wider than this is a style, not a column
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
    """'xlsx' or 'csv' from the file's name and first bytes, or ImportFileError."""
    lower = name.lower()
    if lower.endswith(".xlsx") or lower.endswith(".xlsm"):
        if not head.startswith(b"PK"):
            raise ImportFileError(_("This is not an .xlsx file: open it in Excel and save again."))
        return "xlsx"
    if lower.endswith(".csv") or lower.endswith(".txt"):
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportFileError(_("This is not a text CSV file."))
        return "csv"
    if lower.endswith(".xls") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _(
                "Old Excel files (.xls) cannot be read: in Excel choose Save As, "
                "Excel Workbook (.xlsx)."
            )
        )
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


def sheet_layout(worksheet) -> Layout:
    """Read the worksheet's XML once more for <col hidden> and <mergeCell>, keeping no row
    (each is dropped as soon as it is parsed), so memory stays flat."""
    layout = Layout()
    if not hasattr(worksheet, "_get_source"):
        return layout
    source = worksheet._get_source()
    try:
        for _event, element in ElementTree.iterparse(source, events=("end",)):
            tag = element.tag.rpartition("}")[2]
            if tag == "col" and element.get("hidden") in ("1", "true"):
                first, last = int(element.get("min", 0)), int(element.get("max", 0))
                if last - first < MAX_HIDDEN_SPAN:  # a style on "every column" is no column
                    layout.hidden.update(range(first - 1, last))
            elif tag == "mergeCell" and element.get("ref"):
                with suppress(ValueError):
                    layout.merged.append(range_boundaries(element.get("ref")))
            elif tag == "row":
                element.clear()
    except ElementTree.ParseError:
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


def _xlsx_sheet(stream):
    """The first worksheet with a header row (a template's instructions sheet is skipped)."""
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(
            _("The workbook could not be opened: open it in Excel and save it again.")
        ) from exc
    return workbook


@contextmanager
def open_sheet(stream, *, kind: str) -> Iterator[Sheet]:
    """Rows of the uploaded file after its header row. `stream` is a binary file object."""
    if kind == "csv":
        encoding, lines = detect_encoding(stream)
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        try:
            rows = _csv_rows(text)
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
    workbook = _xlsx_sheet(stream)
    try:
        found = None
        for worksheet in workbook.worksheets:
            layout = sheet_layout(worksheet)
            rows = _merged_filled(
                (
                    (number, list(cells))
                    for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1)
                ),
                layout.merged,
            )
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
            estimated_rows=max(0, max_row - header_row) if max_row else None,
            header_row=header_row,
            hidden=hidden,
        )
    finally:
        workbook.close()
