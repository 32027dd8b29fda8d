"""Every table a page shows can be downloaded as CSV or XLSX (``?format=csv|xlsx`` on the page).

The page builds its tables with the same filters and the same row scope as the HTML, then hands
them here; nothing is re-queried with other rules. CSV is UTF-8 with a byte-order mark, so Excel
opens Chinese text correctly; an XLSX holds one sheet per table. Column headers follow the user's
language.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from urllib.parse import quote

from fastapi.responses import Response

from lingqu.exceptions import ValidationError
from lingqu.web.i18n import translate

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    """One exported table: a key (for ``?table=``), a title (the sheet name), headers and rows."""

    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)


def parse_format(value: str | None) -> str | None:
    """None for the HTML page; ``csv`` or ``xlsx``; anything else is a 422 naming the parameter."""
    text = (value or "").strip().lower()
    if not text or text == "html":
        return None
    if text not in FORMATS:
        raise ValidationError(f"参数 format 应为 csv 或 xlsx，实为 {value!r} (format must be csv or xlsx)", field="format")
    return text


def pick(tables: list[Table], key: str | None, fmt: str) -> list[Table]:
    """The tables to export: the one named by ``table``, or all (a CSV holds one table, so a
    CSV of a page with several tables needs ``table``)."""
    key = (key or "").strip()
    if key:
        chosen = [t for t in tables if t.key == key]
        if not chosen:
            keys = ", ".join(t.key for t in tables)
            raise ValidationError(f"参数 table 应为 {keys} 之一，实为 {key!r} (unknown table)", field="table")
        return chosen
    if fmt == "csv" and len(tables) > 1:
        keys = ", ".join(t.key for t in tables)
        raise ValidationError(f"此页有多个表，CSV 导出需指定参数 table（{keys}）(this page has several tables: pass table=)",
                              field="table")
    return tables


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    return v


def _csv(table: Table, lang: str) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([translate(c, lang) for c in table.columns])
    for row in table.rows:
        w.writerow([_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _xlsx_cell(v):
    """Numbers and dates stay typed (Excel can sum and sort them); None stays empty."""
    if v is None or isinstance(v, bool):
        return _cell(v) if v is not None else None
    if isinstance(v, (int, float, str, dt.date)):
        return v
    return str(v)


def _sheet_title(title: str, used: set[str]) -> str:
    base = "".join(ch for ch in title if ch not in '[]:*?/\\')[:31] or "Sheet"
    name, i = base, 2
    while name in used:
        name = f"{base[:28]}-{i}"
        i += 1
    used.add(name)
    return name


def _xlsx(tables: list[Table], lang: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        ws = wb.create_sheet(_sheet_title(translate(table.title, lang), used))
        ws.append([translate(c, lang) for c in table.columns])
        for row in table.rows:
            ws.append([_xlsx_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_response(tables: list[Table], fmt: str, filename: str, lang: str, table: str | None = None) -> Response:
    """The download of ``tables`` (see :func:`pick`) as ``filename``.csv / .xlsx."""
    chosen = pick(tables, table, fmt)
    if fmt == "csv":
        body, media = _csv(chosen[0], lang), "text/csv; charset=utf-8"
        name = f"{filename}-{chosen[0].key}.csv" if len(tables) > 1 else f"{filename}.csv"
    else:
        body, media = _xlsx(chosen, lang), XLSX_TYPE
        name = f"{filename}-{chosen[0].key}.xlsx" if table else f"{filename}.xlsx"
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})
