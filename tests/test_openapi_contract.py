"""The REST API keeps the contract of its own document (``/api/openapi.json``): every operation is called for
its success and for each error answer it documents, and every answer's status must be documented for that
operation and its JSON body must validate against the documented schema (``$ref`` resolved, JSON Schema
2020-12, as OpenAPI 3.1 uses); the body of every successful request must fit the documented request schema. At the end every documented answer must have been seen, so a new answer or a
new operation needs a call here."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count
from urllib.parse import urlencode

import jsonschema
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, transaction
from django.utils import timezone

from summit.accounts import services as accounts
from summit.events.testing import make_event, make_staff
from summit.live.models import ChatMessage, Poll, PollOption, Question, QuestionVote, Stage
from summit.live.testing import make_room
from summit.program import services as program
from summit.program.testing import make_forum, make_session
from summit.registration import jobs
from summit.registration.models import Participant
from summit.registration.testing import (
    make_delegate,
    make_organization,
    make_participant,
    make_standard_categories,
    person_data,
)

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
CSV = "email,given_name,family_name,country,category,organization\n{email},Wei,Wang,CN,company,Alibaba\n"


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


@dataclass
class Call:
    """One request: the operation (``method``, documented ``path``), the values of its path parameters, its
    token ("org", "me", "pending" or None) and its JSON body, query or multipart form."""

    method: str
    path: str
    params: dict = field(default_factory=dict)
    token: str | None = "org"
    body: dict | None = None
    query: dict | None = None
    form: dict | None = None
    status: int = 200

    def url(self, **changes) -> str:
        return "/api" + self.path.removeprefix("/api").format(**{**self.params, **changes})


class Contract:
    def __init__(self, client, doc: dict, tokens: dict):
        self.client, self.doc, self.tokens = client, doc, tokens
        self.seen: dict[tuple[str, str], set[int]] = defaultdict(set)

    def send(
        self,
        call: Call,
        *,
        url: str | None = None,
        token: str | None = "same",
        expect: int | None = None,
        extra: dict | None = None,
    ):
        url = url or call.url()
        raw = self.tokens.get(call.token if token == "same" else token)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if raw else {}
        headers.update(extra or {})
        if call.method != "get" and call.query:
            url += ("&" if "?" in url else "?") + urlencode(call.query)
        if call.form is not None:
            response = self.client.post(url, call.form, **headers)
        elif call.method == "get":
            response = self.client.get(url, call.query or {}, **headers)
        else:
            data = json.dumps(call.body) if call.body is not None else ""
            response = getattr(self.client, call.method)(
                url, data, content_type="application/json", **headers
            )
        expected = call.status if expect is None else expect
        if expected < 300 and call.body is not None:
            self.validate(call.method, call.path, "request", call.body)
        assert response.status_code == expected, (
            call.method,
            url,
            response.status_code,
            response.content[:500],
        )
        self.check(call.method, call.path, response)
        return response

    def check(self, method: str, path: str, response) -> None:
        """The answer's status is documented for the operation and its body has the documented shape."""
        operation = self.doc["paths"][path][method]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method.upper()} {path} answered an undocumented {status}"
        self.seen[(method, path)].add(response.status_code)
        content = operation["responses"][status].get("content", {})
        if response.status_code == 204:
            assert not response.content
            return
        if "application/json" not in content:
            assert content, f"{method.upper()} {path} {status} documents no body"
            assert not response["Content-Type"].startswith("application/json")
            return
        assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
        self.validate(method, path, status, response.json())

    def validate(self, method: str, path: str, status: str, data) -> None:
        """``data`` fits the documented schema of the answer ``status`` (or of the request body)."""
        operation = self.doc["paths"][path][method]
        part = operation["requestBody"] if status == "request" else operation["responses"][status]
        schema = {**part["content"]["application/json"]["schema"], "components": self.doc["components"]}
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=str)
        assert not errors, f"{method.upper()} {path} {status}: {errors[0].message} at {list(errors[0].path)}"


