"""Domain errors. Every service raises one of these; views and the API map them in one place.

Each error has a stable machine-readable ``code`` and a human message (translated lazily), plus the HTTP
status the API answers with. ``field`` names the form field the message belongs to, when there is one.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class SummitError(Exception):
    status = 400
    code = "invalid"
    default_message = _("The request could not be completed.")

    def __init__(self, message=None, *, code: str | None = None, field: str | None = None, errors=None):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.field = field
        # Optional list of detailed errors (for example one per CSV row).
        self.errors = errors or []
        super().__init__(str(self.message))

    @property
    def detail(self) -> str:
        return str(self.message)

    def as_dict(self) -> dict:
        data = {"code": self.code, "detail": self.detail}
        if self.field:
            data["field"] = self.field
        if self.errors:
            data["errors"] = self.errors
        return data


class ValidationFailed(SummitError):
    status = 422
    code = "validation_failed"
    default_message = _("Some of the data is not valid.")


class NotFound(SummitError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Forbidden(SummitError):
    status = 403
    code = "forbidden"
    default_message = _("You are not allowed to do this.")


class Conflict(SummitError):
    status = 409
    code = "conflict"
    default_message = _("This conflicts with the current state.")


class Busy(SummitError):
    status = 409
    code = "busy"
    default_message = _("The system is busy; please try again in a moment.")


MAX_ID = 2**63 - 1


def as_id(value) -> int | None:
    """A database id from user input (``"42"``), or None for anything else: ``"²"``, ``"-1"``, ``"9" * 30``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
