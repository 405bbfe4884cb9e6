"""Tables for people who open them in Excel or WPS: CSV (UTF-8 with a byte-order mark, so Excel
reads the Chinese right) and XLSX, with Chinese headers and values. Pure: no database, no Flask.

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

KIND = {"incident": "事件", "dispute": "矛盾纠纷"}
STATUS = {
    "pending": "待受理",
    "in_progress": "办理中",
    "resolved": "已化解",
    "closed": "已办结",
    "rejected": "不予受理",
}
LEVEL = {"grid": "网格", "community": "村/社区", "township": "乡镇/街道", "district": "区/县", "city": "市"}
SEVERITY = {"general": "一般", "significant": "较大", "major": "重大", "critical": "特别重大"}
SOURCE = {"grid_worker": "网格员上报", "public": "群众随手拍", "hotline": "12345热线", "referral": "上级交办"}
OUTCOME = {
    "mediated": "调解成功",
    "agreement_signed": "签订调解协议",
    "referred_to_court": "引导诉讼",
    "referred_to_department": "移交职能部门",
    "explained": "解释说明",
    "other": "其他",
}
SATISFACTION = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
PARTY_ROLE = {"applicant": "申请人", "respondent": "被申请人", "third_party": "第三人", "other": "其他"}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so XLSX) cannot hold.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TIME_FORMAT = "%Y-%m-%d %H:%M"


def label(names: dict[str, str], value: str | None) -> str:
    """The Chinese name of a domain value ("" for none; the value itself if unnamed)."""
    return "" if value is None else names.get(value, value)


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def masked_parties(parties: list | None) -> str:
    """Parties as masked text: 张*（申请人，110105********0123，138****8000）；李*（被申请人）."""
    texts = []
    for role, name, id_number, phone in parties or []:
        details = "，".join(part for part in (label(PARTY_ROLE, role), id_number, phone) if part)
        texts.append(f"{name}（{details}）")
    return "；".join(texts)


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
    # Imported here: openpyxl takes half a second to import, which the web workers and the
    # scheduler need not pay until someone asks for a workbook.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
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