@pytest.fixture
def world(settings):
    event = make_event("wic")
    make_event("other")
    categories = make_standard_categories(event)
    organizer = make_staff(event, "organizer", "organizer@example.org")
    delegate = make_delegate(event, categories["company"])
    pending = make_participant(event, categories["company"], status=Participant.SUBMITTED)
    tokens = {
        "org": accounts.create_api_token(event=event, user=organizer, name="desk")[1],
        "me": accounts.create_api_token(event=event, user=delegate.user, name="phone")[1],
        "pending": accounts.create_api_token(event=event, user=pending.user, name="phone")[1],
        "entry": accounts.create_api_token(event=event, user=make_staff(event, "entry_officer"), name="desk")[
            1
        ],
    }
    from summit.entry.testing import make_rule

    make_rule(event, kinds=("test",))
    forum = make_forum(event, "governance-forum", topic="governance")
    hours = count(0, 2)

    def session(**extra):
        """A session of its own two hours, so the delegate's bookings never overlap."""
        return make_session(event, forum, start=event.start + timedelta(hours=next(hours)), **extra)

    def booking(person=delegate):
        outcome = program.book(
            session=session(), participant=person, mode="onsite", idempotency_key=uuid.uuid4().hex
        )
        return outcome.booking

    def talk():
        return program.save_talk(session=session(), data={"title_en": "Talk"}, actor=organizer)

    def speaker():
        return program.save_speaker(event=event, data={"name": "Li Hua"}, actor=organizer)

    def person(**extra):
        extra.setdefault("organization", make_organization(event))
        extra.setdefault("position", "Director")
        return make_participant(event, categories["company"], **extra)

    job = jobs.start_export(event=event, params={}, fmt="csv", actor=organizer)
    room = make_room(event, session=session())
    asker = make_delegate(event, categories["company"])

    def question(**extra):
        return Question.objects.create(session=room, author=asker, text="Why?", **extra)

    def message():
        return ChatMessage.objects.create(session=room, author=asker, text="Hello")

    def poll(status="open"):
        made = Poll.objects.create(session=room, question_en="Which?", status=status)
        PollOption.objects.bulk_create(PollOption(poll=made, text_en=t) for t in ("A", "B"))
        return made

    return {
        "event": event,
        "categories": categories,
        "organizer": organizer,
        "delegate": delegate,
        "tokens": tokens,
        "forum": forum,
        "session": session,
        "booking": booking,
        "talk": talk,
        "speaker": speaker,
        "person": person,
        "job": job,
        "settings": settings,
        "room": room,
        "question": question,
        "message": message,
        "poll": poll,
    }


E = "/api/events/{slug}"


def _with_video(session):
    """The session with an uploaded video on its stage (its files are not needed to remove it)."""
    make_room(session.event, session=session)
    Stage.objects.filter(session=session).update(
        video_file=f"live/{session.guid}/source-0", video_seconds=9.0
    )
    return session


