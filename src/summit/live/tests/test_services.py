"""The rules of a live room: who may watch, ask, vote, chat and moderate, and what each change publishes."""

from __future__ import annotations

import json

import pytest

from summit.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from summit.core.models import AuditEntry
from summit.core.ratelimit import RateLimited
from summit.live import services
from summit.live.models import ChatMessage, Poll, Question, QuestionVote
from summit.live.testing import make_room, viewer_of
from summit.program.models import Booking
from summit.registration.models import Participant
from summit.registration.testing import make_delegate

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """What the services publish, as (topic, payload decoded from its one encoding)."""
    sent = []

    def capture(topic, payload, using=None):
        from summit.core.live import encode

        sent.append((topic, json.loads(encode(payload))))

    monkeypatch.setattr(services, "publish_after_commit", capture)
    return sent


@pytest.fixture
def room(event, categories):
    return make_room(event)


@pytest.fixture
def alice(event, categories):
    return make_delegate(
        event,
        categories["company"],
        given_name="Alice",
        family_name="Martin",
        given_name_latin="Alice",
        family_name_latin="Martin",
        name_order=Participant.GIVEN_FIRST,
    )


@pytest.fixture
def bob(event, categories):
    return make_delegate(event, categories["company"])


@pytest.fixture
def moderator(room, event, categories):
    person = make_delegate(event, categories["company"], given_name="Mo", family_name="Li")
    room.forum.moderators.add(person)
    return person


def topics(sent):
    return [(t, p["kind"]) for t, p in sent]


# --- who may do what ---------------------------------------------------------------------------------------


def test_access_decides_who_watches_and_takes_part(event, categories, organizer):
    public = make_room(event, access="public")
    approved = make_room(event, access="approved")
    booked = make_room(event, access="booked")
    approved_person = make_delegate(event, categories["company"])
    waiting = make_delegate(event, categories["company"], status=Participant.SUBMITTED)
    holder = make_delegate(event, categories["company"])
    Booking.objects.create(session=booked, participant=holder, mode="online", status=Booking.BOOKED)
    waitlisted = make_delegate(event, categories["company"])
    Booking.objects.create(
        session=booked, participant=waitlisted, mode="onsite", status=Booking.WAITLISTED, waitlist_position=1
    )

    def can(session, person=None, user=None):
        v = viewer_of(session, person, user=user)
        return v.can_watch, v.can_take_part, v.can_moderate

    assert can(public) == (True, False, False)  # anyone watches; only participants speak
    assert can(public, approved_person) == (True, True, False)
    assert can(public, waiting) == (True, False, False)
    assert can(approved) == (False, False, False)
    assert can(approved, approved_person) == (True, True, False)
    assert can(approved, waiting) == (False, False, False)
    assert can(booked, approved_person) == (False, False, False)
    assert can(booked, holder) == (True, True, False)
    assert can(booked, waitlisted) == (False, False, False)  # a waitlist spot is not a place
    assert can(booked, user=organizer)[0] and can(booked, user=organizer)[2]


def test_a_forum_moderator_moderates_only_their_forum(event, categories, room):
    mo = make_delegate(event, categories["company"])
    room.forum.moderators.add(mo)
    other = make_room(event)
    assert viewer_of(room, mo).can_moderate
    assert not viewer_of(other, mo).can_moderate


# --- questions ---------------------------------------------------------------------------------------------


def test_a_question_is_visible_at_once_without_moderation(room, alice, bob, published):
    q = services.ask(viewer=viewer_of(room, alice), text="  What about <b>cross-border</b> data?  ")
    assert q.status == Question.VISIBLE and q.text == "What about <b>cross-border</b> data?"
    assert topics(published) == [(f"session:{room.pk}:mod", "question"), (f"session:{room.pk}", "question")]
    assert published[1][1]["question"]["author"] == "Alice Martin"
    state = services.room_state(viewer_of(room, bob))
    assert [x["text"] for x in state["questions"]] == [q.text]


