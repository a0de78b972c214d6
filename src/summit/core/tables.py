"""Tables as CSV or XLSX files: the one writer every export uses (participants, sessions, bookings, ...).

A table is a header (a list of column names) and an iterable of rows (lists of values). Text that a
spreadsheet program would run as a formula is written as text ("CSV injection"); datetimes are written in
the zone they carry.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Spreadsheet programs run a cell that starts with one of these as a formula ("CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose ``write`` returns the line instead of storing it (for streaming CSV)."""

    def write(self, value):
        return value


def csv_chunks(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV text in UTF-8 with a byte-order mark first, so that Excel reads Chinese names correctly."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow([_safe_text(v) for v in row])


def xlsx_bytes(header: list[str], rows: Iterable[list], *, title: str = "Participants") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    bold = Font(bold=True)
    head = []
    for name in header:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in rows:
        out = []
        for value in row:
            if isinstance(value, datetime) and value.tzinfo is not None:
                out.append(value.replace(tzinfo=None))  # Excel has no time zones; the value is event-local.
            elif isinstance(value, str):
                cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                cell.data_type = "s"  # never a formula, even when it starts with "="
                out.append(cell)
            else:
                out.append(value)
        ws.append(out)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_response(chunks: Iterable[str], filename: str):
    """A streamed CSV download of :func:`csv_chunks` (private, never cached)."""
    from django.http import StreamingHttpResponse

    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in chunks), content_type="text/csv; charset=utf-8"
    )
    return _download(response, filename)


def xlsx_response(data: bytes, filename: str):
    """A download of :func:`xlsx_bytes` (private, never cached)."""
    from django.http import HttpResponse

    return _download(HttpResponse(data, content_type=XLSX), filename)


def _download(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
