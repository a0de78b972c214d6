"""REST API of the live rooms (mounted under ``/api/events/`` by ``api/api.py``).

Every rule lives in the live app's services; this only translates.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from summit.core.schemas import errors
from summit.events.roles import token_event

router = Router(tags=["live"])


# --- attendance ---------------------------------------------------------------------------------------------


class AttendanceOut(Schema):
    """One visit of a participant to a session's live room (``left`` is null while they still watch)."""

    participant_id: int
    name: str
    name_latin: str
    email: str
    organization: str
    session_id: int
    session: str
    joined: datetime
    left: datetime | None
    minutes: int


@router.get(
    "{slug}/live/attendance",
    response={200: list[AttendanceOut], **errors(404)},
    summary="Who watched the live rooms, visit by visit (organizers)",
)
def live_attendance(request: HttpRequest, slug: str):
    """Every visit to every session's live room, session by session, times in the event's time zone."""
    from summit.live import attendance

    event = token_event(request, slug, organizer=True)
    return [asdict(row) for row in attendance.event_attendance(event)]
