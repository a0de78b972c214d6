"""Row locks in one global order, and the errors a waiting writer can meet (design.md §3).

**One lock order for the whole system.** Every lockable model declares its ``lock_rank``; a unit of work takes
its locks in ascending rank and, within a call, in ascending key, so two units of work never wait for each
other in a circle (the way pretix's ``lock_objects`` sorts its keys). The ranks, lowest first:

====  ===========================  =====================================================================
rank  rows                         why there
====  ===========================  =====================================================================
 10   sign-in links, invitations   a single row a registration uses up
 20   a category (on-site quota)   a person's registration: the quota row first, because promoting someone
                                   from the category's waitlist writes that person's row while the quota is
                                   held (person-first would deadlock against that person's own change)
 30   participants (the person)    serializes one person's bookings and registration changes
 40   capacity rows                session seats, demo slots, hotel room-nights: sorted by kind, then key
====  ===========================  =====================================================================

:func:`lock_all` locks several kinds at once in that order; :func:`lock` one kind. Inside
:func:`write_transaction` every lock is checked against the ones already held: taking a lower rank after a
higher one raises :class:`LockOrderError` (a programming error that would be a deadlock under load).

**Errors by code, never by message text.** PostgreSQL connections carry a ``lock_timeout``
(``LOCK_TIMEOUT_MS``, set in ``settings.database_from_url``): a lock wait that times out is SQLSTATE 55P03,
a deadlock 40P01. SQLite serializes writers (``BEGIN IMMEDIATE``) and reports a writer that waited too long
as ``SQLITE_BUSY``. :func:`write_transaction` turns these into :class:`~summit.core.errors.Busy` ("try again in
a moment"); a deadlock becomes :class:`Deadlock`, and :func:`unit_of_work` runs the whole unit once more
before "busy" reaches a person.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import sqlite3
import time
from contextlib import contextmanager

from django.db import OperationalError, connection, transaction

from summit.core.errors import Busy

log = logging.getLogger(__name__)

RANK_LINK = 10
RANK_QUOTA = 20
RANK_PERSON = 30
RANK_CAPACITY = 40

# Test switches (design.md §3: prove the race before the fix). Context variables, so one test's setting
# never leaks into another; ``core.testing.run_at_once`` carries them into its threads.
# - ``locking_enabled``: False makes the services that honour it count first and write later (the classic
#   check-then-act bug), in separate transactions;
# - ``race_window``: seconds to sleep inside that gap, and after taking each lock, so the race shows on any
#   machine;
# - ``reversed_order``: True takes the locks of :func:`lock_all` in *descending* order (the order before one
#   global order existed), with the order check off, so a test can show the deadlock that order produces.
locking_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("locking_enabled", default=True)
race_window: contextvars.ContextVar[float] = contextvars.ContextVar("race_window", default=0.0)
reversed_order: contextvars.ContextVar[bool] = contextvars.ContextVar("reversed_order", default=False)

SQLSTATE_LOCK_NOT_AVAILABLE = "55P03"
SQLSTATE_DEADLOCK = "40P01"
SQLSTATE_SERIALIZATION = "40001"


class Deadlock(Busy):
    """The database broke a deadlock by aborting this transaction; running it again normally succeeds."""


class LockOrderError(RuntimeError):
    """A lock was requested below one already held: the global order (module docstring) is broken."""


# --- taking locks -------------------------------------------------------------------------------------------


def rank_of(model) -> tuple[int, str]:
    """A model's place in the lock order: ``(lock_rank, "app_label.model")``."""
    rank = getattr(model, "lock_rank", None)
    if rank is None:
        raise LockOrderError(f"{model._meta.label} has no lock_rank: add it to the lock order first")
    return rank, model._meta.label_lower


