"""API shapes shared by the apps' routes (Django Ninja schemas): the error answer every operation declares,
the helpers that declare it and that turn a model's choices into an enum, and core's objects (jobs)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from summit.core.models import Job

# --- errors ------------------------------------------------------------------------------------------------


class ErrorItem(Schema):
    """One problem of a request: a JSON field (``field``) or, for imports, a file's cell (``row``, ``column``)."""

    field: str | None = Field(None, description="The field, dotted for nested ones (`ids.3`)")
    row: int | None = Field(None, description="Imports: the row as a spreadsheet numbers it (header = 1)")
    column: str | None = Field(None, description="Imports: the column")
    code: str = Field(
        ..., description="Stable machine-readable code, e.g. `required`, `bad_email`, `too_long`"
    )
    detail: str = Field(..., description="Human-readable, in the request's language")


class ErrorOut(Schema):
    """Every error answer: a stable ``code`` and a human ``detail`` (in the request's language). Errors about
    input may name one ``field`` and list ``errors``; a few answers add their own keys (booking ``offers``...)."""

    code: str = Field(..., description="Stable machine-readable code (docs/api.md lists them)")
    detail: str = Field(..., description="Human-readable, in the request's language")
    field: str | None = Field(None, description="The one field the error is about, when there is one")
    errors: list[ErrorItem] | None = Field(None, description="Each problem, when there are several")


ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422, 429)


def errors(*statuses: int) -> dict[int, type[Schema]]:
    """The error answers of an operation, for its ``response={...}``: ``{200: X, **errors(404, 422)}``.

    Every operation can answer 400 (``bad_input``: a NUL character anywhere in the request), 401 (no token,
    or one that is unknown or revoked) and 413 (``too_large``: a body over the limit, refused before it is
    read); list the others it really answers: 403 (a
    rule refuses the caller), 404 (an object of the path, or the event, that the token may not see), 409
    (the state does not allow it, ``busy``: every change may be asked to retry), 422 (body, query or a
    referenced id not valid), 429 (too many requests). An answer with more keys declares its own schema
    after these (``{**errors(404), 409: BookingErrorOut}``).
    """
    unknown = set(statuses) - set(ERROR_STATUSES)
    if unknown:
        raise ValueError(f"not an error status of the API: {sorted(unknown)}")
    answers: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 413: ErrorOut}
    answers.update(dict.fromkeys(statuses, ErrorOut))
    return dict(sorted(answers.items()))


# --- enums -------------------------------------------------------------------------------------------------


def codes(choices: Iterable) -> tuple[str, ...]:
    """The stored values of a model's ``choices`` (``[(value, label), ...]``) or of a list of values."""
    return tuple(item[0] if isinstance(item, (tuple, list)) else item for item in choices)


def one_of(choices: Iterable) -> Any:
    """An answer field's type: one of the values of ``choices`` (an enum in the OpenAPI document)."""
    return Literal[codes(choices)]  # Literal[("a", "b")] is Literal["a", "b"]


def choice_in(choices: Iterable, *, max_length: int, description: str = "") -> Any:
    """A request field's type: a string documented as one of ``choices``. The service checks the value, so a
    wrong one is answered with its own code (``bad_choice``, ``bad_status``, ``bad_filter``) and message."""
    return Annotated[
        str,
        Field(
            max_length=max_length,
            description=description or None,
            json_schema_extra={"enum": list(codes(choices))},
        ),
    ]


# --- jobs --------------------------------------------------------------------------------------------------


class JobProgress(Schema):
    done: int
    total: int
    percent: int | None


class JobFile(Schema):
    name: str
    content_type: str
    url: str


class JobOut(Schema):
    """A background job (``core.jobs.as_dict``): poll ``GET /api/jobs/{id}`` until ``state`` is ``succeeded``
    or ``failed``; ``page`` is its progress page in the browser."""

    id: str
    kind: str
    label: str
    scope: str
    state: one_of(Job.STATES)
    progress: JobProgress
    message: str
    result: dict | None
    error: str
    file: JobFile | None
    attempts: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    page: str
