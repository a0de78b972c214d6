"""REST API of a session's live room: its state, questions, chat and polls.

The token acts as its user in the token's event; the rules are ``live.services`` (and ``live.access`` for
who may watch, take part and moderate). A session the caller may not watch is 404, like one that does not
exist; the live messages themselves come through the transport (``/live/sessions/<id>/socket``).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from summit.core.errors import NotFound
from summit.core.schemas import errors
from summit.events.roles import token_event
from summit.live import access, services
from summit.live.schemas import (
    AnswerIn,
    ChatIn,
    ChatOut,
    LiveRoomOut,
    ModerateIn,
    PollIn,
    PollOut,
    PollStatusIn,
    QuestionIn,
    QuestionOut,
    ReportIn,
)
from summit.program.models import Session

router = Router(tags=["live"])


def _viewer(request: HttpRequest, slug: str, session_id: int) -> access.Viewer:
    event = token_event(request, slug)
    session = Session.objects.filter(event=event, pk=session_id).select_related("event", "forum").first()
    if session is None:
        raise NotFound(_("This session's live room was not found."), code="not_found")
    participant = getattr(request.auth, "participant", None)
    return access.viewer(session, request.auth.user, participant)


def _question_out(viewer, question) -> dict:
    data = services.question_data(question, moderator=viewer.can_moderate)
    data["mine"] = viewer.participant is not None and question.author_id == viewer.participant.pk
    return data


@router.get(
    "{slug}/sessions/{int:session_id}/live",
    response={200: LiveRoomOut, **errors(404)},
    summary="A live room's state",
)
def room(request: HttpRequest, slug: str, session_id: int):
    """Questions (moderators also see those waiting), the latest chat messages and the polls with results."""
    return services.room_state(_viewer(request, slug, session_id))


@router.post(
    "{slug}/sessions/{int:session_id}/questions",
    response={201: QuestionOut, **errors(403, 404, 409, 422, 429)},
    summary="Ask a question",
)
def ask(request: HttpRequest, slug: str, session_id: int, payload: QuestionIn):
    viewer = _viewer(request, slug, session_id)
    question = services.ask(viewer=viewer, text=payload.text, anonymous=payload.anonymous)
    return Status(201, _question_out(viewer, question))


@router.post(
    "{slug}/sessions/{int:session_id}/questions/{int:question_id}/vote",
    response={200: QuestionOut, **errors(403, 404, 409)},
    summary="Upvote a question (once)",
)
def vote(request: HttpRequest, slug: str, session_id: int, question_id: int):
    viewer = _viewer(request, slug, session_id)
    return {**_question_out(viewer, services.vote(viewer=viewer, question_id=question_id)), "voted": True}


@router.delete(
    "{slug}/sessions/{int:session_id}/questions/{int:question_id}/vote",
    response={200: QuestionOut, **errors(403, 404, 409)},
    summary="Withdraw an upvote",
)
def unvote(request: HttpRequest, slug: str, session_id: int, question_id: int):
    viewer = _viewer(request, slug, session_id)
    return {**_question_out(viewer, services.unvote(viewer=viewer, question_id=question_id)), "voted": False}


@router.post(
    "{slug}/sessions/{int:session_id}/questions/{int:question_id}/moderate",
    response={200: QuestionOut, **errors(403, 404, 409, 422)},
    summary="Moderate a question (moderators)",
)
def moderate(request: HttpRequest, slug: str, session_id: int, question_id: int, payload: ModerateIn):
    """approve, hide, pin, unpin, answered, unanswered, or edit (with ``text``: fix a typo)."""
    viewer = _viewer(request, slug, session_id)
    question = services.moderate(
        viewer=viewer, question_id=question_id, action=payload.action, text=payload.text
    )
    return _question_out(viewer, question)


@router.post(
    "{slug}/sessions/{int:session_id}/chat",
    response={201: ChatOut, **errors(403, 404, 409, 422, 429)},
    summary="Write in the chat",
)
def chat(request: HttpRequest, slug: str, session_id: int, payload: ChatIn):
    viewer = _viewer(request, slug, session_id)
    return Status(201, services.chat_data(services.post_chat(viewer=viewer, text=payload.text)))


@router.delete(
    "{slug}/sessions/{int:session_id}/chat/{int:message_id}",
    response={204: None, **errors(403, 404, 409)},
    summary="Delete a chat message (moderators)",
)
def delete_chat(request: HttpRequest, slug: str, session_id: int, message_id: int):
    services.delete_chat(viewer=_viewer(request, slug, session_id), message_id=message_id)
    return Status(204, None)


@router.post(
    "{slug}/sessions/{int:session_id}/chat/{int:message_id}/report",
    response={204: None, **errors(403, 404, 409, 422, 429)},
    summary="Report a chat message to the moderators",
)
def report_chat(request: HttpRequest, slug: str, session_id: int, message_id: int, payload: ReportIn):
    """Once per person and message (409 ``already_reported``); the moderators see the report live."""
    services.report_chat(
        viewer=_viewer(request, slug, session_id), message_id=message_id, reason=payload.reason
    )
    return Status(204, None)


@router.post(
    "{slug}/sessions/{int:session_id}/polls",
    response={201: PollOut, **errors(403, 404, 409, 422)},
    summary="Prepare a poll (moderators)",
)
def create_poll(request: HttpRequest, slug: str, session_id: int, payload: PollIn):
    viewer = _viewer(request, slug, session_id)
    poll = services.create_poll(
        viewer=viewer,
        question_en=payload.question_en,
        question_zh=payload.question_zh,
        multiple=payload.multiple,
        options=[o.dict() for o in payload.options],
    )
    return Status(201, services.poll_data(poll))


@router.post(
    "{slug}/sessions/{int:session_id}/polls/{int:poll_id}/status",
    response={200: PollOut, **errors(403, 404, 409, 422)},
    summary="Open or close a poll (moderators)",
)
def poll_status(request: HttpRequest, slug: str, session_id: int, poll_id: int, payload: PollStatusIn):
    viewer = _viewer(request, slug, session_id)
    return services.poll_data(services.set_poll_status(viewer=viewer, poll_id=poll_id, status=payload.status))


@router.post(
    "{slug}/sessions/{int:session_id}/polls/{int:poll_id}/answer",
    response={201: PollOut, **errors(403, 404, 409, 422)},
    summary="Answer an open poll (once)",
)
def answer_poll(request: HttpRequest, slug: str, session_id: int, poll_id: int, payload: AnswerIn):
    viewer = _viewer(request, slug, session_id)
    ballot = services.answer_poll(viewer=viewer, poll_id=poll_id, option_ids=payload.options)
    return Status(201, {**services.poll_data(ballot.poll), "answered": payload.options})