def calls(w) -> dict[tuple[str, str], callable]:
    """For each operation, a function that makes a successful call (creating what it needs each time)."""
    wic = {"slug": "wic"}

    def at(**ids):
        return {**wic, **ids}

    def talk_call(method, **extra):
        talk = w["talk"]()
        return Call(
            method,
            E + "/sessions/{session_id}/talks/{talk_id}",
            at(session_id=talk.session_id, talk_id=talk.pk),
            **extra,
        )

    return {
        ("get", "/api/events/"): lambda: Call("get", "/api/events/"),
        ("get", E): lambda: Call("get", E, wic),
        ("get", E + "/categories"): lambda: Call("get", E + "/categories", wic),
        ("get", E + "/participants"): lambda: Call(
            "get", E + "/participants", wic, query={"status": "approved"}
        ),
        ("post", E + "/participants"): lambda: Call(
            "post", E + "/participants", wic, body=person_data(category="company", notify=False), status=201
        ),
        ("post", E + "/participants/status"): lambda: Call(
            "post", E + "/participants/status", wic, body={"ids": [w["person"]().pk], "status": "approved"}
        ),
        ("get", E + "/participants/{participant_id}"): lambda: Call(
            "get", E + "/participants/{participant_id}", at(participant_id=w["person"]().pk)
        ),
        ("patch", E + "/participants/{participant_id}"): lambda: Call(
            "patch",
            E + "/participants/{participant_id}",
            at(participant_id=w["person"]().pk),
            body={"title": "Dr."},
        ),
        ("post", E + "/participants/{participant_id}/status"): lambda: Call(
            "post",
            E + "/participants/{participant_id}/status",
            at(participant_id=w["person"]().pk),
            body={"status": "rejected", "reason": "Incomplete"},
        ),
        ("post", E + "/participants/{participant_id}/mode"): lambda: Call(
            "post",
            E + "/participants/{participant_id}/mode",
            at(participant_id=w["person"]().pk),
            body={"attendance_mode": "online"},
        ),
        ("get", E + "/invitations"): lambda: Call("get", E + "/invitations", wic),
        ("post", E + "/invitations"): lambda: Call(
            "post", E + "/invitations", wic, body={"category": "vip"}, status=201
        ),
        ("post", E + "/import"): lambda: Call(
            "post",
            E + "/import",
            wic,
            form={
                "file": SimpleUploadedFile(
                    "list.csv",
                    CSV.format(email=f"{uuid.uuid4().hex}@example.org").encode(),
                    content_type="text/csv",
                )
            },
            status=201,
        ),
        ("get", E + "/forums"): lambda: Call("get", E + "/forums", wic),
        ("get", E + "/forums/{forum_id}"): lambda: Call(
            "get", E + "/forums/{forum_id}", at(forum_id=w["forum"].pk)
        ),
        ("post", E + "/forums"): lambda: Call(
            "post",
            E + "/forums",
            wic,
            body={"slug": uuid.uuid4().hex[:10], "title_en": "Data", "topic": "ai"},
            status=201,
        ),
        ("patch", E + "/forums/{forum_id}"): lambda: Call(
            "patch", E + "/forums/{forum_id}", at(forum_id=w["forum"].pk), body={"title_zh": "治理"}
        ),
        ("get", E + "/sessions"): lambda: Call(
            "get", E + "/sessions", wic, query={"topic": "governance", "mode": "onsite"}
        ),
        ("get", E + "/sessions/{session_id}"): lambda: Call(
            "get", E + "/sessions/{session_id}", at(session_id=w["session"]().pk)
        ),
        ("post", E + "/sessions"): lambda: Call(
            "post",
            E + "/sessions",
            wic,
            body={
                "forum": w["forum"].pk,
                "title_en": "Data flows",
                "start": "2027-11-09T14:00",
                "end": "2027-11-09T15:30",
                "capacity": 120,
                "languages": ["en", "zh"],
            },
            status=201,
        ),
        ("patch", E + "/sessions/{session_id}"): lambda: Call(
            "patch", E + "/sessions/{session_id}", at(session_id=w["session"]().pk), body={"capacity": 150}
        ),
        ("get", E + "/sessions/{session_id}/stage"): lambda: Call(
            "get", E + "/sessions/{session_id}/stage", at(session_id=w["session"]().pk)
        ),
        ("patch", E + "/sessions/{session_id}/stage"): lambda: Call(
            "patch",
            E + "/sessions/{session_id}/stage",
            at(session_id=w["session"]().pk),
            body={
                "access": "public",
                "stream_kind": "hls",
                "stream_url": "https://cdn.example.org/live.m3u8",
            },
        ),
        ("delete", E + "/sessions/{session_id}/stage/video"): lambda: Call(
            "delete", E + "/sessions/{session_id}/stage/video", at(session_id=_with_video(w["session"]()).pk)
        ),
        ("post", E + "/sessions/{session_id}/cancel"): lambda: Call(
            "post",
            E + "/sessions/{session_id}/cancel",
            at(session_id=w["session"]().pk),
            body={"reason": "Storm"},
        ),
        ("post", E + "/sessions/{session_id}/talks"): lambda: Call(
            "post",
            E + "/sessions/{session_id}/talks",
            at(session_id=w["session"]().pk),
            body={"title_en": "Hi"},
            status=201,
        ),
        ("patch", E + "/sessions/{session_id}/talks/{talk_id}"): lambda: talk_call(
            "patch", body={"minutes": 20}
        ),
        ("delete", E + "/sessions/{session_id}/talks/{talk_id}"): lambda: talk_call("delete", status=204),
        ("get", E + "/speakers"): lambda: Call("get", E + "/speakers", wic),
        ("get", E + "/speakers/{speaker_id}"): lambda: Call(
            "get", E + "/speakers/{speaker_id}", at(speaker_id=w["speaker"]().pk)
        ),
        ("post", E + "/speakers"): lambda: Call(
            "post", E + "/speakers", wic, body={"name": "Anna"}, status=201
        ),
        ("patch", E + "/speakers/{speaker_id}"): lambda: Call(
            "patch", E + "/speakers/{speaker_id}", at(speaker_id=w["speaker"]().pk), body={"remote": True}
        ),
        ("get", E + "/sessions/{session_id}/bookings"): lambda: Call(
            "get",
            E + "/sessions/{session_id}/bookings",
            at(session_id=w["booking"]().session_id),
            query={"status": "booked"},
        ),
        ("delete", E + "/bookings/{booking_id}"): lambda: Call(
            "delete",
            E + "/bookings/{booking_id}",
            at(booking_id=w["booking"]().pk),
            query={"reason": "No-show"},
        ),
        ("post", E + "/sessions/{session_id}/bookings"): lambda: Call(
            "post",
            E + "/sessions/{session_id}/bookings",
            at(session_id=w["session"]().pk),
            token="me",
            body={"mode": "onsite", "idempotency_key": uuid.uuid4().hex},
            status=201,
        ),
        ("get", E + "/me/bookings"): lambda: (
            w["booking"](),
            Call("get", E + "/me/bookings", wic, token="me"),
        )[1],
        ("delete", E + "/me/bookings/{booking_id}"): lambda: Call(
            "delete", E + "/me/bookings/{booking_id}", at(booking_id=w["booking"]().pk), token="me"
        ),
        **live_calls(w, at),
        **entry_calls(w, at),
        ("get", "/api/jobs/{job_id}"): lambda: Call("get", "/api/jobs/{job_id}", {"job_id": w["job"].pk}),
        ("get", E + "/live/attendance"): lambda: Call("get", E + "/live/attendance", wic),
        ("get", "/api/jobs/{job_id}/file"): lambda: Call(
            "get", "/api/jobs/{job_id}/file", {"job_id": w["job"].pk}
        ),
    }


