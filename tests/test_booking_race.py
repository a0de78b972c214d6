"""Seats and waitlist positions hold under real concurrency (design.md §3: prove the race, then the fix).

Every test runs real threads, each on its own database connection, released together by a barrier. With
the seat lock switched off (``core.testing.without_locks``) booking oversells; with it on, it never does.
A service may answer ``Busy`` when a writer waits too long for the lock: the caller is then meant to try
again, so the threads here retry on ``Busy`` only, and count how often they had to.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from datetime import timedelta

import pytest

from summit.core.testing import errors, run_at_once, without_locks
from summit.events.testing import make_event
from summit.program import services
from summit.program.models import Booking
from summit.program.testing import make_forum, make_session
from summit.registration.testing import make_delegate

pytestmark = pytest.mark.django_db(transaction=True)

# Wide enough that every thread has counted the free seats before the first one writes, on any machine.
RACE_WINDOW = 1.0
_keys = itertools.count(1)


def key(label: str = "k") -> str:
    return f"race-{label}-{next(_keys):06d}"


def book_call(session, person, *, label="book", **kw):
    kw.setdefault("mode", Booking.ONSITE)
    k = kw.pop("idempotency_key", None) or key(label)
    return lambda: services.book(session=session, participant=person, idempotency_key=k, **kw)


def onsite_booked(session) -> int:
    return Booking.objects.filter(session=session, status=Booking.BOOKED, mode=Booking.ONSITE).count()


@pytest.fixture
def event():
    return make_event("race")


def people(event, count):
    return [make_delegate(event) for _ in range(count)]


def nearly_full(event, *, capacity=10, left=3):
    """A session with ``left`` of ``capacity`` seats free, the others booked through the service."""
    session = make_session(event, make_forum(event), capacity=capacity)
    for holder in people(event, capacity - left):
        services.book(session=session, participant=holder, mode=Booking.ONSITE, idempotency_key=key("seed"))
    return session


# --- the race, and the fix ----------------------------------------------------------------------------------


def test_without_the_lock_twelve_people_oversell_three_seats(event):
    session = nearly_full(event)
    crowd = people(event, 12)

    with without_locks(RACE_WINDOW):
        outcomes = run_at_once([book_call(session, p) for p in crowd])

    assert errors(outcomes) == Counter()
    assert onsite_booked(session) > session.capacity  # the race is real: 7 + 12 seats out of 10
    assert onsite_booked(session) == 7 + 12


@pytest.mark.parametrize("join_waitlist", [False, True], ids=["refused", "waitlisted"])
def test_with_the_lock_twelve_people_get_exactly_the_three_seats(event, join_waitlist):
    session = nearly_full(event)
    crowd = people(event, 12)

    outcomes = run_at_once([book_call(session, p, join_waitlist=join_waitlist) for p in crowd])

    busy = sum(o.busy for o in outcomes)
    assert onsite_booked(session) == session.capacity, f"{busy} Busy retries"
    mine = Booking.objects.filter(session=session, participant__in=crowd)
    if join_waitlist:
        assert errors(outcomes) == Counter()
        assert sorted(o.result.booking.status for o in outcomes) == ["booked"] * 3 + ["waitlisted"] * 9
        waiting = list(
            mine.filter(status=Booking.WAITLISTED)
            .order_by("created_at", "pk")
            .values_list("waitlist_position", flat=True)
        )
        assert waiting == list(range(1, 10))
        session.refresh_from_db()
        assert session.waitlist_seq == 9
    else:
        assert errors(outcomes) == Counter({"full": 9})
        assert mine.count() == 3
        assert not mine.filter(status=Booking.WAITLISTED).exists()


# --- the waitlist -------------------------------------------------------------------------------------------


def test_waitlist_order_is_exact_under_concurrent_cancellations_and_joins(event):
    session = make_session(event, make_forum(event), capacity=5)
    holders, waiting, newcomers = people(event, 5), people(event, 10), people(event, 5)
    seats = [
        services.book(
            session=session, participant=p, mode=Booking.ONSITE, idempotency_key=key("seat")
        ).booking
        for p in holders
    ]
    for p in waiting:  # one after another: positions 1..10
        services.book(
            session=session,
            participant=p,
            mode=Booking.ONSITE,
            join_waitlist=True,
            idempotency_key=key("wait"),
        )

    cancels = [
        (lambda seat=seat: services.cancel_booking(booking=seat, actor=seat.participant.user))
        for seat in seats
    ]
    joins = [book_call(session, p, join_waitlist=True, label="join") for p in newcomers]
    # Interleave the two kinds so they really do start together.
    outcomes = run_at_once([call for pair in zip(cancels, joins, strict=True) for call in pair])

    assert errors(outcomes) == Counter(), [o.error for o in outcomes]
    bookings = Booking.objects.filter(session=session)
    # A freed seat goes to the waitlist in the same transaction, so a newcomer never finds one free.
    assert onsite_booked(session) == 5
    promoted = list(
        bookings.filter(status=Booking.BOOKED)
        .order_by("promoted_at", "pk")
        .values_list("participant_id", flat=True)
    )
    assert promoted == [p.pk for p in waiting[:5]]  # exactly the five earliest, in their order
    assert set(bookings.filter(status=Booking.CANCELLED).values_list("participant_id", flat=True)) == {
        p.pk for p in holders
    }
    still_waiting = list(
        bookings.filter(status=Booking.WAITLISTED)
        .order_by("created_at", "pk")
        .values_list("participant_id", "waitlist_position")
    )
    assert [pid for pid, _ in still_waiting[:5]] == [p.pk for p in waiting[5:]]
    assert {pid for pid, _ in still_waiting[5:]} == {p.pk for p in newcomers}
    positions = [pos for _, pos in still_waiting]
    assert positions == sorted(set(positions))  # unique and strictly increasing by joining time
    assert positions == list(range(6, 16))
    session.refresh_from_db()
    assert session.waitlist_seq == 15
    # Nobody holds two places in the session.
    per_person = Counter(bookings.filter(status__in=Booking.ACTIVE).values_list("participant_id", flat=True))
    assert set(per_person.values()) == {1} and len(per_person) == 15


# --- switching ----------------------------------------------------------------------------------------------


def test_concurrent_switches_never_leave_both_or_neither(event):
    forum = make_forum(event)
    morning = make_session(event, forum, title_en="Morning panel", capacity=8)
    clash = make_session(event, forum, start=event.start + timedelta(minutes=30), capacity=3)
    switchers = people(event, 8)
    held = {
        p.pk: services.book(
            session=morning, participant=p, mode=Booking.ONSITE, idempotency_key=key("held")
        ).booking
        for p in switchers
    }
    waiting = people(event, 3)
    for p in waiting:
        services.book(
            session=morning, participant=p, mode=Booking.ONSITE, join_waitlist=True, idempotency_key=key("w")
        )

    calls = [book_call(clash, p, replace=held[p.pk], label="switch") for p in switchers]
    # The first switcher also sends the same switch twice more, with new keys (a double click).
    calls += [book_call(clash, switchers[0], replace=held[switchers[0].pk], label="again") for _ in range(2)]
    outcomes = run_at_once(calls)

    assert set(errors(outcomes)) <= {"full", "replace_inactive", "already_booked"}, errors(outcomes)
    assert onsite_booked(clash) == 3
    moved = [o.result for o in outcomes if o.result is not None]
    assert len(moved) == 3 and all(o.replaced is not None for o in moved)
    for p in switchers:
        active = Booking.objects.filter(participant=p, status__in=Booking.ACTIVE)
        sessions = list(active.values_list("session_id", flat=True))
        assert len(sessions) == 1, f"participant {p.pk} holds {sessions}"  # never both, never neither
        if sessions == [clash.pk]:
            assert Booking.objects.get(pk=held[p.pk].pk).status == Booking.CANCELLED
        else:
            assert Booking.objects.get(pk=held[p.pk].pk).status == Booking.BOOKED
    # The three seats freed in the morning went to its waitlist, in order.
    assert onsite_booked(morning) == 8
    assert set(
        Booking.objects.filter(session=morning, status=Booking.BOOKED, participant__in=waiting).values_list(
            "participant_id", flat=True
        )
    ) == {p.pk for p in waiting}
    assert not Booking.objects.filter(session=morning, status=Booking.WAITLISTED).exists()


# --- idempotency --------------------------------------------------------------------------------------------


def test_the_same_key_sent_by_several_threads_at_once_gives_one_booking(event):
    session = make_session(event, make_forum(event), capacity=5)
    person = make_delegate(event)
    same = key("same")

    outcomes = run_at_once([book_call(session, person, idempotency_key=same) for _ in range(8)])

    booking = Booking.objects.get(participant=person)  # exactly one
    assert booking.status == Booking.BOOKED
    answered = [o.result for o in outcomes if o.result is not None]
    assert {r.booking.pk for r in answered} == {booking.pk}
    assert sum(not r.replayed for r in answered) == 1
    # Every thread gets the first result, even one that looked the key up just before the first booking
    # committed and checked the person's bookings just after.
    assert not errors(outcomes), errors(outcomes)
    assert len(answered) == 8


def test_a_booking_and_a_cancelled_registration_at_once_never_leave_a_seat_behind(event):
    """The registration is cancelled in a transaction that is still open when the person books: the booking
    waits for it and is then refused, so no cancelled participant keeps a seat."""
    session = nearly_full(event)
    person = make_delegate(event)
    changed, finish = threading.Event(), threading.Event()

    def cancel_registration():
        from django.db import transaction

        from summit.registration import services as registration

        with transaction.atomic():
            registration.cancel(participant=person, actor=None, reason="plans changed")
            changed.set()
            finish.wait(10)  # hold the change uncommitted while the booking runs

    def book_meanwhile():
        assert changed.wait(10)
        threading.Timer(0.5, finish.set).start()  # commit the cancellation while the booking waits
        return services.book(session=session, participant=person, mode="onsite", idempotency_key=key())

    cancelled, booked = run_at_once([cancel_registration, book_meanwhile])

    assert cancelled.error is None
    assert booked.error == "not_approved", booked.error
    assert not Booking.objects.filter(participant=person, status__in=Booking.ACTIVE).exists()


def test_one_person_booking_two_overlapping_sessions_at_once_gets_one(event):
    forum = make_forum(event)
    sessions = [make_session(event, forum, capacity=10, title_en=f"Parallel {i}") for i in range(4)]
    person = make_delegate(event)

    outcomes = run_at_once([book_call(s, person) for s in sessions])

    assert sum(o.error is None for o in outcomes) == 1
    assert errors(outcomes) == Counter({"time_conflict": 3})
    assert Booking.objects.filter(participant=person, status__in=Booking.ACTIVE).count() == 1
