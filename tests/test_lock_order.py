"""One lock order for the whole system (core/locking.py): a session switch and a registration change of the
same person at the same moment.

Before one order existed, a switch locked the sessions and then the person, while cancelling a registration
locked the person, then the category, then the sessions: on PostgreSQL the two waited for each other until the
database broke the deadlock. ``reversed_lock_order`` takes the locks in that old order, pausing after each, and
shows the deadlock; in the global order (quota, person, capacity rows), with the same pauses, there is none.
On SQLite writers are serialized (``BEGIN IMMEDIATE``), so neither order can deadlock there; the outcome checks
hold on both databases.
"""

from __future__ import annotations

import itertools
import logging
from datetime import timedelta

import pytest
from django.db import connection

from summit.core import locking
from summit.core.locking import LockOrderError, lock, write_transaction
from summit.core.testing import paused_locks, reversed_lock_order, run_at_once
from summit.events.testing import make_event
from summit.program import services as program
from summit.program.models import Booking, Session
from summit.program.testing import make_forum, make_session
from summit.registration import services as registration
from summit.registration.models import Category, Participant
from summit.registration.testing import make_delegate, make_standard_categories

pytestmark = pytest.mark.django_db(transaction=True)
_keys = itertools.count(1)


def book(session, person, **kw):
    return program.book(
        session=session,
        participant=person,
        mode="onsite",
        idempotency_key=f"lock-order-{next(_keys):05d}",
        **kw,
    )


def switch_and_cancel_at_once(order):
    """One person holds a morning seat; they switch to a clashing session while their registration is
    cancelled. Returns (the switch's outcome, the cancellation's outcome, the person)."""
    event = make_event(f"order-{next(_keys)}")
    forum = make_forum(event)
    morning = make_session(event, forum, capacity=5, title_en="Morning")
    clash = make_session(
        event, forum, start=event.start + timedelta(minutes=30), capacity=5, title_en="Clash"
    )
    person = make_delegate(event)
    seat = book(morning, person).booking
    with order:
        switched, cancelled = run_at_once(
            [
                lambda: book(clash, person, replace=seat),
                lambda: registration.cancel(participant=person, actor=None, reason="plans changed"),
            ]
        )
    return switched, cancelled, person


def deadlocks(caplog) -> int:
    return sum("deadlock" in r.getMessage() for r in caplog.records if r.name == "summit.core.locking")


def assert_consistent(switched, cancelled, person):
    """Whatever came first, the cancellation went through and the person holds no place anywhere."""
    assert cancelled.error is None, cancelled.error
    assert switched.error in (None, "not_approved"), switched.error
    person.refresh_from_db()
    assert person.status == Participant.CANCELLED
    assert not Booking.objects.filter(participant=person, status__in=Booking.ACTIVE).exists()


def test_the_old_lock_order_deadlocks_on_postgresql(caplog):
    caplog.set_level(logging.WARNING, logger="summit.core.locking")
    switched, cancelled, person = switch_and_cancel_at_once(reversed_lock_order(0.4))

    if connection.vendor == "postgresql":
        assert deadlocks(caplog) >= 1  # PostgreSQL broke a deadlock: the race is real
    else:
        assert deadlocks(caplog) == 0  # SQLite serializes writers
    # The deadlocked unit of work ran once more, so the person still got a clear answer.
    assert_consistent(switched, cancelled, person)


def test_the_global_lock_order_never_deadlocks(caplog):
    caplog.set_level(logging.WARNING, logger="summit.core.locking")
    for _ in range(3):
        switched, cancelled, person = switch_and_cancel_at_once(paused_locks(0.4))
        assert_consistent(switched, cancelled, person)
    assert deadlocks(caplog) == 0


def test_a_lock_below_one_already_held_is_refused():
    event = make_event("order")
    categories = make_standard_categories(event)
    person = make_delegate(event, categories["company"])
    session = make_session(event)
    with pytest.raises(LockOrderError, match="rank"):
        with write_transaction():
            lock(Session.objects.filter(pk=session.pk))
            lock(Participant.objects.filter(pk=person.pk))  # the person after a capacity row
    with write_transaction():  # the global order: quota, person, capacity
        locked = locking.lock_all(
            Session.objects.filter(pk=session.pk),
            Participant.objects.filter(pk=person.pk),
            Category.objects.filter(pk=person.category_id),
        )
    assert [len(rows) for rows in locked] == [1, 1, 1]
