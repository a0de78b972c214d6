"""REST API: a session's live settings (organizers). Every rule lives in ``live.streams``.

Times leave in the event's time zone with their offset; a time without an offset arrives in it too. The
video itself is uploaded on the back-office page (a file of gigabytes is no JSON body).
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from summit.core.schemas import errors, one_of
from summit.events.roles import token_event
from summit.live import streams
from summit.live.access import stage_of
from summit.live.models import Stage
from summit.program import services as program_services

router = Router(tags=["live"])


class StageOut(Schema):
    session: int
    access: one_of(Stage.ACCESS_CHOICES)
    stream_kind: one_of(Stage.STREAM_CHOICES)
    stream_url: str
    embed_url: str
    video_url: str
    video_uploaded: bool = Field(description="A video was uploaded on the back-office page")
    video_ready: bool = Field(description="The uploaded video is packaged and can be broadcast")
    video_seconds: float | None
    package_job: str | None = Field(None, description="The packaging job's id (GET /api/jobs/{id})")
    broadcast_start: datetime | None
    replay: bool
    qa: bool
    qa_moderated: bool
    chat: bool


class StageIn(Schema):
    model_config = ConfigDict(extra="forbid")

    access: one_of(Stage.ACCESS_CHOICES) = None
    stream_kind: one_of(Stage.STREAM_CHOICES) = None
    stream_url: str = Field(None, max_length=streams.URL_MAX, description="http(s) address of an HLS stream")
    embed_url: str = Field(None, max_length=streams.URL_MAX, description="A player of an allowed platform")
    video_url: str = Field(
        None, max_length=streams.URL_MAX, description="http(s) address ending in .m3u8 or .mp4"
    )
    broadcast_start: datetime | None = Field(
        None, description="ISO 8601; without an offset, the event's time zone; null: none"
    )
    replay: bool = None
    qa: bool = None
    qa_moderated: bool = None
    chat: bool = None


def _out(session, event) -> dict:
    stage = stage_of(session)
    return {
        "session": session.pk,
        "access": stage.access,
        "stream_kind": stage.stream_kind,
        "stream_url": stage.stream_url,
        "embed_url": stage.embed_url,
        "video_url": stage.video_url,
        "video_uploaded": bool(stage.video_file),
        "video_ready": bool(stage.video_hls),
        "video_seconds": stage.video_seconds,
        "package_job": str(stage.package_job_id) if stage.package_job_id else None,
        "broadcast_start": timezone.localtime(stage.broadcast_start, event.tz)
        if stage.broadcast_start
        else None,
        "replay": stage.replay,
        "qa": stage.qa,
        "qa_moderated": stage.qa_moderated,
        "chat": stage.chat,
    }


@router.get(
    "{slug}/sessions/{int:session_id}/stage",
    response={200: StageOut, **errors(404)},
    summary="A session's live settings (organizers)",
)
def get_stage(request: HttpRequest, slug: str, session_id: int):
    event = token_event(request, slug, organizer=True)
    session = program_services.get_session(event, session_id)
    return _out(session, event)


@router.patch(
    "{slug}/sessions/{int:session_id}/stage",
    response={200: StageOut, **errors(404, 409, 422)},
    summary="Change a session's live settings (organizers)",
)
def update_stage(request: HttpRequest, slug: str, session_id: int, payload: StageIn):
    """A non-http(s) address, a platform that may not be embedded (``embed_host``), a video address not
    ending in .m3u8/.mp4 (``video_url``), or a stream kind without its address → 422 with the ``field``."""
    event = token_event(request, slug, organizer=True)
    session = program_services.get_session(event, session_id)
    fields = payload.model_dump(exclude_unset=True)
    for name in ("stream_url", "embed_url", "video_url"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    streams.save_stage(session=session, actor=request.auth.user, **fields)
    return _out(session, event)


@router.delete(
    "{slug}/sessions/{int:session_id}/stage/video",
    response={200: StageOut, **errors(404, 409, 422)},
    summary="Remove a session's uploaded video (organizers)",
)
def remove_stage_video(request: HttpRequest, slug: str, session_id: int):
    """Its files are deleted. No uploaded video (``no_video``), or a scheduled broadcast without another
    video address (``video_in_use``) → 422."""
    event = token_event(request, slug, organizer=True)
    session = program_services.get_session(event, session_id)
    streams.remove_video(session=session, actor=request.auth.user)
    return _out(session, event)
