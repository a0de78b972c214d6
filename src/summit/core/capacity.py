"""Limited places with a FIFO waitlist: one machine for every kind (design.md §3).

A *capacity row* is something with a limited number of places: a category's on-site quota, a session's
seats, later an expo demo slot or a hotel room-night. Its *holders* are the rows that take a place (an
approved on-site participant, a booked seat...) or wait for one, in the order they joined, by a monotonic
position handed out from the row's ``waitlist_seq`` while it is locked. A :class:`Pool` says how one kind
stores its rows and holders; everything else is shared:

- :func:`status_for` decides *held*, *waitlisted* or :class:`Full` from the limit and the places taken. A
  caller may run it on counts read without a lock first: a "full" answer needs no lock (a place freed a moment
  later goes to the waitlist anyway), so a rush of people who missed out never queues for the write lock;
- lock, count, write in one transaction: :func:`reserve` locks the rows in the global lock order
  (``core.locking``), counts them in one query and stores the holds, several rows all or nothing (what a
  hotel stay of several nights needs), with idempotent replay (:func:`once`);
- :func:`next_position` hands out the next waitlist position of a locked row;
- :func:`promote` gives freed places to the first on the waitlist, FIFO, in the transaction that freed them.

The seat rush's hot path (``program.services.book``) reads and locks with hand-written SQL for speed, and
uses :func:`status_for`, :func:`next_position`, :func:`promote` and :func:`once` from here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from summit.core import idempotency
from summit.core.errors import Conflict
from summit.core.locking import lock, locking_enabled, race_window, write_transaction

HELD = "held"
WAITLISTED = "waitlisted"


class Full(Conflict):
    """No place left. ``rows`` are the capacity rows that are full; ``offers`` what the caller may do instead."""

    code = "full"

    def __init__(self, message=None, *, rows=(), offers=()):
        self.rows = list(rows)
        self.offers = list(offers)
        super().__init__(message or _("There is no place left."))

    def as_dict(self) -> dict:
        return {**super().as_dict(), "offers": self.offers}


class Pool:
    """One kind of limited thing. Subclasses set ``model`` (the capacity row, with ``lock_rank`` and a
    ``waitlist_seq`` counter) and ``hold_model``, and say how places are counted and given."""

    model = None
    hold_model = None

    def limit(self, row) -> int | None:
        """The number of places of ``row``; None for no limit."""
        raise NotImplementedError

    def taken(self, rows: list) -> dict:
        """Places held per row (``{row.pk: count}``), counted in one query; called under the rows' locks."""
        raise NotImplementedError

    def waiting(self, row):
        """The holds waiting for ``row``, first in line first (a queryset ordered by position, then id)."""
        raise NotImplementedError

    def admit(self, hold, row, *, now, actor, **context) -> None:
        """Give ``hold`` the place it waited for (or, for an applicant, the next step towards one) and save it."""
        raise NotImplementedError

    def full(self, rows: list, **context) -> Full:
        """The error for ``rows`` being full."""
        return Full(rows=rows)


def fits(limit: int | None, taken: int, want: int = 1) -> bool:
    return limit is None or taken + want <= limit


def status_for(limit: int | None, taken: int, *, join_waitlist: bool, want: int = 1, full: Callable) -> str:
    """HELD when ``want`` more places fit, WAITLISTED when they do not and the caller joins the waitlist;
    otherwise raise ``full()``."""
    if fits(limit, taken, want):
        return HELD
    if join_waitlist:
        return WAITLISTED
    raise full()


def next_position(row, *, counter: str = "waitlist_seq", save: bool = True) -> int:
    """The next waitlist position of ``row``, whose lock the caller holds; stored at once unless ``save`` is
    False (a batch then stores the counters once with :func:`store_positions`)."""
    value = getattr(row, counter) + 1
    setattr(row, counter, value)
    if save:
        type(row).objects.filter(pk=row.pk).update(**{counter: value})
    return value


def store_positions(rows: Iterable, *, counter: str = "waitlist_seq") -> None:
    """Store the waitlist counters of locked ``rows`` after :func:`next_position` with ``save=False``."""
    for row in rows:
        type(row).objects.filter(pk=row.pk).update(**{counter: getattr(row, counter)})


def promote(pool: Pool, row, *, places: int | None = None, exclude: Iterable = (), actor=None, **context):
    """Give free places of ``row`` to the first holds on its waitlist, in order, and return them.

    The caller holds ``row``'s lock and has just freed a place (or raised the limit). ``places`` caps how many
    are promoted (a category promotes one person per freed place, even into review); ``exclude`` are holds
    the caller decided on in the same change, who must not come straight back.
    """
    limit = pool.limit(row)
    free = None if limit is None else limit - pool.taken([row]).get(row.pk, 0)
    if free is not None and free <= 0:
        return []
    budget = places if free is None else (free if places is None else min(places, free))
    if budget is not None and budget <= 0:
        return []
    now = timezone.now()
    promoted = []
    queue = pool.waiting(row).exclude(pk__in=list(exclude))
    for hold in queue[:budget] if budget is not None else queue:
        pool.admit(hold, row, now=now, actor=actor, **context)
        promoted.append(hold)
    return promoted