def test_anonymous_questions_hide_the_author_from_the_audience_but_not_from_moderators(
    room, alice, bob, moderator, published
):
    services.ask(viewer=viewer_of(room, alice), text="Who pays?", anonymous=True)
    audience = dict(published)[f"session:{room.pk}"]["question"]
    mods = dict(published)[f"session:{room.pk}:mod"]["question"]
    assert audience["author"] is None and "author_id" not in audience
    assert mods["author"] == "Alice Martin" and mods["author_id"] == alice.pk
    assert services.room_state(viewer_of(room, bob))["questions"][0]["author"] is None
    assert services.room_state(viewer_of(room, moderator))["questions"][0]["author"] == "Alice Martin"
    assert services.room_state(viewer_of(room, alice))["questions"][0]["mine"] is True


def test_with_moderation_questions_wait_for_a_moderator(event, alice, bob, moderator, published):
    room = make_room(event, qa_moderated=True)
    room.forum.moderators.add(moderator)
    q = services.ask(viewer=viewer_of(room, alice), text="Pending?")
    assert q.status == Question.PENDING
    assert topics(published) == [
        (f"session:{room.pk}:mod", "question"),
        (f"session:{room.pk}", "question_removed"),
    ]
    assert services.room_state(viewer_of(room, bob))["questions"] == []
    assert [x["status"] for x in services.room_state(viewer_of(room, moderator))["questions"]] == ["pending"]
    with pytest.raises(NotFound):
        services.vote(viewer=viewer_of(room, bob), question_id=q.pk)  # not visible yet

    published.clear()
    services.moderate(viewer=viewer_of(room, moderator), question_id=q.pk, action="approve")
    assert topics(published) == [(f"session:{room.pk}:mod", "question"), (f"session:{room.pk}", "question")]
    assert [x["text"] for x in services.room_state(viewer_of(room, bob))["questions"]] == ["Pending?"]
    assert AuditEntry.objects.filter(action="question.moderated", object_id=str(q.pk)).exists()


def test_one_upvote_per_person_and_the_order_follows_the_votes(room, alice, bob, moderator, published):
    first = services.ask(viewer=viewer_of(room, alice), text="First")
    second = services.ask(viewer=viewer_of(room, alice), text="Second")
    services.vote(viewer=viewer_of(room, bob), question_id=second.pk)
    with pytest.raises(Conflict) as exc:
        services.vote(viewer=viewer_of(room, bob), question_id=second.pk)
    assert exc.value.code == "already_voted"
    assert QuestionVote.objects.filter(question=second).count() == 1
    state = services.room_state(viewer_of(room, bob))
    assert [(x["text"], x["votes"], x["voted"]) for x in state["questions"]] == [
        ("Second", 1, True),
        ("First", 0, False),
    ]
    services.unvote(viewer=viewer_of(room, bob), question_id=second.pk)
    with pytest.raises(Conflict):
        services.unvote(viewer=viewer_of(room, bob), question_id=second.pk)
    services.moderate(viewer=viewer_of(room, moderator), question_id=first.pk, action="pin")
    assert [x["text"] for x in services.room_state(viewer_of(room, bob))["questions"]] == ["First", "Second"]


def test_hidden_questions_leave_every_page_and_cannot_be_voted(room, alice, bob, moderator, published):
    q = services.ask(viewer=viewer_of(room, alice), text="Spam")
    published.clear()
    services.moderate(viewer=viewer_of(room, moderator), question_id=q.pk, action="hide")
    assert (f"session:{room.pk}", "question_removed") in topics(published)
    with pytest.raises(NotFound):
        services.vote(viewer=viewer_of(room, bob), question_id=q.pk)
    assert services.room_state(viewer_of(room, bob))["questions"] == []


def test_moderators_fix_typos_and_mark_answered(room, alice, moderator, published):
    q = services.ask(viewer=viewer_of(room, alice), text="Waht is the plan?")
    services.moderate(
        viewer=viewer_of(room, moderator), question_id=q.pk, action="edit", text="What is the plan?"
    )
    services.moderate(viewer=viewer_of(room, moderator), question_id=q.pk, action="answered")
    q.refresh_from_db()
    assert q.text == "What is the plan?" and q.answered and q.edited_at
    entry = AuditEntry.objects.get(action="question.edited")
    assert entry.data == {"before": "Waht is the plan?", "after": "What is the plan?"}
    with pytest.raises(ValidationFailed) as exc:
        services.moderate(viewer=viewer_of(room, moderator), question_id=q.pk, action="explode")
    assert exc.value.field == "action"