def lock(queryset, *, order_by=("pk",), limit: int | None = None):
    """Return the rows of ``queryset`` locked for update, in primary-key order (or ``order_by``).

    Only the rows of the queried table are locked (joined ``select_related`` rows stay unlocked). On SQLite
    the write transaction already holds the database's write lock (``BEGIN IMMEDIATE``)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock() must be called inside transaction.atomic()")
    _check_order(queryset.model)
    locked = queryset.select_for_update(of=("self",)).order_by(*order_by)
    rows = list(locked[:limit] if limit else locked)
    _after_lock()
    return rows


def lock_one(queryset, *, order_by=("pk",)):
    rows = lock(queryset, order_by=order_by, limit=1)
    return rows[0] if rows else None


def lock_all(*querysets) -> list[list]:
    """Lock the rows of several querysets in the global order (by rank, then kind, then key) and return each
    queryset's rows, in the order the querysets were given."""
    order = sorted(range(len(querysets)), key=lambda i: rank_of(querysets[i].model))
    if reversed_order.get():
        order.reverse()
    found: dict[int, list] = {}
    for i in order:
        qs = querysets[i]
        found[i] = lock(qs, order_by=("-pk",) if reversed_order.get() else ("pk",))
    return [found[i] for i in range(len(querysets))]


def note_locked(*models) -> None:
    """Record locks taken by a hand-written statement (the booking hot path), in the order it takes them."""
    for model in models:
        _check_order(model)
    _after_lock()


def _after_lock() -> None:
    window = race_window.get()
    if window:  # race tests only: hold the lock a moment, so the other threads queue behind it
        time.sleep(window)


def _ledger():
    return getattr(connection, "_summit_lock_ledger", None)


def _check_order(model) -> None:
    ledger = _ledger()
    if ledger is None or reversed_order.get():
        return
    key = rank_of(model)
    if ledger["highest"] is not None and key < ledger["highest"]:
        raise LockOrderError(
            f"{model._meta.label} (rank {key[0]}) locked after {ledger['highest'][1]} (rank "
            f"{ledger['highest'][0]}): take locks in the order of core/locking.py"
        )
    ledger["highest"] = max(key, ledger["highest"] or key)


# --- transactions and their errors --------------------------------------------------------------------------


def classify(exc: BaseException) -> type[Busy] | None:
    """Deadlock or Busy for a database error that means "someone else holds what you wait for", else None."""
    cause = exc
    while cause is not None:
        sqlstate = getattr(cause, "sqlstate", None)
        if sqlstate == SQLSTATE_DEADLOCK:
            return Deadlock
        if sqlstate in (SQLSTATE_LOCK_NOT_AVAILABLE, SQLSTATE_SERIALIZATION):
            return Busy
        code = getattr(cause, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return Busy
        cause = cause.__cause__ or cause.__context__
    return None


@contextmanager
def busy_errors():
    """Lock timeouts and SQLite's busy error become Busy, a deadlock becomes Deadlock: around
    :func:`write_transaction`'s transaction, and around one statement that is a transaction of its own (no
    BEGIN, no COMMIT: PostgreSQL in autocommit)."""
    try:
        yield
    except OperationalError as exc:
        kind = classify(exc)
        if kind is None:
            raise
        raise kind() from exc


@contextmanager
def write_transaction():
    """``transaction.atomic()`` for a unit of work: lock timeouts and SQLite's busy error become Busy, a
    deadlock becomes Deadlock, and the locks taken inside are checked against the global order."""
    outermost = _ledger() is None
    if outermost:
        connection._summit_lock_ledger = {"highest": None}
    try:
        with busy_errors(), transaction.atomic():
            yield
    finally:
        if outermost:
            connection._summit_lock_ledger = None


def unit_of_work(function):
    """Run a service that takes more than one lock; a deadlock runs it once more, then answers Busy.

    Inside an outer transaction the unit cannot be retried on its own: the Deadlock goes to the caller.
    """

    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Deadlock:
            if transaction.get_connection().in_atomic_block:
                raise
            log.warning("deadlock in %s; running it once more", function.__qualname__)
        try:
            return function(*args, **kwargs)
        except Deadlock as exc:
            log.warning("deadlock again in %s; answering busy", function.__qualname__)
            raise Busy() from exc

    return run
