"""The demo's live rooms: every session has its settings, and the opening room has something to show."""

from __future__ import annotations

import pytest

from summit.core.testing import built_demo
from summit.events.models import Event
from summit.live import services
from summit.live.models import Poll, Question, QuestionVote, Stage
from summit.live.testing import viewer_of
from summit.program.models import Session
from summit.registration.demo import DELEGATE_EMAIL
from summit.registration.models import Participant

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with built_demo(django_db_blocker) as (output, _seconds):
        yield {"event": Event.objects.get(slug="wic2027"), "output": output}


def test_every_session_has_live_settings_and_the_opening_is_public(demo):
    event = demo["event"]
    sessions = list(Session.objects.filter(event=event).order_by("start", "pk"))
    assert Stage.objects.filter(session__event=event).count() == len(sessions)
    opening = sessions[0].stage
    assert opening.access == Stage.PUBLIC and opening.qa_moderated
    assert {s.stage.access for s in sessions} == {Stage.PUBLIC, Stage.APPROVED, Stage.BOOKED}
    assert f"/events/wic2027/sessions/{sessions[0].pk}/live/" in demo["output"]


def test_the_opening_room_has_questions_votes_and_an_open_poll_the_delegate_moderates(demo):
    event = demo["event"]
    opening = Session.objects.filter(event=event).order_by("start", "pk").first()
    for q in Question.objects.filter(session__event=event):
        assert q.votes == QuestionVote.objects.filter(question=q).count()
        assert not QuestionVote.objects.filter(question=q, participant=q.author).exists()
    poll = Poll.objects.get(session=opening)
    assert poll.status == Poll.OPEN and sum(o.votes for o in poll.options.all()) == poll.ballots.count() == 30
    delegate = Participant.objects.get(event=event, email=DELEGATE_EMAIL)
    state = services.room_state(viewer_of(opening, delegate))
    assert state["can_moderate"] and len(state["questions"]) >= 3 and state["chat"]
    anonymous = [q for q in state["questions"] if q["anonymous"]]
    audience = services.room_state(viewer_of(opening))  # an anonymous visitor of the public room
    assert not audience["can_take_part"]
    assert all(q["author"] is None for q in audience["questions"] if q["anonymous"])
    assert all(q["author"] for q in anonymous)