def test_a_moderator_action_by_anyone_else_is_refused_and_changes_nothing(room, alice, bob, published):
    q = services.ask(viewer=viewer_of(room, alice), text="Mine")
    for action in ("hide", "pin", "approve", "answered"):
        with pytest.raises(Forbidden) as exc:
            services.moderate(viewer=viewer_of(room, bob), question_id=q.pk, action=action)
        assert exc.value.code == "not_moderator"
    q.refresh_from_db()
    assert (q.status, q.pinned, q.answered) == (Question.VISIBLE, False, False)


def test_bad_questions_get_a_specific_error(room, alice):
    with pytest.raises(ValidationFailed) as exc:
        services.ask(viewer=viewer_of(room, alice), text="x" * 10_000)
    assert exc.value.code == "too_long" and "10000" in exc.value.detail
    with pytest.raises(ValidationFailed) as exc:
        services.ask(viewer=viewer_of(room, alice), text=" \u200b ")
    assert exc.value.code == "empty"
    assert not Question.objects.exists()


def test_a_session_one_may_not_see_answers_not_found(event, categories, alice):
    booked = make_room(event, access="booked")
    with pytest.raises(NotFound):
        services.ask(viewer=viewer_of(booked, alice), text="Hello?")
    with pytest.raises(NotFound):
        services.room_state(viewer_of(booked, alice))
    public = make_room(event, access="public")
    with pytest.raises(Forbidden):
        services.ask(viewer=viewer_of(public), text="Anonymous visitor")


def test_questions_are_limited_per_person(room, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "question": "2/300"}
    services.ask(viewer=viewer_of(room, alice), text="1")
    services.ask(viewer=viewer_of(room, alice), text="2")
    with pytest.raises(RateLimited):
        services.ask(viewer=viewer_of(room, alice), text="3")


# --- chat --------------------------------------------------------------------------------------------------


def test_chat_is_rate_limited_per_person_with_a_message(room, alice, bob, settings, published):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "chat": "3/30"}
    for i in range(3):
        services.post_chat(viewer=viewer_of(room, alice), text=f"hello {i}")
    with pytest.raises(RateLimited) as exc:
        services.post_chat(viewer=viewer_of(room, alice), text="flood")
    assert exc.value.status == 429 and "again" in exc.value.detail
    services.post_chat(viewer=viewer_of(room, bob), text="I can still talk")  # others are not slowed
    assert ChatMessage.objects.count() == 4
    assert [p["message"]["text"] for t, p in published][-1] == "I can still talk"


def test_moderators_delete_messages_and_people_report_them(room, alice, bob, moderator, published):
    message = services.post_chat(viewer=viewer_of(room, alice), text="<script>alert(1)</script>")
    with pytest.raises(ValidationFailed) as own:
        services.report_chat(viewer=viewer_of(room, alice), message_id=message.pk)
    assert own.value.code == "own_message"
    assert [m["mine"] for m in services.room_state(viewer_of(room, alice))["chat"]] == [True]
    assert [m["mine"] for m in services.room_state(viewer_of(room, bob))["chat"]] == [False]
    services.report_chat(viewer=viewer_of(room, bob), message_id=message.pk, reason="spam")
    with pytest.raises(Conflict):
        services.report_chat(viewer=viewer_of(room, bob), message_id=message.pk)
    assert (f"session:{room.pk}:mod", "report") in topics(published)
    with pytest.raises(Forbidden):
        services.delete_chat(viewer=viewer_of(room, bob), message_id=message.pk)
    services.delete_chat(viewer=viewer_of(room, moderator), message_id=message.pk)
    assert (f"session:{room.pk}", "chat_deleted") in topics(published)
    assert services.room_state(viewer_of(room, bob))["chat"] == []
    with pytest.raises(NotFound):
        services.delete_chat(viewer=viewer_of(room, moderator), message_id=message.pk)


