"""The program API end to end: reading the program, organizers changing it, participants booking seats."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from summit.accounts.services import create_api_token
from summit.core.models import AuditEntry
from summit.events.models import EventRole
from summit.program import services
from summit.program.models import Booking, Forum, Session, Speaker, Talk
from summit.program.testing import make_forum, make_session
from summit.registration.testing import make_delegate, make_organization, make_participant

pytestmark = pytest.mark.django_db


def auth(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def key() -> str:
    return uuid.uuid4().hex


class Api:
    """Sends one token and JSON bodies; paths are relative to ``/api/events/``."""

    def __init__(self, client, raw: str):
        self.client, self.raw = client, raw

    def _send(self, method, path, body=None, **extra):
        data = json.dumps(body) if body is not None else ""
        return getattr(self.client, method)(
            f"/api/events/{path}", data, content_type="application/json", **auth(self.raw), **extra
        )

    def get(self, path, params=None):
        return self.client.get(f"/api/events/{path}", params or {}, **auth(self.raw))

    def post(self, path, body=None, **extra):
        return self._send("post", path, body, **extra)

    def patch(self, path, body, **extra):
        return self._send("patch", path, body, **extra)

    def delete(self, path, **extra):
        return self.client.delete(f"/api/events/{path}", **auth(self.raw), **extra)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert body["detail"]
    return body


@pytest.fixture
def forum(event):
    return make_forum(event, "governance-forum", topic="governance")


@pytest.fixture
def session(event, forum):
    return make_session(event, forum, capacity=2)


@pytest.fixture
def org(client, event, organizer):
    return Api(client, create_api_token(event=event, user=organizer, name="program desk")[1])


def participant_api(client, event, person) -> Api:
    return Api(client, create_api_token(event=event, user=person.user, name="my phone")[1])


@pytest.fixture
def delegate(event, categories):
    return make_delegate(event, categories["company"])


@pytest.fixture
def me(client, event, delegate):
    return participant_api(client, event, delegate)


def book(api: Api, session, **body):
    body.setdefault("mode", "onsite")
    body.setdefault("idempotency_key", key())
    return api.post(f"wic/sessions/{session.pk}/bookings", body)


# --- reading -----------------------------------------------------------------------------------------------


def test_participant_reads_forums_sessions_and_speakers(me, event, forum, session, organizer):
    speaker = services.save_speaker(event=event, data={"name": "李华", "affiliation": "CAC"}, actor=organizer)
    services.save_talk(session=session, data={"title_en": "Opening"}, actor=organizer, speakers=[speaker])

    forums = me.get("wic/forums")
    assert forums.status_code == 200
    assert [f["slug"] for f in forums.json()] == ["governance-forum"]
    assert me.get(f"wic/forums/{forum.pk}").json()["topic"] == "governance"

    sessions = me.get("wic/sessions").json()
    assert len(sessions) == 1
    item = sessions[0]
    assert item["start"].endswith("+08:00") and item["start"].startswith("2027-11-08T09:00")
    assert item["end"].startswith("2027-11-08T10:30")
    assert (item["capacity"], item["seats_taken"], item["seats_free"]) == (2, 0, 2)
    assert (item["waitlist_count"], item["online_count"]) == (0, 0)
    assert item["forum"]["slug"] == "governance-forum"
    assert [s["name"] for s in item["speakers"]] == ["李华"]
    assert item["speakers"][0]["name_latin"]
    assert [t["title_en"] for t in item["talks"]] == ["Opening"]
    assert me.get(f"wic/sessions/{session.pk}").json() == item

    speakers = me.get("wic/speakers").json()
    assert [s["id"] for s in speakers] == [speaker.pk]
    detail = me.get(f"wic/speakers/{speaker.pk}").json()
    assert detail["talks"][0]["session"] == session.pk
    assert detail["talks"][0]["start"].endswith("+08:00")


def test_session_counts_follow_bookings(me, event, categories, session, client):
    assert book(me, session).status_code == 201
    other = participant_api(client, event, make_delegate(event, categories["company"]))
    assert book(other, session, mode="online").status_code == 201
    body = me.get(f"wic/sessions/{session.pk}").json()
    assert (body["seats_taken"], body["seats_free"], body["online_count"]) == (1, 1, 1)


def test_session_filters(me, event, forum, organizer):
    ai = make_forum(event, "ai-forum", topic="ai")
    first_day = make_session(event, forum, capacity=0, languages=["zh"])
    second_day = make_session(
        event, ai, start=event.start + timedelta(days=1), online=False, languages=["en", "fr"]
    )
    # 23:30 local on the first day is still the first day, although it is already the 8th in UTC... and
    # 00:30 local on the second day is the 8th in UTC but belongs to the second day.
    late = make_session(event, forum, start=event.start.replace(hour=23, minute=30), minutes=20)
    early = make_session(event, forum, start=event.start.replace(hour=0, minute=30) + timedelta(days=1))

    def ids(**params):
        response = me.get("wic/sessions", params)
        assert response.status_code == 200, response.content
        return {s["id"] for s in response.json()}

    assert ids() == {first_day.pk, second_day.pk, late.pk, early.pk}
    assert ids(forum=ai.pk) == {second_day.pk}
    assert ids(forum="ai-forum") == {second_day.pk}
    assert ids(topic="governance") == {first_day.pk, late.pk, early.pk}
    assert ids(day="2027-11-08") == {first_day.pk, late.pk}
    assert ids(day="2027-11-09") == {second_day.pk, early.pk}
    assert ids(language="fr") == {second_day.pk}
    assert ids(language="zh") == {first_day.pk, late.pk, early.pk}
    assert ids(mode="onsite") == {second_day.pk, late.pk, early.pk}
    assert ids(mode="online") == {first_day.pk, late.pk, early.pk}
    assert ids(topic="governance", day="2027-11-08", mode="onsite") == {late.pk}

    for params, field in [
        ({"day": "08/11/2027"}, "day"),
        ({"mode": "hybrid"}, "mode"),
        ({"language": "xx"}, "language"),
        ({"topic": "nope"}, "topic"),
        ({"forum": "nope"}, "forum"),
    ]:
        body = assert_error(me.get("wic/sessions", params), 422, "bad_filter")
        assert body["field"] == field


def test_unknown_objects_are_404(me, event, other_event):
    foreign = make_session(other_event, capacity=5)
    assert_error(me.get(f"wic/sessions/{foreign.pk}"), 404, "session_not_found")
    assert_error(me.get("wic/sessions/999999"), 404, "session_not_found")
    assert_error(me.get(f"wic/forums/{foreign.forum_id}"), 404, "forum_not_found")
    assert_error(me.get("wic/speakers/999999"), 404, "speaker_not_found")


def test_token_of_event_a_on_event_b_is_404(org, me, other_event):
    make_session(other_event, capacity=5)
    for api in (org, me):
        assert_error(api.get("other/sessions"), 404, "not_found")
        assert_error(api.get("other/forums"), 404, "not_found")
        assert_error(api.get("other/speakers"), 404, "not_found")
    assert_error(org.post("other/forums", {"slug": "x", "title_en": "X"}), 404, "not_found")


def test_no_token_is_401(client, event, session):
    response = client.get("/api/events/wic/sessions")
    assert_error(response, 401, "not_authenticated")


# --- organizers change the program -------------------------------------------------------------------------


def test_organizer_creates_and_changes_forum(org, event, delegate):
    room = event.rooms.get()
    host = make_organization(event)
    response = org.post(
        "wic/forums",
        {
            "slug": "health",
            "title_en": "Digital health",
            "title_zh": "数字健康",
            "topic": "health",
            "room": room.pk,
            "host_organization": host.pk,
            "moderators": [delegate.pk],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["room"]["id"] == room.pk and body["host_organization"]["id"] == host.pk
    assert [m["id"] for m in body["moderators"]] == [delegate.pk]

    changed = org.patch(f"wic/forums/{body['id']}", {"title_en": "Health", "room": None, "moderators": []})
    assert changed.status_code == 200, changed.content
    assert changed.json()["title_en"] == "Health" and changed.json()["room"] is None
    assert changed.json()["title_zh"] == "数字健康" and changed.json()["moderators"] == []

    assert_error(org.post("wic/forums", {"slug": "health", "title_en": "Again"}), 422, "duplicate")
    assert_error(
        org.post("wic/forums", {"slug": "x", "title_en": "X", "topic": "?"}), 422, "validation_failed"
    )
    assert_error(org.post("wic/forums", {"slug": "bad slug", "title_en": "X"}), 422, "validation_failed")
    assert_error(org.post("wic/forums", {"slug": "y", "title_en": "Y", "room": 999999}), 422, "unknown")
    assert_error(org.patch(f"wic/forums/{body['id']}", {"title_en": None}), 422, "validation_failed")


def test_organizer_creates_session_in_event_time(org, event, forum):
    response = org.post(
        "wic/sessions",
        {
            "forum": forum.pk,
            "title_en": "Data flows",
            "start": "2027-11-09T14:00",
            "end": "2027-11-09T15:30+08:00",
            "capacity": 120,
            "languages": ["en", "zh"],
            "online_limit": 500,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["start"] == "2027-11-09T14:00:00+08:00"
    assert (body["capacity"], body["seats_free"], body["online_limit"]) == (120, 120, 500)
    session = Session.objects.get(pk=body["id"])
    assert session.start.hour == 6  # UTC
    assert AuditEntry.objects.filter(action="session.created").exists()


def test_session_validation_errors(org, event, forum, session):
    base = {"forum": forum.pk, "title_en": "X", "start": "2027-11-09T14:00", "end": "2027-11-09T15:00"}
    body = assert_error(org.post("wic/sessions", {**base, "capacity": -1}), 422, "validation_failed")
    assert body["field"] == "capacity"
    body = assert_error(
        org.post("wic/sessions", {**base, "end": "2027-11-09T13:00"}), 422, "validation_failed"
    )
    assert body["field"] == "end"
    body = assert_error(org.patch(f"wic/sessions/{session.pk}", {"capacity": -1}), 422, "validation_failed")
    assert body["field"] == "capacity"
    body = assert_error(org.post("wic/sessions", {"title_en": "No times"}), 422, "validation_failed")
    assert {e["field"] for e in body["errors"]} >= {"forum", "start", "end"}
    body = assert_error(org.post("wic/sessions", {**base, "languages": ["xx"]}), 422, "validation_failed")
    assert body["field"] == "languages"
    assert_error(org.post("wic/sessions", {**base, "surprise": 1}), 422, "validation_failed")
    assert_error(org.patch(f"wic/sessions/{session.pk}", {"online": None}), 422, "validation_failed")
    assert Session.objects.count() == 1


def test_capacity_decrease_below_booked_is_409_and_increase_promotes(org, event, categories, client, session):
    people = [make_delegate(event, categories["company"]) for _ in range(3)]
    apis = [participant_api(client, event, p) for p in people]
    assert book(apis[0], session).status_code == 201
    assert book(apis[1], session).status_code == 201
    assert book(apis[2], session, join_waitlist=True).json()["status"] == "waitlisted"

    body = assert_error(
        org.patch(f"wic/sessions/{session.pk}", {"capacity": 1}), 409, "capacity_below_booked"
    )
    assert "2 seats" in body["detail"]
    session.refresh_from_db()
    assert session.capacity == 2

    mail.outbox.clear()
    response = org.patch(f"wic/sessions/{session.pk}", {"capacity": 3, "title_en": "Bigger room"})
    assert response.status_code == 200
    assert (response.json()["seats_taken"], response.json()["waitlist_count"]) == (3, 0)
    assert [m.to for m in mail.outbox] == [[people[2].email]]


def test_cancel_session(org, me, session):
    assert book(me, session).status_code == 201
    response = org.post(f"wic/sessions/{session.pk}/cancel", {"reason": "Speaker ill"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled" and response.json()["seats_taken"] == 0
    assert_error(org.post(f"wic/sessions/{session.pk}/cancel"), 409, "already_cancelled")
    assert_error(book(me, session), 409, "session_cancelled")


def test_speakers_and_talks(org, event, delegate, session, other_event):
    response = org.post("wic/speakers", {"participant": delegate.pk, "affiliation": "Example Co."})
    assert response.status_code == 201, response.content
    speaker = response.json()
    assert speaker["participant"] == delegate.pk and speaker["name"] == delegate.display_name
    remote = org.post("wic/speakers", {"name": "Ada Lovelace", "remote": True}).json()
    changed = org.patch(f"wic/speakers/{remote['id']}", {"bio_en": "Mathematician."})
    assert changed.json()["bio_en"] == "Mathematician." and changed.json()["remote"] is True
    assert_error(org.post("wic/speakers", {"participant": delegate.pk}), 422, "duplicate")
    assert_error(org.post("wic/speakers", {"affiliation": "nobody"}), 422, "validation_failed")

    path = f"wic/sessions/{session.pk}/talks"
    response = org.post(path, {"title_en": "Keynote", "minutes": 20, "speakers": [speaker["id"]]})
    assert response.status_code == 201, response.content
    talk = response.json()
    assert talk["order"] == 0 and [s["id"] for s in talk["speakers"]] == [speaker["id"]]
    second = org.post(path, {"title_en": "Panel", "speakers": [speaker["id"], remote["id"]]}).json()
    assert second["order"] == 1

    response = org.patch(f"{path}/{talk['id']}", {"minutes": 25, "speakers": [remote["id"]]})
    assert response.status_code == 200
    assert response.json()["minutes"] == 25 and [s["id"] for s in response.json()["speakers"]] == [
        remote["id"]
    ]
    assert_error(org.post(path, {"title_en": "Long", "minutes": 0}), 422, "validation_failed")
    foreign = Speaker.objects.create(event=other_event, name="Elsewhere")
    assert_error(org.post(path, {"title_en": "X", "speakers": [foreign.pk]}), 422, "unknown")

    detail = org.get(f"wic/sessions/{session.pk}").json()
    assert [t["title_en"] for t in detail["talks"]] == ["Keynote", "Panel"]
    assert {s["id"] for s in detail["speakers"]} == {speaker["id"], remote["id"]}

    assert org.delete(f"{path}/{talk['id']}").status_code == 204
    assert_error(org.delete(f"{path}/{talk['id']}"), 404, "talk_not_found")
    other_session = make_session(event, capacity=5)
    assert_error(
        org.patch(f"wic/sessions/{other_session.pk}/talks/{second['id']}", {"minutes": 5}),
        404,
        "talk_not_found",
    )
    assert list(Talk.objects.values_list("title_en", flat=True)) == ["Panel"]


def test_participant_token_cannot_write_the_program(me, event, forum, session, delegate):
    assert_error(me.post("wic/forums", {"slug": "mine", "title_en": "Mine"}), 404, "not_found")
    assert_error(me.patch(f"wic/forums/{forum.pk}", {"title_en": "Mine"}), 404, "not_found")
    new_session = {"forum": forum.pk, "title_en": "X", "start": "2027-11-09T14:00", "end": "2027-11-09T15:00"}
    assert_error(me.post("wic/sessions", new_session), 404, "not_found")
    assert_error(me.patch(f"wic/sessions/{session.pk}", {"capacity": 500}), 404, "not_found")
    assert_error(me.post(f"wic/sessions/{session.pk}/cancel"), 404, "not_found")
    assert_error(me.post("wic/speakers", {"name": "Me"}), 404, "not_found")
    assert_error(me.post(f"wic/sessions/{session.pk}/talks", {"title_en": "Mine"}), 404, "not_found")
    assert_error(me.get(f"wic/sessions/{session.pk}/bookings"), 404, "not_found")
    booking = book(me, session).json()
    assert_error(me.delete(f"wic/bookings/{booking['id']}"), 404, "not_found")
    assert Forum.objects.count() == 1 and Session.objects.get().capacity == 2


def test_officer_token_cannot_write_the_program(client, event, officer, forum):
    officer_api = Api(client, create_api_token(event=event, user=officer, name="desk")[1])
    assert officer_api.get("wic/forums").status_code == 200
    assert_error(officer_api.post("wic/forums", {"slug": "x", "title_en": "X"}), 404, "not_found")


def test_organizer_of_another_event_gets_404(client, event, other_event, categories, forum, session):
    # An organizer of the other event who is only a delegate here.
    person = make_delegate(event, categories["company"])
    EventRole.objects.create(event=other_event, user=person.user, role=EventRole.ORGANIZER)
    api = participant_api(client, event, person)
    assert_error(api.patch(f"wic/forums/{forum.pk}", {"title_en": "Taken over"}), 404, "not_found")
    assert_error(api.get(f"wic/sessions/{session.pk}/bookings"), 404, "not_found")
    # Their own event's token does not reach this event either.
    other_token = Api(client, create_api_token(event=other_event, user=person.user, name="x")[1])
    assert_error(other_token.patch(f"wic/forums/{forum.pk}", {"title_en": "Taken over"}), 404, "not_found")
    assert_error(other_token.get("wic/sessions"), 404, "not_found")


# --- booking -----------------------------------------------------------------------------------------------


def test_booking_is_201_then_replay_is_200_with_one_booking(me, session):
    k = key()
    first = book(me, session, idempotency_key=k)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body == {
        "id": body["id"],
        "session": session.pk,
        "mode": "onsite",
        "status": "booked",
        "waitlist_position": None,
    }
    again = book(me, session, idempotency_key=k)
    assert again.status_code == 200
    assert again.json() == body
    assert Booking.objects.count() == 1


def test_booking_endpoint_is_lean(client, me, event, session, categories):
    """The seat-rush hot path: a "full" answer runs two queries (token with participant, session with
    seats and own bookings) and takes no write lock; a booking adds the locked transaction (lock the person
    and the session, read their bookings and the counts again, two inserts)."""
    me.get("wic/forums")  # the token's first use records last_used_at; later ones within minutes do not
    with CaptureQueriesContext(connection) as queries:
        assert book(me, session).status_code == 201
    booked = [q["sql"] for q in queries.captured_queries]
    statements = ("SELECT", "WITH", "INSERT", "UPDATE")  # the lock statement starts WITH on PostgreSQL
    assert sum(sql.lstrip().upper().startswith(statements) for sql in booked) == 6, booked
    session.capacity = Booking.objects.filter(session=session, status="booked").count()
    session.save()
    other = participant_api(client, event, make_delegate(event, categories["company"]))
    other.get("wic/forums")
    with CaptureQueriesContext(connection) as queries:
        full = book(other, session)
    assert full.status_code == 409 and full.json()["code"] == "full"
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 2, sql
    assert not any(s.upper().startswith(("INSERT", "UPDATE", "BEGIN")) for s in sql), sql


def test_idempotency_key_in_header_and_body_wins(me, event, session, categories):
    path = f"wic/sessions/{session.pk}/bookings"
    k = key()
    first = me.post(path, {"mode": "onsite"}, HTTP_IDEMPOTENCY_KEY=k)
    assert first.status_code == 201, first.content
    # Same key in the body, another in the header: the body's key decides, so this is a replay.
    again = me.post(path, {"mode": "onsite", "idempotency_key": k}, HTTP_IDEMPOTENCY_KEY=key())
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Booking.objects.count() == 1


def test_missing_or_malformed_idempotency_key_is_422(me, session):
    path = f"wic/sessions/{session.pk}/bookings"
    body = assert_error(me.post(path, {"mode": "onsite"}), 422, "idempotency_key_required")
    assert body["field"] == "idempotency_key"
    assert_error(
        me.post(path, {"mode": "onsite", "idempotency_key": "short"}), 422, "idempotency_key_invalid"
    )
    assert_error(
        me.post(path, {"mode": "onsite"}, HTTP_IDEMPOTENCY_KEY="has spaces in it"),
        422,
        "idempotency_key_invalid",
    )
    assert_error(me.post(path, {"mode": "sofa", "idempotency_key": key()}), 422, "invalid_mode")
    assert_error(
        me.post(path, {"mode": "onsite", "idempotency_key": key(), "x": 1}), 422, "validation_failed"
    )
    assert Booking.objects.count() == 0


def test_same_key_for_another_request_is_409(me, event, session):
    k = key()
    assert book(me, session, idempotency_key=k).status_code == 201
    other = make_session(event, capacity=5, start=event.start + timedelta(days=1))
    assert_error(book(me, other, idempotency_key=k), 409, "idempotency_key_reused")


def test_full_session_offers_waitlist_and_online(event, categories, client, session):
    apis = [participant_api(client, event, make_delegate(event, categories["company"])) for _ in range(4)]
    assert book(apis[0], session).status_code == 201
    assert book(apis[1], session).status_code == 201
    body = assert_error(book(apis[2], session), 409, "full")
    assert body["offers"] == ["waitlist", "online"]
    waiting = book(apis[2], session, join_waitlist=True)
    assert waiting.status_code == 201
    assert waiting.json()["status"] == "waitlisted" and waiting.json()["waitlist_position"] == 1
    second = book(apis[3], session, join_waitlist=True).json()
    assert second["waitlist_position"] == 2
    online = book(apis[3], make_session(event, capacity=0), mode="online")
    assert online.status_code == 409  # overlaps the session they wait for
    assert online.json()["code"] == "time_conflict"


def test_time_conflict_and_replace(me, event, session, forum):
    first = book(me, session).json()
    overlapping = make_session(event, forum, start=session.start + timedelta(minutes=30), capacity=5)
    body = assert_error(book(me, overlapping), 409, "time_conflict")
    assert body["conflicting_session"] == session.pk
    switched = book(me, overlapping, replace=first["id"])
    assert switched.status_code == 201, switched.content
    assert Booking.objects.get(pk=first["id"]).status == "cancelled"
    assert_error(book(me, session, replace=999999), 404, "booking_not_found")


def test_not_approved_is_403(client, event, categories, session):
    pending = make_participant(event, categories["company"])
    api = participant_api(client, event, pending)
    assert_error(book(api, session), 403, "not_approved")


def test_session_of_another_event_is_404(me, other_event):
    foreign = make_session(other_event, capacity=5)
    assert_error(book(me, foreign), 404, "session_not_found")
    assert_error(
        me.post("wic/sessions/999999/bookings", {"mode": "onsite", "idempotency_key": key()}),
        404,
        "session_not_found",
    )


def test_token_without_participant_is_404_not_a_participant(org, session):
    assert_error(book(org, session), 404, "not_a_participant")
    assert_error(org.get("wic/me/bookings"), 404, "not_a_participant")
    assert_error(org.delete("wic/me/bookings/1"), 404, "not_a_participant")


def test_my_bookings_and_cancel(me, event, categories, client, session):
    seat = book(me, session).json()
    later = make_session(event, capacity=5, start=event.start + timedelta(days=1))
    online = book(me, later, mode="online").json()
    response = me.get("wic/me/bookings")
    assert response.status_code == 200
    items = response.json()
    assert [b["id"] for b in items] == [seat["id"], online["id"]]
    assert items[0]["session_summary"]["title_en"] == session.title_en
    assert items[0]["session_summary"]["start"].endswith("+08:00")
    assert items[1]["mode"] == "online"

    other = make_delegate(event, categories["company"])
    theirs = book(participant_api(client, event, other), later).json()
    assert_error(me.delete(f"wic/me/bookings/{theirs['id']}"), 404, "booking_not_found")

    response = me.delete(f"wic/me/bookings/{seat['id']}")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert_error(me.delete(f"wic/me/bookings/{seat['id']}"), 409, "already_cancelled")
    assert [b["id"] for b in me.get("wic/me/bookings").json()] == [online["id"]]


def test_organizer_lists_and_removes_bookings_promoting_first_waitlisted(
    org, event, categories, client, session, organizer
):
    people = [make_delegate(event, categories["company"]) for _ in range(4)]
    apis = [participant_api(client, event, p) for p in people]
    seat = book(apis[0], session).json()
    book(apis[1], session)
    book(apis[2], session, join_waitlist=True)
    book(apis[3], session, join_waitlist=True)

    listing = org.get(f"wic/sessions/{session.pk}/bookings")
    assert listing.status_code == 200
    rows = listing.json()
    assert [r["participant"] for r in rows] == [p.pk for p in people]
    assert [r["waitlist_rank"] for r in rows] == [None, None, 1, 2]
    assert rows[0]["name"] == people[0].display_name and rows[0]["created_at"].endswith("+08:00")
    waiting = org.get(f"wic/sessions/{session.pk}/bookings", {"status": "waitlisted"}).json()
    assert [(r["participant"], r["waitlist_rank"]) for r in waiting] == [(people[2].pk, 1), (people[3].pk, 2)]
    assert_error(org.get(f"wic/sessions/{session.pk}/bookings", {"status": "x"}), 422, "bad_filter")

    mail.outbox.clear()
    removed = org.delete(f"wic/bookings/{seat['id']}?reason=No+show")
    assert removed.status_code == 200, removed.content
    assert removed.json()["status"] == "cancelled"
    statuses = dict(Booking.objects.filter(session=session).values_list("participant_id", "status"))
    assert statuses[people[2].pk] == "booked" and statuses[people[3].pk] == "waitlisted"
    assert [m.to for m in mail.outbox] == [[people[2].email]]
    entry = AuditEntry.objects.get(action="booking.removed")
    assert entry.reason == "No show"
    rows = org.get(f"wic/sessions/{session.pk}/bookings", {"status": "waitlisted"}).json()
    assert [(r["participant"], r["waitlist_rank"]) for r in rows] == [(people[3].pk, 1)]

    assert_error(org.delete(f"wic/bookings/{seat['id']}"), 409, "already_cancelled")
    assert_error(org.delete("wic/bookings/999999"), 404, "booking_not_found")


def test_booking_of_another_event_cannot_be_removed(org, client, other_event):
    foreign_session = make_session(other_event, capacity=5)
    person = make_delegate(other_event)
    booking = services.book(session=foreign_session, participant=person, mode="onsite", idempotency_key=key())
    assert_error(org.delete(f"wic/bookings/{booking.booking.pk}"), 404, "booking_not_found")


def test_errors_are_json_with_code_and_detail(me, session):
    for response in (
        me.post(f"wic/sessions/{session.pk}/bookings", None),
        me.client.post(
            f"/api/events/wic/sessions/{session.pk}/bookings",
            "{not json",
            content_type="application/json",
            **auth(me.raw),
        ),
        me.get("wic/sessions/abc"),
    ):
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
        assert body["code"] and body["detail"], body
