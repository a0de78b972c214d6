"""The live room API: every role × every action, bad input, and what a refusal leaks (nothing)."""

from __future__ import annotations

import pytest

from summit.accounts.testing import api_call as call
from summit.accounts.testing import api_token as token_for
from summit.live import services
from summit.live.models import ChatMessage, Poll, Question
from summit.live.testing import make_room, viewer_of
from summit.registration.models import Participant
from summit.registration.testing import make_delegate

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(event, categories, organizer, other_event):
    room = make_room(event, access="approved")
    people = {
        "approved": make_delegate(event, categories["company"]),
        "unapproved": make_delegate(event, categories["company"], status=Participant.SUBMITTED),
        "moderator": make_delegate(event, categories["company"]),
    }
    room.forum.moderators.add(people["moderator"])
    outsider = make_delegate(other_event)
    tokens = {name: token_for(p.user, event) for name, p in people.items()}
    tokens["organizer"] = token_for(organizer, event)
    tokens["other_event"] = token_for(outsider.user, other_event)
    tokens["anonymous"] = None
    author = make_delegate(event, categories["company"])
    question = services.ask(viewer=viewer_of(room, author), text="Seed question")
    message = services.post_chat(viewer=viewer_of(room, author), text="Seed message")
    poll = services.create_poll(
        viewer=viewer_of(room, people["moderator"]), question_en="Q?", options=["A", "B"]
    )
    services.set_poll_status(viewer=viewer_of(room, people["moderator"]), poll_id=poll.pk, status="open")
    return room, tokens, question, message, poll


def actions(room, question, message, poll):
    base = f"wic/sessions/{room.pk}"
    option = poll.options.first().pk
    return {
        "watch": ("get", f"{base}/live", None),
        "ask": ("post", f"{base}/questions", {"text": "Matrix question"}),
        "vote": ("post", f"{base}/questions/{question.pk}/vote", None),
        "chat": ("post", f"{base}/chat", {"text": "Matrix chat"}),
        "report": ("post", f"{base}/chat/{message.pk}/report", {"reason": "rude"}),
        "answer": ("post", f"{base}/polls/{poll.pk}/answer", {"options": [option]}),
        "moderate": ("post", f"{base}/questions/{question.pk}/moderate", {"action": "pin"}),
        "delete_chat": ("delete", f"{base}/chat/{message.pk}", None),
        "create_poll": (
            "post",
            f"{base}/polls",
            {"question_en": "New?", "options": [{"text_en": "X"}, {"text_en": "Y"}]},
        ),
        "close_poll": ("post", f"{base}/polls/{poll.pk}/status", {"status": "closed"}),
    }


OK = {"get": 200, "post": (200, 201, 204), "delete": 204}
# role -> what it gets for (watch, take part, moderate) actions; None: allowed
EXPECTED = {
    "anonymous": {"watch": 401, "take_part": 401, "moderate": 401},
    "other_event": {"watch": 404, "take_part": 404, "moderate": 404},
    "unapproved": {"watch": 404, "take_part": 404, "moderate": 404},
    "approved": {"watch": None, "take_part": None, "moderate": 403},
    "moderator": {"watch": None, "take_part": None, "moderate": None},
    "organizer": {"watch": None, "take_part": 403, "moderate": None},  # staff without a registration
}
KIND = {
    "watch": "watch",
    "ask": "take_part",
    "vote": "take_part",
    "chat": "take_part",
    "report": "take_part",
    "answer": "take_part",
    "moderate": "moderate",
    "delete_chat": "moderate",
    "create_poll": "moderate",
    "close_poll": "moderate",
}


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("action", list(KIND))
def test_role_by_action(client, world, role, action):
    room, tokens, question, message, poll = world
    before = (
        Question.objects.count(),
        ChatMessage.objects.filter(deleted_at=None).count(),
        Poll.objects.count(),
    )
    method, path, body = actions(room, question, message, poll)[action]
    response = call(client, method, path, tokens[role], body)
    expected = EXPECTED[role][KIND[action]]
    if expected is None:
        ok = OK[method]
        assert response.status_code in (ok if isinstance(ok, tuple) else (ok,)), response.content
        return
    assert response.status_code == expected, response.content
    if expected == 404:
        # exactly the answer for a session that does not exist: nothing tells the two apart
        missing = call(client, "get", "wic/sessions/999999/live", tokens[role])
        assert response.json() == missing.json() or response.json()["code"] == "not_found"
        assert "Seed" not in response.content.decode()
    after = (
        Question.objects.count(),
        ChatMessage.objects.filter(deleted_at=None).count(),
        Poll.objects.count(),
    )
    assert after == before
    assert Question.objects.get(pk=question.pk).pinned is False