def test_a_closed_chat_refuses_messages(event, alice):
    room = make_room(event, chat=False)
    with pytest.raises(Forbidden) as exc:
        services.post_chat(viewer=viewer_of(room, alice), text="hi")
    assert exc.value.code == "chat_closed"


# --- polls -------------------------------------------------------------------------------------------------


def test_a_poll_opens_collects_one_ballot_per_person_and_closes(room, alice, bob, moderator, published):
    mod = viewer_of(room, moderator)
    poll = services.create_poll(
        viewer=mod,
        question_en="Best format?",
        question_zh="最佳形式？",
        options=[{"text_en": "Panel", "text_zh": "圆桌"}, "Keynote"],
    )
    assert topics(published) == [(f"session:{room.pk}:mod", "poll")]  # the audience does not see a draft
    with pytest.raises(NotFound):
        services.answer_poll(
            viewer=viewer_of(room, alice), poll_id=poll.pk, option_ids=[poll.options.first().pk]
        )
    services.set_poll_status(viewer=mod, poll_id=poll.pk, status="open")
    panel, keynote = poll.options.all()
    services.answer_poll(viewer=viewer_of(room, alice), poll_id=poll.pk, option_ids=[panel.pk])
    with pytest.raises(Conflict) as exc:
        services.answer_poll(viewer=viewer_of(room, alice), poll_id=poll.pk, option_ids=[keynote.pk])
    assert exc.value.code == "already_answered"
    with pytest.raises(ValidationFailed) as exc:
        services.answer_poll(viewer=viewer_of(room, bob), poll_id=poll.pk, option_ids=[panel.pk, keynote.pk])
    assert exc.value.code == "one_answer"
    services.answer_poll(viewer=viewer_of(room, bob), poll_id=poll.pk, option_ids=[keynote.pk])
    results = published[-1][1]["poll"]
    assert published[-1][0] == f"session:{room.pk}" and results["ballots"] == 2
    assert [o["votes"] for o in results["options"]] == [1, 1]
    services.set_poll_status(viewer=mod, poll_id=poll.pk, status="closed")
    late = make_delegate(room.event)
    with pytest.raises(Conflict) as exc:
        services.answer_poll(viewer=viewer_of(room, late), poll_id=poll.pk, option_ids=[panel.pk])
    assert exc.value.code == "poll_closed"
    assert Poll.objects.get().status == "closed"


def test_a_multiple_choice_poll_takes_several_answers_once(room, alice, moderator):
    mod = viewer_of(room, moderator)
    poll = services.create_poll(
        viewer=mod, question_en="Topics?", options=["AI", "Data", "Trade"], multiple=True
    )
    services.set_poll_status(viewer=mod, poll_id=poll.pk, status="open")
    ai, data, trade = poll.options.all()
    services.answer_poll(viewer=viewer_of(room, alice), poll_id=poll.pk, option_ids=[ai.pk, trade.pk])
    assert [o.votes for o in poll.options.all()] == [1, 0, 1]
    other_poll = services.create_poll(viewer=mod, question_en="Other?", options=["A", "B"])
    services.set_poll_status(viewer=mod, poll_id=other_poll.pk, status="open")
    with pytest.raises(ValidationFailed):  # an answer of another poll
        services.answer_poll(viewer=viewer_of(room, alice), poll_id=other_poll.pk, option_ids=[ai.pk])


def test_a_poll_needs_two_to_ten_answers_and_a_moderator(room, alice, moderator):
    with pytest.raises(ValidationFailed) as exc:
        services.create_poll(viewer=viewer_of(room, moderator), question_en="Alone?", options=["Only one"])
    assert exc.value.field == "options"
    with pytest.raises(Forbidden):
        services.create_poll(viewer=viewer_of(room, alice), question_en="Mine?", options=["A", "B"])
    assert not Poll.objects.exists()
