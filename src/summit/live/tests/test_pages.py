"""The live room pages: who sees what, the form posts behind them (with and without script), and text that
stays text."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from summit.live import services
from summit.live.models import ChatMessage, Question
from summit.live.testing import make_room, viewer_of
from summit.registration.models import Participant
from summit.registration.testing import make_delegate

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def page(session):
    return reverse("live:room", args=[session.event.slug, session.pk])


def act(session, what, pk=None):
    if pk is None:
        return reverse("live:act", args=[session.event.slug, session.pk, what])
    return reverse("live:act_on", args=[session.event.slug, session.pk, what, pk])


def embedded_state(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="live-state" type="application/json">') + len(
        '<script id="live-state" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


@pytest.fixture
def room(event, categories):
    return make_room(event)


@pytest.fixture
def delegate(event, categories):
    return make_delegate(event, categories["company"])


def test_the_room_shows_what_the_viewer_may_do(client, room, delegate, event, categories):
    response = client.get(page(room))
    assert response.status_code == 200
    assert b'id="signin-to-watch"' in response.content and b"live-state" not in response.content
    client.force_login(delegate.user)
    response = client.get(page(room))
    state = embedded_state(response)
    assert state["can_take_part"] and not state["can_moderate"]
    assert b'data-live-form="ask"' in response.content and b"Prepare a poll" not in response.content
    pending = make_delegate(event, categories["company"], status=Participant.SUBMITTED)
    client.force_login(pending.user)
    assert (
        b"has not been approved yet" in client.get(page(room)).content
        and b'id="player-refused"' in client.get(page(room)).content
    )


def test_a_public_room_tells_an_anonymous_viewer_how_to_take_part(client, event, categories):
    public = make_room(event, access="public")
    html = client.get(page(public)).content.decode()
    assert 'id="watch-only"' in html and "sign in as a participant" in html
    assert 'data-live-form="ask"' not in html and 'id="live-room"' in html


def test_a_question_with_html_is_stored_and_shown_as_text(client, room, delegate):
    client.force_login(delegate.user)
    response = client.post(act(room, "ask"), {"text": "<script>alert('x')</script> & <b>bold</b>"})
    assert response.status_code == 302 and response["Location"] == page(room)
    question = Question.objects.get()
    assert question.text == "<script>alert('x')</script> & <b>bold</b>"
    html = client.get(page(room)).content.decode()
    assert "<script>alert" not in html  # only inside the JSON, escaped
    assert embedded_state(client.get(page(room)))["questions"][0]["text"] == question.text


def test_script_posts_get_json_answers_with_specific_errors(client, room, delegate, settings):
    client.force_login(delegate.user)
    ok = client.post(act(room, "ask"), {"text": "Why?"}, **JSON)
    assert ok.status_code == 200 and ok.json()["ok"] is True
    qid = Question.objects.get().pk
    assert client.post(act(room, "vote", qid), **JSON).status_code == 200
    twice = client.post(act(room, "vote", qid), **JSON)
    assert twice.status_code == 409 and twice.json()["code"] == "already_voted"
    long = client.post(act(room, "ask"), {"text": "x" * 10_000}, **JSON)
    assert long.status_code == 422 and long.json()["field"] == "text"
    mod = client.post(act(room, "moderate", qid), {"action": "hide"}, **JSON)
    assert mod.status_code == 403 and mod.json()["code"] == "not_moderator"
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "chat": "1/30"}
    assert client.post(act(room, "chat"), {"text": "one"}, **JSON).status_code == 200
    flood = client.post(act(room, "chat"), {"text": "two"}, **JSON)
    assert flood.status_code == 429 and int(flood["Retry-After"]) > 0 and flood.json()["detail"]
    assert ChatMessage.objects.count() == 1


def test_without_script_an_error_comes_back_as_a_message_on_the_page(client, room, delegate):
    client.force_login(delegate.user)
    response = client.post(act(room, "ask"), {"text": ""}, follow=True)
    assert response.redirect_chain[-1][0] == page(room)
    assert "Please write something first." in response.content.decode()


def test_a_room_one_may_not_see_is_not_found_for_every_action(client, event, delegate):
    booked = make_room(event, access="booked")
    client.force_login(delegate.user)
    for what in ("ask", "chat", "vote", "create_poll"):
        assert client.post(act(booked, what), {"text": "hi"}, **JSON).status_code == 404
    assert client.get(reverse("live:state", args=[event.slug, booked.pk])).status_code == 404
    assert client.get(reverse("live:display", args=[event.slug, booked.pk])).status_code == 404
    assert client.post(act(booked, "explode"), **JSON).status_code == 404
    assert not Question.objects.exists()


def test_moderators_get_the_display_and_every_question(client, room, delegate, event, categories):
    mo = make_delegate(event, categories["company"])
    room.forum.moderators.add(mo)
    services.ask(viewer=viewer_of(room, delegate), text="Anonymous one", anonymous=True)
    client.force_login(delegate.user)
    assert client.get(reverse("live:display", args=[event.slug, room.pk])).status_code == 404
    client.force_login(mo.user)
    display = client.get(reverse("live:display", args=[event.slug, room.pk]))
    assert display.status_code == 200
    assert embedded_state(display)["questions"][0]["author"]  # moderators see the author
    state = client.get(reverse("live:state", args=[event.slug, room.pk])).json()
    assert state["can_moderate"] and state["questions"][0]["author_id"] == delegate.pk


def test_a_moderator_prepares_and_opens_a_poll_from_the_page(client, room, event, categories, delegate):
    mo = make_delegate(event, categories["company"])
    room.forum.moderators.add(mo)
    client.force_login(mo.user)
    response = client.post(
        act(room, "create_poll"),
        {
            "question_en": "Which?",
            "question_zh": "哪个？",
            "option_en": ["A", "B", "", ""],
            "option_zh": ["甲", "", "", ""],
        },
        **JSON,
    )
    assert response.status_code == 200, response.content
    poll = room.polls.get()
    assert [(o.text_en, o.text_zh) for o in poll.options.all()] == [("A", "甲"), ("B", "")]
    assert client.post(act(room, "poll_status", poll.pk), {"status": "open"}, **JSON).status_code == 200
    client.force_login(delegate.user)
    option = poll.options.first().pk
    assert client.post(act(room, "answer", poll.pk), {"options": [option]}, **JSON).status_code == 200
    assert client.post(act(room, "answer", poll.pk), {"options": [option]}, **JSON).status_code == 409
