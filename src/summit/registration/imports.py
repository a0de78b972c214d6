"""CSV import of a delegation list: validate every row first, then store all of it or nothing.

One entry point, :func:`import_participants`, used by the back-office page, the management command and the
benchmark (design.md §2). The per-person rules are those of registration (:func:`services.clean_person`,
the on-site quota and waitlist); the writes are batched so that a few thousand rows import in seconds.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.utils.translation import gettext as _

from summit.core.errors import ValidationFailed
from summit.core.locking import write_transaction
from summit.core.text import clean_text
from summit.events.models import Event
from summit.registration import services
from summit.registration.models import Category, Participant

User = get_user_model()

REQUIRED_COLUMNS = ["email", "given_name", "family_name", "country", "category"]
OPTIONAL_COLUMNS = [
    "given_name_latin",
    "family_name_latin",
    "name_order",
    "title",
    "position",
    "organization",
    "organization_latin",
    "organization_type",
    "phone",
    "attendance_mode",
    "language",
    "outlet",
    "press_card_number",
]
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# CSV column → key understood by services.clean_person (and back, for error messages).
_TO_PERSON = {"organization": "organization_name", "organization_latin": "organization_name_latin"}
_TO_COLUMN = {v: k for k, v in _TO_PERSON.items()}
EXAMPLE_ROWS = [
    {
        "email": "wang.wei@example.org",
        "given_name": "伟",
        "family_name": "王",
        "country": "CN",
        "category": "government",
        "given_name_latin": "Wei",
        "family_name_latin": "Wang",
        "name_order": "family_first",
        "title": "H.E.",
        "position": "Vice Minister",
        "organization": "国家互联网信息办公室",
        "organization_latin": "Cyberspace Administration of China",
        "organization_type": "government",
        "phone": "+86 10 5555 0100",
        "attendance_mode": "onsite",
        "language": "zh-hans",
        "outlet": "",
        "press_card_number": "",
    },
    {
        "email": "anna.ivanova@example.org",
        "given_name": "Анна",
        "family_name": "Иванова",
        "country": "RU",
        "category": "media",
        "given_name_latin": "",
        "family_name_latin": "",
        "name_order": "given_first",
        "title": "",
        "position": "Correspondent",
        "organization": "",
        "organization_latin": "",
        "organization_type": "media",
        "phone": "",
        "attendance_mode": "onsite",
        "language": "en",
        "outlet": "Example News",
        "press_card_number": "PC-12345",
    },
]
BATCH = 500


@dataclass
class ImportResult:
    created: list[Participant] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.created)

    @property
    def submitted(self) -> int:
        return self.counts.get(Participant.SUBMITTED, 0)

    @property
    def approved(self) -> int:
        return self.counts.get(Participant.APPROVED, 0)

    @property
    def waitlisted(self) -> int:
        return self.counts.get(Participant.WAITLISTED, 0)


@dataclass
class _Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    category: Category
    cleaned: dict


def template_csv() -> str:
    """The header and example rows, as offered for download on the import page."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(EXAMPLE_ROWS)
    return out.getvalue()


def _error(row, column, code, detail) -> dict:
    return {"row": row, "column": column or "", "code": code, "detail": str(detail)}


def _fail(errors: list[dict]) -> None:
    rows = {e["row"] for e in errors if e["row"]}
    message = _("The file has %(count)d problem(s) in %(rows)d row(s); nothing was imported.") % {
        "count": len(errors),
        "rows": len(rows),
    }
    raise ValidationFailed(message, code="import_invalid", errors=errors)


def _normalise_header(name: str) -> str:
    # A header pasted from elsewhere may carry a zero-width space or a direction mark: not part of the name.
    return clean_text(name).lower().replace(" ", "_").replace("-", "_")


