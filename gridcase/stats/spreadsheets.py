"""Tables for people who open them in Excel or WPS: CSV (UTF-8 with a byte-order mark, so Excel
reads the Chinese right) and XLSX. Pure: no database, no Flask (gridcase.stats.exports says what
goes in them).

Cells that begin like a formula (=, +, -, @) are written as text, never as formulas: a case title
typed by the public must not run in a commander's spreadsheet (CSV injection).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import IO

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so XLSX) cannot hold.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TIME_FORMAT = "%Y-%m-%d %H:%M"


def _text_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(_TIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return _text_cell(value)
    return str(value)


def csv_chunks(header: list[str], rows: Iterable[list], chunk_bytes: int = 64 * 1024) -> Iterator[str]:
    """The table as CSV text in chunks of about `chunk_bytes`, starting with the byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
        if buffer.tell() >= chunk_bytes:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(title: str, header: list[str], rows: Iterable[list]) -> IO[bytes]:
    """The table as an XLSX workbook of one sheet, in a temporary file positioned at its start.

    Written in openpyxl's write-only mode, which keeps memory flat however many rows there are;
    times are local times (naive, as Excel has no time zones) shown as yyyy-mm-dd hh:mm."""
    return xlsx_workbook([(title, header, rows)])


def xlsx_workbook(sheets: Iterable[tuple[str, list[str], Iterable[list]]]) -> IO[bytes]:
    """Several tables, (title, header, rows) each, as the sheets of one XLSX workbook in that
    order; written as `xlsx_file` writes one."""
    # Imported here: openpyxl takes half a second to import, which the web workers and the
    # scheduler need not pay until someone asks for a workbook.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        sheet.append(header)
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    # Handed to the response, which closes it once sent.
    output = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output


def _xlsx_cell(sheet, value):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=_ILLEGAL_XML.sub("", value))
        cell.data_type = "s"  # text, even when it starts with "=": never a formula
        return cell
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    return value
