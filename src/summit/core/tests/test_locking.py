"""One lock order, and lock waits recognised by their error code (core/locking.py)."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import OperationalError

from summit.core.errors import Busy
from summit.core.locking import Deadlock, classify, unit_of_work, write_transaction
from summit.core.testing import make_user


class FakePgError(Exception):
    def __init__(self, sqlstate, message="some text"):
        super().__init__(message)
        self.sqlstate = sqlstate


def wrapped(cause):
    """A database error as Django raises it: its driver's error is the cause."""
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as exc:
        return exc


def sqlite_error(code):
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = code
    return error


@pytest.mark.parametrize(
    "cause, expected",
    [
        (FakePgError("40P01", "deadlock detected"), Deadlock),
        (FakePgError("55P03", "canceling statement due to lock timeout"), Busy),
        (sqlite_error(sqlite3.SQLITE_BUSY), Busy),
        (sqlite_error(sqlite3.SQLITE_LOCKED), Busy),
        (sqlite_error(517), Busy),  # SQLITE_BUSY_SNAPSHOT: an extended busy code
    ],
)
def test_lock_waits_are_recognised_by_their_code(cause, expected):
    assert classify(wrapped(cause)) is expected


def test_a_message_that_mentions_locks_is_not_mistaken_for_a_lock_wait():
    """ "deadlock" or "lock" in the text of another error (a missing table called "locks") is not busy."""
    assert classify(wrapped(FakePgError("42P01", 'relation "deadlock_locks" does not exist'))) is None
    assert classify(wrapped(sqlite3.OperationalError("no such table: locks"))) is None


@pytest.mark.django_db
def test_write_transaction_turns_a_lock_timeout_into_busy_and_rolls_back():
    user = make_user()
    with pytest.raises(Busy):
        with write_transaction():
            user.name = "Changed"
            user.save()
            raise wrapped(FakePgError("55P03"))
    user.refresh_from_db()
    assert user.name != "Changed"


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_is_retried_once_then_answers_busy(caplog):
    calls = []

    @unit_of_work
    def flaky(fail_times):
        calls.append(1)
        if len(calls) <= fail_times:
            raise Deadlock()
        return "done"

    assert flaky(1) == "done" and len(calls) == 2
    calls.clear()
    with pytest.raises(Busy) as exc:
        flaky(5)
    assert len(calls) == 2
    assert not isinstance(exc.value, Deadlock) and exc.value.code == "busy"
    assert "deadlock again" in caplog.text