def test_the_api_walks_through_a_question_and_a_poll(client, world):
    room, tokens, question, message, poll = world
    base = f"wic/sessions/{room.pk}"
    asked = call(
        client,
        "post",
        f"{base}/questions",
        tokens["approved"],
        {"text": "<img src=x onerror=alert(1)>", "anonymous": True},
    )
    assert asked.status_code == 201 and asked.json()["text"] == "<img src=x onerror=alert(1)>"
    assert asked.json()["author"] is None and asked.json()["mine"] is True
    qid = asked.json()["id"]
    assert call(client, "post", f"{base}/questions/{qid}/vote", tokens["moderator"]).json()["votes"] == 1
    again = call(client, "post", f"{base}/questions/{qid}/vote", tokens["moderator"])
    assert again.status_code == 409 and again.json()["code"] == "already_voted"
    state = call(client, "get", f"{base}/live", tokens["moderator"]).json()
    mine = next(q for q in state["questions"] if q["id"] == qid)
    assert mine["author"] and mine["voted"] is True  # moderators see who asked
    audience = call(client, "get", f"{base}/live", tokens["organizer"]).json()
    assert (
        next(q for q in audience["questions"] if q["id"] == qid)["author_id"] is not None
    )  # organizers moderate
    first = call(
        client,
        "post",
        f"{base}/polls/{poll.pk}/answer",
        tokens["approved"],
        {"options": [poll.options.first().pk]},
    )
    assert first.status_code == 201 and first.json()["ballots"] == 1
    twice = call(
        client,
        "post",
        f"{base}/polls/{poll.pk}/answer",
        tokens["approved"],
        {"options": [poll.options.first().pk]},
    )
    assert twice.status_code == 409 and twice.json()["code"] == "already_answered"


def test_bad_input_gets_a_specific_error(client, world, settings):
    room, tokens, question, message, poll = world
    base = f"wic/sessions/{room.pk}"
    long = call(client, "post", f"{base}/questions", tokens["approved"], {"text": "x" * 10_000})
    assert long.status_code == 422 and long.json()["code"] == "too_long"
    assert long.json()["field"] == "text"
    extra = call(client, "post", f"{base}/questions", tokens["approved"], {"text": "ok", "admin": True})
    assert extra.status_code == 422
    bad_action = call(
        client, "post", f"{base}/questions/{question.pk}/moderate", tokens["moderator"], {"action": "nuke"}
    )
    assert bad_action.status_code == 422
    hidden = call(
        client, "post", f"{base}/questions/{question.pk}/moderate", tokens["moderator"], {"action": "hide"}
    )
    assert hidden.status_code == 200
    vote_hidden = call(client, "post", f"{base}/questions/{question.pk}/vote", tokens["approved"])
    assert vote_hidden.status_code == 404 and vote_hidden.json()["code"] == "question_not_found"
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "chat": "2/30"}
    codes = [
        call(client, "post", f"{base}/chat", tokens["approved"], {"text": f"m{i}"}).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]
    flood = call(client, "post", f"{base}/chat", tokens["approved"], {"text": "again"})
    assert flood.json()["code"] == "rate_limited" and int(flood["Retry-After"]) > 0