def live_calls(w, at) -> dict:
    """The live room's operations: moderators' ones with the organizer's token, the others with the
    approved delegate's."""
    S = E + "/sessions/{session_id}"
    room = w["room"].pk

    def voted():
        q = w["question"]()
        QuestionVote.objects.create(question=q, participant=w["delegate"])
        Question.objects.filter(pk=q.pk).update(votes=1)
        return q

    def on_poll(path, token, body, status=200, poll_status="open"):
        return lambda: Call(
            "post",
            S + path,
            at(session_id=room, poll_id=w["poll"](poll_status).pk),
            token,
            body(),
            status=status,
        )

    return {
        ("get", S + "/live"): lambda: Call("get", S + "/live", at(session_id=room)),
        ("post", S + "/questions"): lambda: Call(
            "post",
            S + "/questions",
            at(session_id=room),
            "me",
            {"text": "How?", "anonymous": True},
            status=201,
        ),
        ("post", S + "/questions/{question_id}/vote"): lambda: Call(
            "post",
            S + "/questions/{question_id}/vote",
            at(session_id=room, question_id=w["question"]().pk),
            "me",
        ),
        ("delete", S + "/questions/{question_id}/vote"): lambda: Call(
            "delete", S + "/questions/{question_id}/vote", at(session_id=room, question_id=voted().pk), "me"
        ),
        ("post", S + "/questions/{question_id}/moderate"): lambda: Call(
            "post",
            S + "/questions/{question_id}/moderate",
            at(session_id=room, question_id=w["question"]().pk),
            body={"action": "pin"},
        ),
        ("post", S + "/chat"): lambda: Call(
            "post", S + "/chat", at(session_id=room), "me", {"text": "Hi"}, status=201
        ),
        ("delete", S + "/chat/{message_id}"): lambda: Call(
            "delete", S + "/chat/{message_id}", at(session_id=room, message_id=w["message"]().pk), status=204
        ),
        ("post", S + "/chat/{message_id}/report"): lambda: Call(
            "post",
            S + "/chat/{message_id}/report",
            at(session_id=room, message_id=w["message"]().pk),
            "me",
            {"reason": "rude"},
            status=204,
        ),
        ("post", S + "/polls"): lambda: Call(
            "post",
            S + "/polls",
            at(session_id=room),
            body={"question_en": "Best?", "options": [{"text_en": "A"}, {"text_en": "B", "text_zh": "乙"}]},
            status=201,
        ),
        ("post", S + "/polls/{poll_id}/status"): on_poll(
            "/polls/{poll_id}/status", "org", lambda: {"status": "open"}, poll_status="draft"
        ),
        ("post", S + "/polls/{poll_id}/answer"): lambda: (
            lambda p: Call(
                "post",
                S + "/polls/{poll_id}/answer",
                at(session_id=room, poll_id=p.pk),
                "me",
                {"options": [p.options.first().pk]},
                status=201,
            )
        )(w["poll"]()),
    }