@dataclass
class Reservation:
    holds: list = field(default_factory=list)
    replayed: bool = False


def reserve(
    pool: Pool,
    rows: list,
    *,
    hold: Callable,
    want: int = 1,
    join_waitlist: bool = False,
    idempotency_key: tuple[str, str, str] | None = None,
    **context,
) -> Reservation:
    """Reserve ``want`` places on every row of ``rows`` at once, all or nothing.

    Locks the rows (in the global lock order), counts their places in one query, and either stores one hold
    per row through ``hold(row, status, position)`` or raises ``pool.full(full_rows)`` naming every full row.
    ``join_waitlist`` queues a single-row reservation when it is full (a stay of several nights is never half
    waitlisted). ``idempotency_key`` is ``(owner, key, fingerprint)``: a repeat returns the first result.
    """
    if not rows:
        return Reservation()
    if join_waitlist and len(rows) > 1:
        raise ValueError("only a single-row reservation can join a waitlist")

    def attempt() -> Reservation:
        if not locking_enabled.get():
            return _reserve_without_lock(pool, rows, hold, want, join_waitlist, idempotency_key, context)
        with write_transaction():
            locked = lock(pool.model.objects.filter(pk__in=[r.pk for r in rows]))
            result = _place(pool, locked, hold, want, join_waitlist, context)
            _remember(idempotency_key, result)
        return Reservation(holds=result)

    if idempotency_key is None:
        return attempt()
    return once(idempotency_key, attempt, lambda stored: _replay(pool, stored))


def _full_rows(pool, rows, want, join_waitlist, context) -> list:
    """The rows of ``rows`` without ``want`` free places; raises ``pool.full`` unless the caller waits."""
    taken = pool.taken(rows)
    full = [row for row in rows if not fits(pool.limit(row), taken.get(row.pk, 0), want)]
    if full and not join_waitlist:
        raise pool.full(full, **context)
    return full


def _remember(idempotency_key, holds) -> None:
    if idempotency_key is not None:
        owner, key, fingerprint = idempotency_key
        idempotency.remember(
            owner=owner, key=key, fingerprint=fingerprint, result={"ids": [h.pk for h in holds]}
        )


def _place(pool, locked, hold, want, join_waitlist, context) -> list:
    full = _full_rows(pool, locked, want, join_waitlist, context)
    holds = []
    for row in locked:
        if full:
            holds.append(hold(row, WAITLISTED, next_position(row)))
        else:
            holds.append(hold(row, HELD, None))
    return holds


def _reserve_without_lock(pool, rows, hold, want, join_waitlist, idempotency_key, context) -> Reservation:
    """The broken version, for race tests only (``locking_enabled`` off): count now, write later."""
    fresh = list(pool.model.objects.filter(pk__in=[r.pk for r in rows]).order_by("pk"))
    full = _full_rows(pool, fresh, want, join_waitlist, context)
    time.sleep(race_window.get())
    with transaction.atomic():
        holds = []
        for row in fresh:
            if full:
                type(row).objects.filter(pk=row.pk).update(waitlist_seq=F("waitlist_seq") + 1)
                row.refresh_from_db(fields=["waitlist_seq"])
                holds.append(hold(row, WAITLISTED, row.waitlist_seq))
            else:
                holds.append(hold(row, HELD, None))
        _remember(idempotency_key, holds)
    return Reservation(holds=holds)


def _replay(pool: Pool, stored: dict) -> Reservation:
    holds = {h.pk: h for h in pool.hold_model.objects.filter(pk__in=stored["ids"])}
    return Reservation(holds=[holds[pk] for pk in stored["ids"] if pk in holds], replayed=True)


def once(idempotency_key: tuple[str, str, str], attempt: Callable, replay: Callable, *, look_first=True):
    """Run ``attempt`` (which stores the key with its result, in its own transaction) unless the key was seen:
    then return ``replay(stored result)``. Two requests with one key at the same moment: the database's unique
    key lets one store it; the other gets the first one's result. ``look_first=False`` skips the first read,
    for a caller that already knows the key is new unless its own rows say otherwise (the booking hot path)."""
    owner, key, fingerprint = idempotency_key
    stored = idempotency.lookup(owner=owner, key=key, fingerprint=fingerprint) if look_first else None
    if stored is not None:
        return replay(stored)
    try:
        return attempt()
    except IntegrityError:
        stored = idempotency.lookup(owner=owner, key=key, fingerprint=fingerprint)
        if stored is None:
            raise
        return replay(stored)
