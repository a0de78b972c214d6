"""Participant list exports (CSV, XLSX) for the back office.

One function builds the header and the rows; both formats (``core.tables``) write what it yields, so the
columns never drift apart. Rows are streamed from the database with ``.iterator()``: an export of 50,000
people does not load them all into memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator

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
                p.shown_given_name_latin,  # never a Latin form invented for Arabic and the like
                p.shown_family_name_latin,
                p.title,
                p.position,
                org.name if org else "",
                org.name_forms[1] if org else "",
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
