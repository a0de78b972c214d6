"""The live room pages: the room (questions, polls, chat) and the full-screen room display for the projector.

Actions are ordinary form posts to :func:`act`, so they work without script; ``static/summit/live.js``
sends the same forms with ``fetch`` (``Accept: application/json``) and gets ``{"ok": true, …}`` or the
error as ``{"code", "detail", "field"}`` with its status (422, 403, 404, 409, 429 with ``Retry-After``).
Every rule is in ``live.services``; who may do what is ``live.access``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from summit.core.errors import NotFound, SummitError
from summit.core.ratelimit import RateLimited, retry_after_header
from summit.live import access, services
from summit.live.models import CHAT_MAX, QUESTION_MAX
from summit.live.stream_views import player_context
from summit.program.models import Session


def _room_viewer(request: HttpRequest, slug: str, session_id: int) -> access.Viewer:
    session = (
        Session.objects.filter(event__slug=slug, pk=session_id)
        .select_related("event", "forum", "room")
        .first()
    )
    if session is None:
        raise Http404
    return access.viewer(session, request.user)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _page_context(viewer: access.Viewer) -> dict:
    session = viewer.session
    stage = access.stage_of(session)
    return {
        "event": session.event,
        "session": session,
        "stage": stage,
        "viewer": viewer,
        "state": services.room_state(viewer) if viewer.can_watch else None,
        "question_max": QUESTION_MAX,
        "chat_max": CHAT_MAX,
        "moderation_actions": services.MODERATION_ACTIONS,
        "poll_rows": range(1, services.POLL_OPTIONS_MAX + 1),
        "poll_rows_shown": 4,  # the others appear one by one with "Add an answer" (all of them without script)
    }


@require_GET
def room(request: HttpRequest, slug: str, session_id: int):
    """The live room: the player (``stream_views.player_context``), then questions, polls and chat."""
    viewer = _room_viewer(request, slug, session_id)
    player, csp_update = player_context(viewer.session.event, viewer.session, viewer)
    response = render(request, "live/room.html", {**_page_context(viewer), **player})
    if csp_update:
        response._csp_update = csp_update
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def display(request: HttpRequest, slug: str, session_id: int):
    """The projector's page: the top questions, large, updating live. Moderators and organizers only (it
    runs on the room's computer, signed in as one of them); the audience has the room page."""
    viewer = _room_viewer(request, slug, session_id)
    if not viewer.can_moderate:
        raise Http404
    return render(request, "live/display.html", _page_context(viewer))


@require_GET
def state(request: HttpRequest, slug: str, session_id: int):
    """The room's whole state as JSON: what a page reloads after the live connection says ``reset``."""
    viewer = _room_viewer(request, slug, session_id)
    try:
        return JsonResponse(services.room_state(viewer))
    except NotFound as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)


def _checked_ids(request: HttpRequest) -> list:
    return request.POST.getlist("options")


ACTIONS = {
    "ask": lambda v, r, pk: services.ask(
        viewer=v, text=r.POST.get("text", ""), anonymous=bool(r.POST.get("anonymous"))
    ),
    "vote": lambda v, r, pk: services.vote(viewer=v, question_id=pk),
    "unvote": lambda v, r, pk: services.unvote(viewer=v, question_id=pk),
    "moderate": lambda v, r, pk: services.moderate(
        viewer=v, question_id=pk, action=r.POST.get("action", ""), text=r.POST.get("text")
    ),
    "chat": lambda v, r, pk: services.post_chat(viewer=v, text=r.POST.get("text", "")),
    "delete_chat": lambda v, r, pk: services.delete_chat(viewer=v, message_id=pk),
    "report": lambda v, r, pk: services.report_chat(viewer=v, message_id=pk, reason=r.POST.get("reason", "")),
    "create_poll": lambda v, r, pk: services.create_poll(
        viewer=v,
        question_en=r.POST.get("question_en", ""),
        question_zh=r.POST.get("question_zh", ""),
        multiple=bool(r.POST.get("multiple")),
        options=[
            {"text_en": en, "text_zh": zh}
            for en, zh in zip(r.POST.getlist("option_en"), r.POST.getlist("option_zh") or [], strict=False)
        ]
        or r.POST.getlist("option_en"),
    ),
    "poll_status": lambda v, r, pk: services.set_poll_status(
        viewer=v, poll_id=pk, status=r.POST.get("status", "")
    ),
    "answer": lambda v, r, pk: services.answer_poll(viewer=v, poll_id=pk, option_ids=_checked_ids(r)),
}

DONE = {
    "ask": gettext_lazy("Your question was sent."),
    "ask_moderated": gettext_lazy("Your question was sent. It appears once a moderator approves it."),
    "report": gettext_lazy("Thank you: the moderators have been told."),
    "create_poll": gettext_lazy("The poll is ready; open it when you want the audience to answer."),
}


@require_POST
def act(request: HttpRequest, slug: str, session_id: int, what: str, pk: int | None = None):
    if what not in ACTIONS:
        raise Http404
    viewer = _room_viewer(request, slug, session_id)
    page = reverse("live:room", args=[slug, session_id])
    try:
        result = ACTIONS[what](viewer, request, pk)
    except SummitError as exc:
        if isinstance(exc, NotFound) and not viewer.can_watch:
            raise Http404 from None
        if _wants_json(request):
            response = JsonResponse(exc.as_dict(), status=exc.status)
            if isinstance(exc, RateLimited):
                retry_after_header(response, exc)
            return response
        messages.error(request, exc.detail)
        if isinstance(exc, RateLimited):
            response = redirect(page)
            retry_after_header(response, exc)
            return response
        return redirect(page)
    done = DONE.get("ask_moderated" if what == "ask" and result.status == "pending" else what, "")
    if _wants_json(request):
        # The id of what was written: the page marks its own chat messages (no "Report" on them).
        return JsonResponse({"ok": True, "message": str(done), "id": getattr(result, "pk", None)})
    if done:
        messages.success(request, done)
    return redirect(page)