def parse_csv(data: bytes) -> tuple[list[str], list[tuple[int, dict]]]:
    """Decode and split the file. Returns the normalised header and ``(row number, values)`` per data row.

    Raises ValidationFailed (``import_invalid``) for files that are not UTF-8 CSV or lack required columns.
    Rows that are entirely blank (spreadsheets like to add some) are skipped.
    """
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        _fail(
            [
                _error(
                    None,
                    "",
                    "not_csv",
                    _(
                        "This looks like a spreadsheet workbook, not a CSV file. "
                        "Save it as “CSV UTF-8” and upload that file."
                    ),
                )
            ]
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        _fail(
            [
                _error(
                    line,
                    "",
                    "not_csv",
                    _("The file contains binary data (NUL bytes); it is not a CSV text file."),
                )
            ]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        _fail(
            [
                _error(
                    line,
                    "",
                    "not_utf8",
                    _(
                        "The file is not UTF-8 text (the first bad byte is on line %(line)d). "
                        "Save it as “CSV UTF-8” in your spreadsheet program and try again."
                    )
                    % {"line": line},
                )
            ]
        )
    if text.startswith("\ufeff"):  # a second BOM, e.g. UTF-16 disguised; never valid here
        text = text[1:]
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header_row = next(reader, None)
        while header_row is not None and not any(c.strip() for c in header_row):
            header_row = next(reader, None)
        if header_row is None:
            _fail(
                [
                    _error(
                        1,
                        "",
                        "missing_columns",
                        _("The file is empty. The first row must name the columns: %(columns)s.")
                        % {"columns": ", ".join(REQUIRED_COLUMNS)},
                    )
                ]
            )
        header = [_normalise_header(c) for c in header_row]
        rows = []
        for index, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            rows.append((index, values))
    except csv.Error as exc:
        _fail(
            [
                _error(
                    reader.line_num,
                    "",
                    "bad_csv",
                    _("The file cannot be read as CSV: %(error)s.") % {"error": exc},
                )
            ]
        )
    return header, rows


def import_participants(
    *,
    event: Event,
    data: bytes,
    actor,
    default_category: Category | None = None,
    notify: bool = False,
    progress: Callable[[int, int], None] | None = None,
    base_url: str | None = None,
) -> ImportResult:
    """Import a CSV delegation list into ``event``: all rows, or none when any row has a problem.

    Errors are collected for every row first and raised together as one ValidationFailed with code
    ``import_invalid`` and ``errors`` = ``[{"row", "column", "code", "detail"}, ...]``. Statuses follow the
    registration rules (on-site quota → waitlist in file order; approval needed → submitted; else approved).
    ``progress(done, total)`` is called as rows are checked and then saved (``total`` = 2 × rows).
    """
    if default_category is not None and default_category.event_id != event.pk:
        raise ValidationFailed(
            _("Unknown category: “%(value)s”.") % {"value": default_category.code},
            code="unknown_category",
            field="category",
        )
    header, raw_rows = parse_csv(data)

    errors: list[dict] = []
    required = [c for c in REQUIRED_COLUMNS if not (c == "category" and default_category is not None)]
    missing = [c for c in required if c not in header]
    if missing:
        errors.append(
            _error(
                1,
                ", ".join(missing),
                "missing_columns",
                _("Required column(s) missing from the first row: %(columns)s.")
                % {"columns": ", ".join(missing)},
            )
        )
    seen_columns: set[str] = set()
    for name in header:
        if not name:
            continue
        if name not in COLUMNS:
            errors.append(
                _error(
                    1,
                    name,
                    "unknown_column",
                    _("Unknown column “%(name)s”. Known columns: %(columns)s.")
                    % {"name": name, "columns": ", ".join(COLUMNS)},
                )
            )
        elif name in seen_columns:
            errors.append(
                _error(
                    1, name, "duplicate_column", _("The column “%(name)s” appears twice.") % {"name": name}
                )
            )
        seen_columns.add(name)
    if errors:
        _fail(errors)
    if not raw_rows:
        _fail([_error(2, "", "no_rows", _("The file has a header but no participants."))])

    total = len(raw_rows)
    categories = {c.code.lower(): c for c in event.categories.all()}
    by_pk = {str(c.pk): c for c in categories.values()}
    rows: list[_Row] = []
    first_row_of_email: dict[str, int] = {}
    country_codes: dict[str, str | None] = {}
    width = len(header)
    for done, (number, values) in enumerate(raw_rows, start=1):
        if len(values) > width and any(v.strip() for v in values[width:]):
            errors.append(
                _error(
                    number,
                    "",
                    "extra_values",
                    _("This row has %(count)d values but the header names only %(width)d columns.")
                    % {"count": len(values), "width": width},
                )
            )
        raw = {name: values[i] if i < len(values) else "" for i, name in enumerate(header) if name in COLUMNS}
        category = None
        code = (raw.get("category") or "").strip()
        if code:
            category = categories.get(code.lower()) or by_pk.get(code)
            if category is None:
                errors.append(
                    _error(
                        number,
                        "category",
                        "unknown_category",
                        _("Unknown category: “%(value)s” (known: %(known)s).")
                        % {"value": code, "known": ", ".join(c.code for c in categories.values())},
                    )
                )
        elif default_category is not None:
            category = default_category
        else:
            errors.append(
                _error(
                    number,
                    "category",
                    "required",
                    _("%(field)s is required.") % {"field": services.field_label("category")},
                )
            )
        person = {_TO_PERSON.get(k, k): v for k, v in raw.items() if k != "category"}
        # Country names are slow to look up (every name in every language): once per distinct value.
        country = (person.get("country") or "").strip()
        if country:
            if country not in country_codes:
                country_codes[country] = services.resolve_country(country)
            person["country"] = country_codes[country] or country
        if (
            category is not None
            and not category.allows_onsite
            and not (person.get("attendance_mode") or "").strip()
        ):
            person["attendance_mode"] = Participant.ONLINE
        cleaned, field_errors = services.clean_person(event, person, category=category, has_press_card=True)
        for fe in field_errors:
            errors.append(_error(number, _TO_COLUMN.get(fe.field, fe.field), fe.code, fe.detail))
        email = cleaned.get("email")
        if email and not any(fe.field == "email" for fe in field_errors):
            if email in first_row_of_email:
                errors.append(
                    _error(
                        number,
                        "email",
                        "duplicate_email",
                        _(
                            "The e-mail address %(email)s appears twice in the file: rows %(first)d and %(row)d."
                        )
                        % {"email": email, "first": first_row_of_email[email], "row": number},
                    )
                )
            else:
                first_row_of_email[email] = number
        if category is not None:
            rows.append(_Row(number, category, cleaned))
        if progress is not None and (done % 100 == 0 or done == total):
            progress(done, 2 * total)

    errors += _already_registered(event, first_row_of_email)
    if errors:
        errors.sort(key=lambda e: e["row"] or 0)
        _fail(errors)

    try:
        with write_transaction():
            # Check again under the write lock: someone may have registered meanwhile.
            taken = _already_registered(event, first_row_of_email)
            if taken:
                _fail(taken)
            result = _store(event, rows, actor=actor, progress=progress, total=total)
            if notify:
                for p in result.created:
                    services.send_status_mail(p, template="registration/mail/registered", base_url=base_url)
    except IntegrityError as exc:
        raise ValidationFailed(
            _(
                "Some of these people were registered at the same moment by someone else; "
                "nothing was imported. Please try again."
            ),
            code="import_conflict",
        ) from exc
    return result


def _already_registered(event: Event, rows_by_email: dict[str, int]) -> list[dict]:
    emails = list(rows_by_email)
    existing: set[str] = set()
    for start in range(0, len(emails), BATCH):
        existing.update(
            Participant.objects.filter(event=event, email__in=emails[start : start + BATCH]).values_list(
                "email", flat=True
            )
        )
    return [
        _error(
            rows_by_email[e],
            "email",
            "email_taken",
            _("The e-mail address %(email)s is already registered for this event.") % {"email": e},
        )
        for e in sorted(existing, key=rows_by_email.get)
    ]


def _store(event: Event, rows: list[_Row], *, actor, progress, total: int) -> ImportResult:
    """Write the checked rows through registration's one write path (``services.add_participants``)."""
    created = services.add_participants(
        event=event,
        entries=[services.Entry(r.category, r.cleaned, row=r.number) for r in rows],
        actor=actor,
        progress=(lambda done: progress(total + done, 2 * total)) if progress is not None else None,
    )
    counts = {code: 0 for code, _label in Participant.STATUS_CHOICES}
    for p in created:
        counts[p.status] += 1
    return ImportResult(created=created, counts=counts)