def entry_calls(w, at) -> dict:
    """Entry: gates with the organizer's token (organizers scan at every zone), the review with an entry
    officer's, a participant's own proofs and data with the delegate's."""
    from summit.entry.testing import make_holder, stored_proof, token_of

    wic = at()
    event = w["event"]

    def badge():
        return token_of(make_holder(event, w["categories"]["company"]))

    def rule():
        from summit.entry.testing import make_rule

        return make_rule(event, kinds=("pcr",), zone=event.zones.get(code="main"))

    def scan_body():
        return {
            "token": badge(),
            "zone": "main",
            "gate": "North",
            "device": "d1",
            "client_id": uuid.uuid4().hex,
        }

    def offline_body():
        return {
            "device": "tablet-1",
            "gate": "North",
            "device_time": "2027-11-08T08:00:00+08:00",
            "scans": [
                {
                    "id": uuid.uuid4().hex,
                    "token": badge(),
                    "zone": "main",
                    "scanned_at": "2027-11-08T07:58:00+08:00",
                    "admitted": True,
                }
            ],
        }

    def proof_form():
        return {
            "kind": "test",
            "taken_at": (timezone.now() - timedelta(days=1)).isoformat(),
            "file": SimpleUploadedFile("test.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
        }

    R = E + "/entry"
    return {
        ("post", R + "/check"): lambda: Call(
            "post", R + "/check", wic, body={"token": badge(), "zone": "main"}
        ),
        ("post", R + "/scans"): lambda: Call("post", R + "/scans", wic, body=scan_body()),
        ("get", R + "/offline-package"): lambda: Call(
            "get", R + "/offline-package", wic, query={"zone": "main"}
        ),
        ("post", R + "/scans/offline"): lambda: Call("post", R + "/scans/offline", wic, body=offline_body()),
        ("get", R + "/occupancy"): lambda: Call("get", R + "/occupancy", wic),
        ("get", R + "/rules"): lambda: Call("get", R + "/rules", wic),
        ("post", R + "/rules"): lambda: Call(
            "post", R + "/rules", wic, body={"category": "media", "accepted": [{"kind": "test"}]}, status=201
        ),
        ("put", R + "/rules/{rule_id}"): lambda: Call(
            "put",
            R + "/rules/{rule_id}",
            at(rule_id=rule().pk),
            body={"stage": "gate", "accepted": [{"kind": "antigen"}]},
        ),
        ("delete", R + "/rules/{rule_id}"): lambda: Call(
            "delete", R + "/rules/{rule_id}", at(rule_id=rule().pk), status=204
        ),
        ("get", R + "/me"): lambda: Call("get", R + "/me", wic, token="me"),
        ("post", R + "/proofs"): lambda: Call(
            "post", R + "/proofs", wic, token="me", form=proof_form(), status=201
        ),
        ("get", R + "/proofs/{proof_id}/file"): lambda: Call(
            "get", R + "/proofs/{proof_id}/file", at(proof_id=stored_proof(w["delegate"]).pk), token="entry"
        ),
        ("delete", R + "/proofs/{proof_id}"): lambda: Call(
            "delete",
            R + "/proofs/{proof_id}",
            at(proof_id=stored_proof(w["delegate"]).pk),
            token="me",
            status=204,
        ),
        ("get", R + "/me/data"): lambda: Call("get", R + "/me/data", wic, token="me"),
        ("post", R + "/me/erasure"): lambda: Call("post", R + "/me/erasure", wic, token="me", status=202),
        ("get", R + "/review"): lambda: (
            stored_proof(w["delegate"]),
            Call("get", R + "/review", wic, token="entry"),
        )[1],
        ("post", R + "/proofs/{proof_id}/decision"): lambda: Call(
            "post",
            R + "/proofs/{proof_id}/decision",
            at(proof_id=stored_proof(w["delegate"]).pk),
            token="entry",
            body={"accept": True},
        ),
    }


def _entry_answers(contract: Contract, w, made) -> None:
    """409: a proof decided twice; 429: proofs and data downloads repeated."""
    from django.conf import settings
    from django.core.cache import cache

    send = contract.send
    decide = made[("post", E + "/entry/proofs/{proof_id}/decision")]()
    send(decide)
    assert send(decide, expect=409).json()["code"] == "already_decided"
    limits = settings.RATE_LIMITS
    try:
        settings.RATE_LIMITS = {**limits, "proof": "1/60", "export": "1/60"}
        for key in (("post", E + "/entry/proofs"), ("get", E + "/entry/me/data")):
            cache.clear()
            send(made[key]())
            answer = send(made[key](), expect=429)
            assert answer.json()["code"] == "rate_limited"
    finally:
        settings.RATE_LIMITS = limits


def _live_answers(contract: Contract, w, made) -> None:
    """403 (a participant at a moderator's action, staff without a registration at a participant's), 409
    conflicts of state, and 429 on what can be repeated."""
    send = contract.send
    for key, call in made.items():
        if "/sessions/{session_id}/" not in key[1] or key[1].endswith("/bookings") or key[0] == "get":
            continue
        if "403" in contract.doc["paths"][key[1]][key[0]]["responses"]:
            refused = call()
            refused.token = "me" if refused.token == "org" else "org"
            assert send(refused, expect=403).json()["code"] in ("not_moderator", "not_allowed")
    vote = made[("post", E + "/sessions/{session_id}/questions/{question_id}/vote")]()
    send(vote)
    assert send(vote, expect=409).json()["code"] == "already_voted"
    unvote = made[("delete", E + "/sessions/{session_id}/questions/{question_id}/vote")]()
    send(unvote)
    assert send(unvote, expect=409).json()["code"] == "not_voted"
    report = made[("post", E + "/sessions/{session_id}/chat/{message_id}/report")]()
    send(report)
    assert send(report, expect=409).json()["code"] == "already_reported"
    answer = made[("post", E + "/sessions/{session_id}/polls/{poll_id}/answer")]()
    send(answer)
    assert send(answer, expect=409).json()["code"] == "already_answered"
    draft = w["poll"]("draft")
    close = Call(
        "post",
        E + "/sessions/{session_id}/polls/{poll_id}/status",
        {"slug": "wic", "session_id": w["room"].pk, "poll_id": draft.pk},
        "org",
        {"status": "closed"},
    )
    assert send(close, expect=409).json()["code"] == "not_open"
    pinned = made[("post", E + "/sessions/{session_id}/questions/{question_id}/moderate")]()
    Question.objects.filter(pk=pinned.params["question_id"]).update(status="hidden")
    assert send(pinned, expect=409).json()["code"] == "not_visible"
    from django.conf import settings
    from django.core.cache import cache

    limits = settings.RATE_LIMITS
    try:
        settings.RATE_LIMITS = {**limits, "question": "1/60", "chat": "1/60", "report": "1/60"}
        for path in ("/questions", "/chat", "/chat/{message_id}/report"):
            cache.clear()
            make = made[("post", E + "/sessions/{session_id}" + path)]
            send(make())
            answer = send(make(), expect=429)
            assert answer.json()["code"] == "rate_limited" and int(answer["Retry-After"]) > 0
    finally:
        settings.RATE_LIMITS = limits


def bad_input(call: Call) -> Call:
    """The same call with input the operation refuses (422)."""
    bad = {
        "/participants": {"limit": "many"},
        "/sessions": {"topic": "nope"},
        "/sessions/{session_id}/bookings": {"status": "nope"},
        "/bookings/{booking_id}": {"reason": "x" * 2001},
        "/entry/offline-package": {"zone": "x" * 41},
    }
    if call.path.endswith("/stage/video"):  # nothing uploaded: nothing to remove
        Stage.objects.filter(session_id=call.params["session_id"]).update(video_file="")
        return Call(call.method, call.path, call.params, call.token, status=422)
    if call.form is not None:
        return Call(call.method, call.path, call.params, form={}, status=422)
    if call.body is not None:
        return Call(
            call.method, call.path, call.params, call.token, body={**call.body, "surprise": 1}, status=422
        )
    suffix = call.path.removeprefix(E)
    return Call(call.method, call.path, call.params, call.token, query=bad[suffix], status=422)


@pytest.fixture
def contract(client, world):
    doc = client.get("/api/openapi.json").json()
    return Contract(client, doc, world["tokens"])


def test_every_operation_answers_as_its_document_says(contract, world, monkeypatch):
    doc, made = contract.doc, calls(world)
    documented = {(m, p) for m, p, _op in operations(doc)}
    assert documented == set(made), "every operation of the document needs a call here (and only those)"

    for (method, path), make in made.items():
        responses = doc["paths"][path][method]["responses"]
        call = make()
        # 400: a NUL character anywhere, here in the query, before anything else is looked at.
        nul = Call(
            call.method, call.path, call.params, call.token, call.body, {**(call.query or {}), "q": "\x00"}
        )
        nul.form = call.form
        contract.send(nul, expect=400)
        # 413: a body announced larger than the limit is refused before a byte of it is read.
        contract.send(make(), extra={"CONTENT_LENGTH": str(10**9)}, expect=413)
        # 401: no token, and an unknown one.
        contract.send(call, token=None, expect=401)
        contract.tokens["bogus"] = "smt_unknown"
        contract.send(call, token="bogus", expect=401)
        # 404: another event, or an object of the path that does not exist.
        if "{slug}" in path:
            contract.send(make(), url=make().url(slug="other"), expect=404)
        for name in call.params:
            if name != "slug":
                missing = str(uuid.uuid4()) if name == "job_id" else 987654321
                contract.send(make(), url=call.url(**{name: missing}), expect=404)
        # 422: input the operation refuses.
        if "422" in responses:
            contract.send(bad_input(make()))
        # 409 (busy): any change may be asked to try again in a moment; nothing is changed.
        if "409" in responses:
            call = make()
            with monkeypatch.context() as patched:
                patched.setattr("summit.core.locking.transaction", LockedDatabase())
                assert contract.send(call, expect=409).json()["code"] == "busy"
        # The success.
        contract.send(make())

    _specific_answers(contract, world, made, monkeypatch)

    missing = {
        f"{method.upper()} {path}: {sorted(set(map(int, op['responses'])) - contract.seen[(method, path)])}"
        for method, path, op in operations(doc)
        if set(map(int, op["responses"])) - contract.seen[(method, path)]
    }
    assert not missing, f"documented answers never seen: {sorted(missing)}"


class LockedDatabase:
    """``django.db.transaction`` for ``core.locking`` while another writer holds the database: every unit of
    work meets SQLite's "database is locked" (a lock timeout on PostgreSQL), which the API answers 409 busy."""

    def __getattr__(self, name):
        return getattr(transaction, name)

    def atomic(self, *args, **kwargs):
        error = OperationalError("database is locked")
        error.sqlite_errorcode = sqlite3.SQLITE_BUSY
        raise error


def _specific_answers(contract: Contract, w, made, monkeypatch) -> None:
    """The answers only some operations give: 202 jobs, 200 replays, 403, state conflicts with extra keys,
    429."""
    send = contract.send
    _live_answers(contract, w, made)
    _entry_answers(contract, w, made)
    # A large decision runs as a job (202), which the job operation then shows.
    w["settings"].BULK_JOB_THRESHOLD = 2
    bulk = made[("post", E + "/participants/status")]()
    bulk.body["ids"] = [w["person"]().pk, w["person"]().pk]
    job = send(bulk, expect=202).json()
    send(Call("get", "/api/jobs/{job_id}", {"job_id": job["id"]}))

    # Booking: a repeated key replays (200); a full session offers what is left (409 with offers); the same
    # time as a held session names it (409 time_conflict); an unapproved participant may not book (403).
    book = made[("post", E + "/sessions/{session_id}/bookings")]()
    send(book)
    send(book, expect=200)
    full = w["session"](capacity=1)
    program.book(
        session=full,
        participant=w["person"](status=Participant.APPROVED),
        mode="onsite",
        idempotency_key=uuid.uuid4().hex,
    )
    body = send(
        Call(
            "post",
            book.path,
            {"slug": "wic", "session_id": full.pk},
            "me",
            {"mode": "onsite", "idempotency_key": uuid.uuid4().hex},
        ),
        expect=409,
    ).json()
    assert body["code"] == "full" and body["offers"] == ["waitlist", "online"]
    held = w["booking"]()
    twin = make_session(w["event"], w["forum"], start=held.session.start)
    body = send(
        Call(
            "post",
            book.path,
            {"slug": "wic", "session_id": twin.pk},
            "me",
            {"mode": "online", "idempotency_key": uuid.uuid4().hex},
        ),
        expect=409,
    ).json()
    assert body["code"] == "time_conflict" and body["conflicting_booking"] == held.pk
    body = send(
        Call(
            "post", book.path, book.params, "pending", {"mode": "onsite", "idempotency_key": uuid.uuid4().hex}
        ),
        expect=403,
    ).json()
    assert body["code"] == "not_approved"
    # A participant token on the organizers' list of bookings: hidden (404).
    send(Call("get", E + "/sessions/{session_id}/bookings", book.params, "me"), expect=404)

    # State conflicts of registrations, and a refused value the service names (422 with `field`).
    gone = w["person"](status=Participant.CANCELLED)
    ids = {"slug": "wic", "participant_id": gone.pk}
    assert (
        send(
            Call("patch", E + "/participants/{participant_id}", ids, body={"title": "Dr."}), expect=409
        ).json()["code"]
        == "cancelled"
    )
    body = send(
        Call("post", E + "/participants/{participant_id}/status", ids, body={"status": "happy"}), expect=422
    ).json()
    assert body["code"] == "bad_status" and body["field"] == "status"

    # 429: a registration refused because the caller sent too many (the real limit, made small).
    from django.conf import settings
    from django.core.cache import cache

    cache.clear()  # the registrations above counted too
    limits = settings.RATE_LIMITS
    try:
        settings.RATE_LIMITS = {**limits, "api_register_ip": "1/3600"}
        first = made[("post", E + "/participants")]()
        first.body["email"] = "limit-1@example.org"
        send(first, expect=201)
        second = made[("post", E + "/participants")]()
        second.body["email"] = "limit-2@example.org"
        answer = send(second, expect=429)
    finally:
        settings.RATE_LIMITS = limits
    assert int(answer["Retry-After"]) > 0
    body = answer.json()
    assert body["code"] == "rate_limited"


def test_every_operation_documents_its_common_errors(client, db):
    """Every operation documents 400 and, behind the token, 401; with a path parameter 404; with a body or a
    query 422. Every error answer has the {code, detail} shape."""
    doc = client.get("/api/openapi.json").json()
    schemas = doc["components"]["schemas"]
    ids = [operation["operationId"] for _m, _p, operation in operations(doc)]
    assert len(ids) == len(set(ids)), "a generated client names its methods after the operation ids"
    for method, path, operation in operations(doc):
        name = f"{method.upper()} {path}"
        answers = operation["responses"]
        assert "400" in answers, name
        if operation.get("security"):
            assert "401" in answers, name
        parameters = operation.get("parameters", [])
        if any(p["in"] == "path" for p in parameters):
            assert "404" in answers, name
        if operation.get("requestBody") or any(p["in"] == "query" for p in parameters):
            assert "422" in answers, name
        for status, answer in answers.items():
            if int(status) >= 400:
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                schema = schemas[ref.rsplit("/", 1)[1]]
                assert {"code", "detail"} <= set(schema["required"]), (name, status)


def test_ids_are_integers_and_choices_are_enums(client, db):
    doc = client.get("/api/openapi.json").json()
    schemas = doc["components"]["schemas"]
    for method, path, operation in operations(doc):
        for parameter in operation.get("parameters", []):
            if (
                parameter["in"] == "path"
                and parameter["name"].endswith("_id")
                and parameter["name"] != "job_id"
            ):
                assert parameter["schema"]["type"] == "integer", (method, path, parameter)
    assert schemas["ParticipantOut"]["properties"]["status"]["enum"] == [
        "submitted",
        "approved",
        "waitlisted",
        "rejected",
        "cancelled",
    ]
    assert schemas["BookingOut"]["properties"]["status"]["enum"] == ["booked", "waitlisted", "cancelled"]
    assert schemas["JobOut"]["properties"]["state"]["enum"] == ["queued", "running", "succeeded", "failed"]
    assert set(schemas["SessionCreateIn"]["required"]) == {"forum", "title_en", "start", "end"}
    assert schemas["SessionIn"]["properties"]["capacity"]["minimum"] == 0


def test_addresses_and_methods_outside_the_operations_answer_json(client, world):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens']['org']}"}
    for url in ("/api/nothing", "/api/events/wic/sessions/abc", "/api/events/wic/participants/x1"):
        response = client.get(url, **headers)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found" and response.json()["detail"]
    response = client.delete("/api/events/wic/participants", **headers)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    # A GET without its final slash is sent on to the address with it.
    response = client.get("/api/events", **headers)
    assert response.status_code == 301 and response["Location"] == "/api/events/"


def test_a_body_over_the_size_limit_is_a_documented_413(contract, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    call = calls(world)[("post", E + "/participants")]()
    call.body["position"] = "x" * 2000
    assert contract.send(call, expect=413).json()["code"] == "too_large"
