"""API shapes of core's objects (Django Ninja schemas), for the apps' routes that return them."""

from __future__ import annotations

from ninja import Schema


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
    state: str
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
