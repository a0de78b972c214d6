"""A crash between a booking's commit and its answer: the worker is killed, the connection drops, and the
client sends the same request again with the same idempotency key. The retry must answer with the booking
the first attempt stored, whatever happened in between (seats filled, the booking cancelled, the session
over), and a crash before the commit must leave nothing behind. ``benchmarks/seat_rush.py --kill-workers``
does the same to a running server; here the crash is an exception nothing in the request handles, raised
right after the commit (``transaction.on_commit``) or before it. Real commits: ``transaction=True``.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from summit.accounts.services import create_api_token
from summit.core import idempotency
from summit.core.models import IdempotencyKey
from summit.events.testing import make_event
from summit.program import services
from summit.program.models import Booking, Session
from summit.program.testing import make_forum, make_session
from summit.registration.testing import make_delegate

pytestmark = pytest.mark.django_db(transaction=True)


class Crash(BaseException):
    """The process dies: no ``except Exception`` on the way answers anything."""


@pytest.fixture
def event():
    return make_event("crash")


@pytest.fixture
def session(event):
    return make_session(event, make_forum(event), capacity=1)


def crash(monkeypatch, *, after_commit: bool) -> None:
    """The next booking dies right after its transaction commits, or just before it stores its key."""
    real = idempotency.remember

    def remember(**kwargs):
        monkeypatch.setattr(idempotency, "remember", real)  # only once
        if not after_commit:
            raise Crash
        real(**kwargs)
        transaction.on_commit(die)

    monkeypatch.setattr(idempotency, "remember", remember)


def die():
    raise Crash


def book(session, person, key, **kw):
    kw.setdefault("mode", Booking.ONSITE)
    return services.book(session=session, participant=person, idempotency_key=key, **kw)


def stored(person) -> list[tuple[int, str]]:
    return list(Booking.objects.filter(participant=person).order_by("pk").values_list("pk", "status"))


def keys(person) -> int:
    return IdempotencyKey.objects.filter(owner=f"participant:{person.pk}").count()


def booked_unanswered(monkeypatch, session, person, key, **kw) -> int:
    """Book, crash after the commit; the booking's id (stored, never answered)."""
    crash(monkeypatch, after_commit=True)
    with pytest.raises(Crash):
        book(session, person, key, **kw)
    [(pk, _status)] = stored(person)
    assert keys(person) == 1
    return pk


def test_retry_after_a_crash_between_commit_and_answer_returns_the_stored_booking(
    monkeypatch, event, session
):
    person, other = make_delegate(event), make_delegate(event)
    pk = booked_unanswered(monkeypatch, session, person, "retry-key-0001")
    # The seat is gone meanwhile: someone else is told the session is full.
    with pytest.raises(services.SessionFull):
        book(session, other, "other-key-0001")
    again = book(session, person, "retry-key-0001")
    assert again.replayed and again.booking.pk == pk and again.booking.status == Booking.BOOKED
    assert stored(person) == [(pk, Booking.BOOKED)] and keys(person) == 1


def test_retry_of_a_waitlist_join_returns_the_spot_even_once_promoted(monkeypatch, event, session):
    holder, person = make_delegate(event), make_delegate(event)
    seat = book(session, holder, "holder-key-0001").booking
    pk = booked_unanswered(monkeypatch, session, person, "retry-key-0002", join_waitlist=True)
    assert stored(person) == [(pk, Booking.WAITLISTED)]
    services.cancel_booking(booking=seat, actor=holder.user)
    again = book(session, person, "retry-key-0002", join_waitlist=True)
    assert again.replayed and again.booking.pk == pk and again.booking.status == Booking.BOOKED
    assert stored(person) == [(pk, Booking.BOOKED)] and keys(person) == 1


def test_a_crash_before_the_commit_leaves_nothing_and_the_retry_books(monkeypatch, event, session):
    person = make_delegate(event)
    crash(monkeypatch, after_commit=False)
    with pytest.raises(Crash):
        book(session, person, "retry-key-0003")
    assert stored(person) == [] and keys(person) == 0  # no half-written booking, no key without it
    again = book(session, person, "retry-key-0003")
    assert not again.replayed and again.booking.status == Booking.BOOKED
    assert stored(person) == [(again.booking.pk, Booking.BOOKED)] and keys(person) == 1


def test_retry_returns_the_stored_booking_after_it_was_cancelled_and_the_seat_taken(
    monkeypatch, event, session
):
    """The first result, not a new decision: neither "full" nor a second booking."""
    person, other = make_delegate(event), make_delegate(event)
    pk = booked_unanswered(monkeypatch, session, person, "retry-key-0004")
    services.cancel_booking(booking=Booking.objects.get(pk=pk), actor=None)
    book(session, other, "other-key-0004")  # the freed seat goes to someone else
    again = book(session, person, "retry-key-0004")
    assert again.replayed and again.booking.pk == pk and again.booking.status == Booking.CANCELLED
    assert stored(person) == [(pk, Booking.CANCELLED)] and keys(person) == 1


def test_retry_returns_the_stored_booking_once_the_session_is_over(monkeypatch, event, session):
    person = make_delegate(event)
    pk = booked_unanswered(monkeypatch, session, person, "retry-key-0005")
    past = timezone.now() - timedelta(hours=1)
    Session.objects.filter(pk=session.pk).update(start=past - timedelta(hours=1), end=past)
    session.refresh_from_db()
    again = book(session, person, "retry-key-0005")
    assert again.replayed and again.booking.pk == pk
    # A new request (another key) for the session is refused as before.
    with pytest.raises(services.Conflict) as over:
        book(session, make_delegate(event), "other-key-0005")
    assert over.value.code == "session_over"


def test_api_retry_after_the_answer_was_lost_is_200_with_the_stored_booking(
    monkeypatch, client, event, session
):
    person = make_delegate(event)
    raw = create_api_token(event=event, user=person.user, name="my phone")[1]
    path = f"/api/events/{event.slug}/sessions/{session.pk}/bookings"
    body = json.dumps({"mode": "onsite", "idempotency_key": uuid.uuid4().hex})

    def post():
        return client.post(path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")

    crash(monkeypatch, after_commit=True)
    with pytest.raises(Crash):
        post()
    [(pk, _status)] = stored(person)
    retried = post()
    assert retried.status_code == 200, retried.content
    assert retried.json() == {
        "id": pk,
        "session": session.pk,
        "mode": "onsite",
        "status": "booked",
        "waitlist_position": None,
    }
    assert stored(person) == [(pk, Booking.BOOKED)] and keys(person) == 1
