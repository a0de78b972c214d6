"""Participant list exports (CSV, XLSX) for the back office.

One function builds the header and the rows; both formats write what it yields, so the columns never
drift apart. Rows are streamed from the database with ``.iterator()``: an export of 50,000 people does not
load them all into memory at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.utils import timezone

COLUMNS = [
    "id",
    "email",
    "given_name",
    "family_name",
    "given_name_latin",
    "family_name_latin",
    "title",
    "position",
    "organization",
    "organization_latin",
    "organization_type",
    "country",
    "country_name",
    "category",
    "attendance_mode",
    "status",
    "language",
    "outlet",
    "press_card_number",
    "registered_at",
]

# Spreadsheet programs run a cell that starts with one of these as a formula ("CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def participant_rows(queryset, *, event) -> tuple[list[str], Iterator[list]]:
    """The header and an iterator of rows for ``queryset`` (already filtered to ``event``).

    ``registered_at`` is a datetime in the event's time zone; everything else is a string or an int.
    """
    tz = event.tz
    qs = queryset.select_related("category", "organization").order_by("pk")

    def rows() -> Iterator[list]:
        for p in qs.iterator(chunk_size=2000):
            org = p.organization
            yield [
                p.pk,
                p.email,
                p.given_name,
                p.family_name,
                p.given_name_latin,
                p.family_name_latin,
                p.title,
                p.position,
                org.name if org else "",
                org.name_latin if org else "",
                org.type if org else "",
                str(p.country or ""),
                str(p.country.name) if p.country else "",
                p.category.code,
                p.attendance_mode,
                p.status,
                p.language,
                p.outlet,
                p.press_card_number,
                timezone.localtime(p.created_at, tz),
            ]

    return list(COLUMNS), rows()


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
