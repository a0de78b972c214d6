"""Every change to the program and its bookings goes through here (design.md §2 and §3).

Booking rules, in one place:
- an approved participant books a session on-site (a seat) or online (no limit unless one is set);
  someone who attends online cannot take a seat;
- a full session answers :class:`SessionFull`, which offers the waitlist or an online place; with
  ``join_waitlist=True`` the participant joins the waitlist, FIFO by a monotonic position;
- a freed seat (cancellation, removal, capacity increase) goes to the first on the waitlist in the same
  transaction, and they get an e-mail;
- a session overlapping one the participant already holds (booked or waitlisted) is refused with
  :class:`TimeConflict` naming it; ``replace=`` swaps the two atomically (never both, never neither);
- every booking call carries an idempotency key; a repeat returns the first result.

The session row is the capacity row (``core.capacity``, pool :data:`SESSION_SEATS`): booking locks the
person and the session (in the global lock order of ``core.locking``), then counts, then writes, in one
transaction.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from summit.core import audit, capacity, idempotency, mail, names, rows
from summit.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from summit.core.locking import (
    lock,
    lock_all,
    lock_one,
    locking_enabled,
    note_locked,
    race_window,
    unit_of_work,
    write_transaction,
)
from summit.events.models import Event
from summit.program.models import AgendaFeed, Booking, Forum, Session, Speaker, Talk
from summit.program.signals import session_cancelled
from summit.registration.models import Participant


class SessionFull(capacity.Full):
    def __init__(self, session: Session, *, mode: str):
        offers = []
        if mode == Booking.ONSITE:
            offers = ["waitlist"] + (["online"] if session.online else [])
            if session.online:
                message = _(
                    "All on-site seats of “%(session)s” are taken. You can join the waitlist, or take an online "
                    "place instead."
                ) % {"session": session.tr_title}
            else:
                message = _("All on-site seats of “%(session)s” are taken. You can join the waitlist.") % {
                    "session": session.tr_title
                }
        else:
            message = _("All online places of “%(session)s” are taken.") % {"session": session.tr_title}
        super().__init__(message, rows=[session], offers=offers)


class SwitchToFull(SessionFull):
    def __init__(self, session: Session, held: Session):
        super().__init__(session, mode=Booking.ONSITE)
        self.offers = []
        self.message = _(
            "All on-site seats of “%(session)s” are taken, so switching would leave you without a place. Keep "
            "“%(held)s”, or cancel it first and then join this waitlist."
        ) % {"session": session.tr_title, "held": held.tr_title}


class TimeConflict(Conflict):
    code = "time_conflict"

    def __init__(self, other: Session, booking: Booking, zone):
        self.other = other
        self.booking = booking
        local = timezone.localtime(other.start, zone)
        super().__init__(
            _(
                "This session overlaps “%(other)s” (%(day)s %(time)s), which you already hold. "
                "Cancel that one first, or switch to this one."
            )
            % {"other": other.tr_title, "day": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M")}
        )

    def as_dict(self) -> dict:
        return {
            **super().as_dict(),
            "conflicting_session": self.other.pk,
            "conflicting_booking": self.booking.pk,
        }


def _zone(session: Session):
    from zoneinfo import ZoneInfo

    return ZoneInfo(session.event.time_zone)


@dataclass
class BookingOutcome:
    """What a booking did: the booking (new, or the first one for a repeated key), the booking it replaced,
    and who moved up from a waitlist because of the switch."""

    booking: Booking
    replayed: bool = False
    replaced: Booking | None = None
    promoted: list[Booking] = dataclasses.field(default_factory=list)

    def as_dict(self) -> dict:
        return booking_dict(self.booking)


@dataclass
class Cancellation:
    """What a cancellation did: the booking, and who moved up from the waitlist into the freed seat."""

    booking: Booking
    promoted: list[Booking] = dataclasses.field(default_factory=list)


@dataclass
class Release:
    """What the program did when registrations ended or went online: bookings cancelled, seats turned into
    online places, and who moved up into the freed seats."""

    cancelled: list[Booking] = dataclasses.field(default_factory=list)
    moved_online: list[Booking] = dataclasses.field(default_factory=list)
    promoted: list[Booking] = dataclasses.field(default_factory=list)


def booking_dict(booking: Booking) -> dict:
    return {
        "id": booking.pk,
        "session": booking.session_id,
        "mode": booking.mode,
        "status": booking.status,
        "waitlist_position": waitlist_rank(booking) if booking.status == Booking.WAITLISTED else None,
    }


def waitlist_rank(booking: Booking) -> int:
    """1 for the first person on the waitlist, and so on (positions themselves only ever grow)."""
    return (
        Booking.objects.filter(
            session_id=booking.session_id,
            status=Booking.WAITLISTED,
            waitlist_position__lt=booking.waitlist_position,
        ).count()
        + 1
    )


# --- reading ------------------------------------------------------------------------------------------------


def get_session(event: Event, session_id) -> Session:
    from summit.core.errors import as_id

    pk = as_id(session_id)
    session = (
        Session.objects.select_related("event", "forum", "room").filter(event=event, pk=pk).first()
        if pk
        else None
    )
    if session is None:
        raise NotFound(_("There is no such session in this event."), code="session_not_found")
    return session


def onsite_taken(session: Session) -> int:
    """Seats booked in ``session``, counted as the seat pool counts them."""
    return SESSION_SEATS.taken([session]).get(session.pk, 0)


def with_counts(queryset):
    """Annotate sessions with ``seats_taken``, ``online_count`` and ``waitlist_count`` in the same query."""
    return queryset.annotate(
        seats_taken=Count(
            "bookings", filter=Q(bookings__status=Booking.BOOKED, bookings__mode=Booking.ONSITE)
        ),
        online_count=Count(
            "bookings", filter=Q(bookings__status=Booking.BOOKED, bookings__mode=Booking.ONLINE)
        ),
        waitlist_count=Count("bookings", filter=Q(bookings__status=Booking.WAITLISTED)),
    )


def overview(event) -> dict:
    """The program figures of the back-office home: scheduled sessions, their on-site seats and the seats,
    online places and waitlist places booked in them. Two queries."""
    sessions = Session.objects.filter(event=event, status=Session.SCHEDULED)
    figures = sessions.aggregate(sessions=Count("id"), seats=Sum("capacity"))
    rows = (
        Booking.objects.filter(session__in=sessions, status__in=Booking.ACTIVE)
        .order_by()
        .values("status", "mode")
        .annotate(n=Count("id"))
    )
    count = {(row["status"], row["mode"]): row["n"] for row in rows}
    return {
        "sessions": figures["sessions"] or 0,
        "seats": figures["seats"] or 0,
        "seats_booked": count.get((Booking.BOOKED, Booking.ONSITE), 0),
        "online_booked": count.get((Booking.BOOKED, Booking.ONLINE), 0),
        "waitlisted": sum(n for (status, _mode), n in count.items() if status == Booking.WAITLISTED),
    }


def active_bookings(participant: Participant):
    return (
        Booking.objects.filter(participant=participant, status__in=Booking.ACTIVE)
        .select_related("session", "session__event", "session__forum", "session__room")
        .order_by("session__start", "session_id")
    )


# --- booking ------------------------------------------------------------------------------------------------


def _check_same_event(session: Session, participant: Participant) -> None:
    if session.event_id != participant.event_id:
        raise NotFound(_("There is no such session in this event."), code="session_not_found")


def _check_bookable(session: Session, participant: Participant, mode: str) -> None:
    _check_same_event(session, participant)
    if session.status == Session.CANCELLED:
        raise Conflict(_("This session has been cancelled."), code="session_cancelled")
    if participant.status != Participant.APPROVED:
        raise Forbidden(
            _("Only approved participants can book sessions; your registration is “%(status)s”.")
            % {"status": participant.get_status_display()},
            code="not_approved",
        )
    if session.end <= timezone.now():
        raise Conflict(_("This session is over."), code="session_over")
    if mode == Booking.ONSITE:
        if participant.attendance_mode != Participant.ONSITE:
            raise Conflict(
                _(
                    "You attend online, so you cannot take an on-site seat. Book an online place, or switch "
                    "your registration to on-site first."
                ),
                code="online_only",
            )
        if session.capacity == 0:
            raise Conflict(_("This session has no on-site seats; join it online."), code="no_seats")
    elif not session.online:
        raise Conflict(_("This session is not offered online."), code="not_online")


def _clean_mode(mode) -> str:
    if mode not in (Booking.ONSITE, Booking.ONLINE):
        raise ValidationFailed(
            _("Choose “onsite” for a seat or “online” for an online place."),
            code="invalid_mode",
            field="mode",
        )
    return mode


def _check_overlaps(session: Session, held: list[Booking], replace: Booking | None) -> None:
    for booking in held:
        if booking.session_id == session.pk:
            raise Conflict(
                _("You are already on the waitlist of this session.")
                if booking.status == Booking.WAITLISTED
                else _("You have already booked this session."),
                code="already_booked",
            )
    for booking in held:
        if replace is not None and booking.pk == replace.pk:
            continue
        if booking.session.overlaps(session):
            raise TimeConflict(booking.session, booking, _zone(session))


def _replay(result: dict) -> BookingOutcome:
    booking = Booking.objects.select_related("session", "session__event").get(pk=result["id"])
    return BookingOutcome(booking=booking, replayed=True)


def _status_for(session: Session, mode: str, *, join_waitlist: bool, seats_taken: int, online_count: int):
    """Booked, waitlisted, or SessionFull: seats have a waitlist, online places (when limited) do not."""
    if mode == Booking.ONSITE:
        placed = capacity.status_for(
            session.capacity,
            seats_taken,
            join_waitlist=join_waitlist,
            full=lambda: SessionFull(session, mode=mode),
        )
    else:
        placed = capacity.status_for(
            session.online_limit,
            online_count,
            join_waitlist=False,
            full=lambda: SessionFull(session, mode=mode),
        )
    return Booking.WAITLISTED if placed == capacity.WAITLISTED else Booking.BOOKED


@unit_of_work
def book(
    *,
    session: Session,
    participant: Participant,
    mode: str,
    idempotency_key,
    actor=None,
    join_waitlist: bool = False,
    replace: Booking | None = None,
    base_url: str | None = None,
) -> BookingOutcome:
    """Book ``session`` for ``participant``; see the module docstring for the rules.

    This is the hot path of a seat rush, so it reads as little as it can: the person's active bookings
    (one light query) answer "already booked", "time conflict" and, with the seat count, "full" without a
    write lock. A key seen before always left a booking of this person in this session (active, or
    cancelled since), and the same query tells whether there is one, so the key table is only read then; a
    key reused for another request is caught when it is stored.

    A repeated request gets the first result before any rule is checked again: a client whose answer was
    lost (the server died after the commit, the connection dropped) sends the same request with the same key
    and is told about the booking it has, even when the seats have gone, the booking was cancelled or the
    session is over meanwhile.
    """
    key = idempotency.clean_key(idempotency_key)
    mode = _clean_mode(mode)
    owner = f"participant:{participant.pk}"
    fingerprint = f"book:{session.pk}:{mode}:{int(bool(join_waitlist))}:{replace.pk if replace else ''}"
    _check_same_event(session, participant)
    if replace is not None and replace.participant_id != participant.pk:
        raise NotFound(_("There is no such booking."), code="booking_not_found")

    if not locking_enabled.get():
        _check_bookable(session, participant, mode)
        return _book_without_lock(session, participant, mode, join_waitlist, owner, key, fingerprint)

    if getattr(session, "held_for", None) == participant.pk:
        # Read by get_session_for_booking.
        held, seats_taken, cancelled_here = session.held_by, session.seats_taken, session.cancelled_here
    else:
        held, seats_taken, _online, cancelled_here = _held_and_counts(participant, session)
    replayed = _replay_if_held(session, held, cancelled_here, owner=owner, key=key, fingerprint=fingerprint)
    if replayed is not None:
        return replayed
    _check_bookable(session, participant, mode)
    _check_overlaps(session, held, replace)
    if mode == Booking.ONSITE and not join_waitlist and replace is None:
        # Full already: answer without taking the write lock (core/capacity.py).
        _status_for(session, mode, join_waitlist=False, seats_taken=seats_taken, online_count=0)

    def attempt() -> BookingOutcome:
        nonlocal session, replace
        promoted: list[Booking] = []
        with write_transaction():
            if replace is None:
                # The common case, kept to few statements: the locks are held from here to the commit.
                session = _lock_fresh(session, participant)
            else:
                person, sessions = lock_all(
                    Participant.objects.filter(pk=participant.pk).only("status", "attendance_mode"),
                    Session.objects.filter(pk__in={session.pk, replace.session_id}),
                )
                if not person:
                    raise NotFound(
                        _("The token's user is not a participant of this event."), code="not_a_participant"
                    )
                participant.status, participant.attendance_mode = person[0].status, person[0].attendance_mode
                locked = {s.pk: s for s in sessions}
                for one in locked.values():
                    one.event = session.event
                session = locked[session.pk]
            held, seats_taken, online_count, cancelled_here = _held_and_counts(participant, session)
            replayed = _replay_if_held(
                session, held, cancelled_here, owner=owner, key=key, fingerprint=fingerprint
            )
            if replayed is not None:  # the same request committed while this one waited for the lock
                return replayed
            # The person may have changed meanwhile (cancelled, gone online, booked elsewhere).
            _check_bookable(session, participant, mode)
            if replace is not None:
                replace = next((b for b in held if b.pk == replace.pk), None)
                if replace is None:
                    raise Conflict(
                        _("The booking to switch from is no longer active."), code="replace_inactive"
                    )
            _check_overlaps(session, held, replace)
            if replace is not None and mode == Booking.ONSITE and seats_taken >= session.capacity:
                # Switching would trade a place for a waitlist spot and leave the person with neither.
                raise SwitchToFull(session, replace.session)
            if replace is not None:
                promoted = _cancel_locked(
                    replace, locked[replace.session_id], actor=actor, base_url=base_url, reason="switched"
                )
                # Cancelling may have freed (and promoted into) a place of this very session.
                _held_again, seats_taken, online_count, _cancelled = _held_and_counts(participant, session)
            status = _status_for(
                session, mode, join_waitlist=join_waitlist, seats_taken=seats_taken, online_count=online_count
            )
            booking = _create(session, participant, mode, status)
            idempotency.remember(owner=owner, key=key, fingerprint=fingerprint, result={"id": booking.pk})
        return BookingOutcome(booking=booking, replaced=replace, promoted=promoted)

    # A key stored meanwhile by another request (the same one, or a different one) is answered from the store;
    # a key seen before was already answered above (its booking, active or cancelled), so the store is not read first.
    return capacity.once((owner, key, fingerprint), attempt, _replay, look_first=False)


# The person's active bookings and a session's taken places, as the booking hot path reads them: plain SQL
# (``core.rows``), as building the ORM queries cost more than running them. ``{columns}`` are the columns of the
# held bookings' sessions (alias ``h``), followed by the booking's id, status and mode.
_HELD_JOIN = (
    "LEFT JOIN {booking} b ON b.participant_id = %s AND b.status IN (%s, %s)"
    " LEFT JOIN {session} h ON h.id = b.session_id"
)
_HELD_ORDER = ' ORDER BY h."start", b.id'
_TAKEN = "(SELECT count(*) FROM {booking} c WHERE c.session_id = %s AND c.status = %s AND c.mode = %s)"
# Whether the person has a cancelled booking of the session: a request repeated after it was cancelled.
_CANCELLED_HERE = (
    "EXISTS (SELECT 1 FROM {booking} x"
    " WHERE x.participant_id = %s AND x.session_id = {here} AND x.status = %s)"
)


def _sql(text: str) -> str:
    return text.format(
        booking=Booking._meta.db_table, session=Session._meta.db_table, participant=Participant._meta.db_table
    )


def _held_params(participant_pk: int) -> list:
    return [participant_pk, Booking.BOOKED, Booking.WAITLISTED]


def _taken_params(session_pk, mode: str) -> list:
    return [session_pk, Booking.BOOKED, mode]


def _held_from(participant: Participant, found: list[tuple], at: int) -> list[Booking]:
    """The held bookings of ``found`` rows whose held session stands at ``at``, then id, status and mode."""
    held = []
    for row in found:
        session, pk, status, mode = row[at : at + 4]
        if pk is not None:
            item = Booking(
                id=pk, session_id=session.pk, participant_id=participant.pk, status=status, mode=mode
            )
            item._state.adding, item._state.db = False, "default"
            item.session = session
            held.append(item)
    return held


def _lock_fresh(session: Session, participant: Participant) -> Session:
    """Lock the session and the person for this write transaction and read both again (one statement):
    return the session as it is now, and set the person's status and attendance mode on ``participant``.

    On PostgreSQL both rows are locked ``FOR UPDATE`` in the global lock order (``core.locking``): the person
    first, in a materialized CTE, then the session (the connection's ``lock_timeout`` bounds the wait, and
    ``write_transaction`` turns a timeout into Busy). The person's lock serializes their own bookings (so two
    overlapping sessions booked at once cannot both pass the time-conflict check) and any change to their
    registration: one cancelled, rejected or moved online (which updates that row, then releases the person's
    bookings) either finishes first, and this booking sees the new status, or waits until this booking
    commits and then releases it with the others. On SQLite the transaction began with ``BEGIN IMMEDIATE`` and
    already holds the database's write lock.
    """
    if connection.vendor == "postgresql":
        sql = _sql(
            "WITH p AS MATERIALIZED (SELECT status, attendance_mode FROM {participant} WHERE id = %s FOR UPDATE)"
            " SELECT {{columns}}, p.status, p.attendance_mode FROM {session} s, p WHERE s.id = %s FOR UPDATE OF s"
        )
    else:
        sql = _sql(
            "SELECT {{columns}}, p.status, p.attendance_mode FROM {participant} p, {session} s"
            " WHERE p.id = %s AND s.id = %s"
        )
    found = rows.fetch(sql, [participant.pk, session.pk], Session, "s")
    note_locked(Participant, Session)
    if not found:
        raise NotFound(_("There is no such session in this event."), code="session_not_found")
    fresh, participant.status, participant.attendance_mode = found[0]
    fresh.event = session.event
    return fresh


def _held_and_counts(participant: Participant, session: Session) -> tuple[list[Booking], int, int, bool]:
    """The person's active bookings (each with its session, in start order), the seats and online places
    taken in ``session``, and whether the person has a cancelled booking of it, in one statement. Under the
    locks all are current: every change to the session's bookings holds the session's lock, and every
    booking of the person holds the person's."""
    found = rows.fetch(
        _sql(
            "SELECT {{columns}}, b.id, b.status, b.mode, "
            + _TAKEN
            + ", "
            + _TAKEN
            + ", "
            + _CANCELLED_HERE.replace("{here}", "%s")
            + " FROM {participant} p "
            + _HELD_JOIN
            + " WHERE p.id = %s"
            + _HELD_ORDER
        ),
        [
            *_taken_params(session.pk, Booking.ONSITE),
            *_taken_params(session.pk, Booking.ONLINE),
            participant.pk,
            session.pk,
            Booking.CANCELLED,
            *_held_params(participant.pk),
            participant.pk,
        ],
        Session,
        "h",
    )
    if not found:
        raise NotFound(_("The token's user is not a participant of this event."), code="not_a_participant")
    return _held_from(participant, found, 0), found[0][4], found[0][5], bool(found[0][6])


def _replay_if_held(
    session: Session, held: list[Booking], cancelled_here: bool, *, owner, key, fingerprint
) -> BookingOutcome | None:
    """A request whose key is known left a booking in this session, active (in ``held``) or cancelled since:
    return its first result. (Bookings are never deleted, so without one the key cannot be known.)"""
    if cancelled_here or any(b.session_id == session.pk for b in held):
        stored = idempotency.lookup(owner=owner, key=key, fingerprint=fingerprint)
        if stored is not None:
            return _replay(stored)
    return None


def get_session_for_booking(event: Event, session_id, participant: Participant | None = None) -> Session:
    """The session with its taken seats counted and, given ``participant``, their active bookings and whether
    they have a cancelled booking of it (as ``book`` reads them), in one query: this is the booking hot path,
    so it is plain SQL (``core.rows``)."""
    from summit.core.errors import as_id

    pk = as_id(session_id)
    found = (
        rows.fetch(
            _sql(
                "SELECT {{columns}}, b.id, b.status, b.mode, "
                + _TAKEN
                + ", "
                + _CANCELLED_HERE.replace("{here}", "s.id")
                + " FROM {session} s "
                + _HELD_JOIN
                + " WHERE s.event_id = %s AND s.id = %s"
                + _HELD_ORDER
            ),
            [
                *_taken_params(pk, Booking.ONSITE),
                participant.pk if participant else 0,
                Booking.CANCELLED,
                *_held_params(participant.pk if participant else 0),
                event.pk,
                pk,
            ],
            Session,
            "s",
            Session,
            "h",
        )
        if pk
        else []
    )
    if not found:
        raise NotFound(_("There is no such session in this event."), code="session_not_found")
    session, seats_taken = found[0][0], found[0][5]
    session.event, session.seats_taken = event, seats_taken
    if participant is not None:
        session.held_for, session.held_by = participant.pk, _held_from(participant, found, 1)
        session.cancelled_here = bool(found[0][6])
    return session


def _create(session: Session, participant: Participant, mode: str, status: str) -> Booking:
    position = capacity.next_position(session) if status == Booking.WAITLISTED else None
    values = {
        "session_id": session.pk,
        "participant_id": participant.pk,
        "mode": mode,
        "status": status,
        "waitlist_position": position,
        "created_at": timezone.now(),
    }
    booking = Booking(id=rows.insert(Booking, values), **values)  # plain SQL: the insert runs under the lock
    booking._state.adding, booking._state.db = False, "default"
    booking.session = session
    booking.participant = participant
    return booking


def _book_without_lock(session, participant, mode, join_waitlist, owner, key, fingerprint) -> BookingOutcome:
    """The broken version, for the race test only: count now, write later, in separate transactions."""
    held, seats, online, _cancelled = _held_and_counts(participant, session)
    _check_overlaps(session, held, None)
    time.sleep(race_window.get())
    status = _status_for(session, mode, join_waitlist=join_waitlist, seats_taken=seats, online_count=online)
    with transaction.atomic():
        session = Session.objects.get(pk=session.pk)
        booking = _create(session, participant, mode, status)
        idempotency.remember(owner=owner, key=key, fingerprint=fingerprint, result={"id": booking.pk})
    return BookingOutcome(booking=booking)


def cancel_booking(*, booking: Booking, actor, reason: str = "", base_url: str | None = None) -> Cancellation:
    """Cancel a seat, online place or waitlist spot. A freed seat goes to the first on the waitlist."""
    with write_transaction():
        session = lock_one(Session.objects.filter(pk=booking.session_id).select_related("event"))
        booking = Booking.objects.select_related("participant", "participant__event").get(pk=booking.pk)
        if booking.status == Booking.CANCELLED:
            raise Conflict(_("This booking is already cancelled."), code="already_cancelled")
        promoted = _cancel_locked(booking, session, actor=actor, reason=reason, base_url=base_url)
    return Cancellation(booking=booking, promoted=promoted)


def _cancel_locked(
    booking: Booking, session: Session, *, actor, reason: str = "", base_url=None
) -> list[Booking]:
    """Cancel inside a transaction that holds the session's lock; promote if a seat was freed (returned)."""
    freed_seat = _mark_cancelled(booking, session, actor=actor, reason=reason)
    return promote_waitlisted(session, actor=actor, base_url=base_url) if freed_seat else []


def _mark_cancelled(booking: Booking, session: Session, *, actor, reason: str) -> bool:
    """Cancel ``booking`` (the caller holds its session's lock) and say whether that freed a seat. Removal by
    someone other than the person is in the audit log."""
    freed_seat = booking.status == Booking.BOOKED and booking.mode == Booking.ONSITE
    booking.status = Booking.CANCELLED
    booking.waitlist_position = None
    booking.cancelled_at = timezone.now()
    booking.save(update_fields=["status", "waitlist_position", "cancelled_at"])
    if actor is not None and getattr(actor, "pk", None) != getattr(booking.participant, "user_id", None):
        audit.record(
            actor=actor,
            action="booking.removed",
            obj=booking,
            reason=reason,
            event=session.event,
            data={"session": session.pk, "participant": booking.participant_id},
        )
    return freed_seat


class SessionSeats(capacity.Pool):
    """A session's on-site seats: holders are booked on-site bookings, its waitlist the waitlisted ones."""

    model = Session
    hold_model = Booking

    def limit(self, session):
        return session.capacity

    def taken(self, sessions):
        counts = (
            Booking.objects.filter(session__in=sessions, status=Booking.BOOKED, mode=Booking.ONSITE)
            .values_list("session_id")
            .annotate(n=Count("id"))
        )
        return dict(counts)

    def waiting(self, session):
        return (
            Booking.objects.filter(session=session, status=Booking.WAITLISTED)
            .select_related("participant", "participant__event")
            .order_by("waitlist_position", "pk")
        )

    def admit(self, booking, session, *, now, actor, base_url=None) -> None:
        booking.status = Booking.BOOKED
        booking.mode = Booking.ONSITE
        booking.waitlist_position = None
        booking.promoted_at = now
        booking.save(update_fields=["status", "mode", "waitlist_position", "promoted_at"])
        audit.record(
            actor=actor,
            action="booking.promoted",
            obj=booking,
            event=session.event,
            data={"session": session.pk, "participant": booking.participant_id},
        )
        _send_promoted_mail(booking, session, base_url=base_url)


SESSION_SEATS = SessionSeats()


def promote_waitlisted(session: Session, *, actor=None, base_url: str | None = None) -> list[Booking]:
    """Give free seats to the first people on the waitlist (the caller holds the session's lock)."""
    return capacity.promote(SESSION_SEATS, session, actor=actor, base_url=base_url)


def _send_promoted_mail(booking: Booking, session: Session, *, base_url=None) -> None:
    from summit.registration.services import issue_magic_link

    participant = booking.participant
    link = issue_magic_link(participant=participant, base_url=base_url)
    mail.send(
        to=participant.email,
        template="program/mail/promoted",
        language=participant.language,
        context={
            "participant": participant,
            "event": session.event,
            "session": session,
            "link": link,
            "start": timezone.localtime(session.start, _zone(session)),
        },
    )


def release(*, participants: list[Participant], actor, online_only: bool = False, base_url=None) -> Release:
    """People whose registration ended give up every place; people who went online give up seats and
    waitlist spots. Runs in the registration change's transaction (``program.receivers``), which holds the
    people's locks; the sessions are locked here, all at once in key order. Seats of sessions offered online
    without a limit become online places; the rest are cancelled. Only when every place of the leaving people
    is given up do the freed seats go to each session's waitlist, so a seat never goes to someone who is
    leaving in the same change."""
    result = Release()
    held = list(
        Booking.objects.filter(participant__in=participants, status__in=Booking.ACTIVE).values_list(
            "pk", "session_id", "mode"
        )
    )
    if online_only:
        held = [row for row in held if row[2] == Booking.ONSITE]
    if not held:
        return result
    sessions = {
        s.pk: s for s in lock(Session.objects.filter(pk__in={row[1] for row in held}).select_related("event"))
    }
    freed: set[int] = set()
    bookings = (
        Booking.objects.filter(pk__in=[row[0] for row in held]).select_related("participant").order_by("pk")
    )
    for booking in bookings:
        session = sessions[booking.session_id]
        if (
            online_only
            and booking.status == Booking.BOOKED
            and session.online
            and session.online_limit is None
        ):
            booking.mode = Booking.ONLINE
            booking.save(update_fields=["mode"])
            result.moved_online.append(booking)
            freed.add(session.pk)
        else:
            if _mark_cancelled(booking, session, actor=actor, reason="registration"):
                freed.add(session.pk)
            result.cancelled.append(booking)
    for pk in sorted(freed):
        result.promoted += promote_waitlisted(sessions[pk], actor=actor, base_url=base_url)
    return result


# --- editing the program ------------------------------------------------------------------------------------


SESSION_FIELDS = (
    "forum",
    "title_en",
    "title_zh",
    "abstract_en",
    "abstract_zh",
    "start",
    "end",
    "room",
    "capacity",
    "online",
    "online_limit",
    "languages",
    "interpretation",
)


def _validate_session(event: Event, data: dict, *, current: Session | None) -> dict:
    from summit.program.models import LANGUAGE_CODES

    errors = []
    forum = data.get("forum", current.forum if current else None)
    if forum is None or forum.event_id != event.pk:
        errors.append(("forum", _("Choose a forum of this event.")))
    title = (data.get("title_en", current.title_en if current else "") or "").strip()
    if not title:
        errors.append(("title_en", _("Give the session an English title.")))
    start = data.get("start", current.start if current else None)
    end = data.get("end", current.end if current else None)
    if start is None:
        errors.append(("start", _("Give the start time.")))
    if end is None:
        errors.append(("end", _("Give the end time.")))
    if start is not None and end is not None and end <= start:
        errors.append(("end", _("The session must end after it starts.")))
    room = data.get("room", current.room if current else None)
    if room is not None and room.event_id != event.pk:
        errors.append(("room", _("Choose a room of this event.")))
    capacity = data.get("capacity", current.capacity if current else 0)
    if capacity is None or not isinstance(capacity, int) or capacity < 0:
        errors.append(("capacity", _("The number of seats must be 0 or more.")))
    limit = data.get("online_limit", current.online_limit if current else None)
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        errors.append(("online_limit", _("The online limit must be 0 or more, or empty for no limit.")))
    languages = data.get("languages", current.languages if current else [])
    unknown = [code for code in (languages or []) if code not in LANGUAGE_CODES]
    if unknown:
        errors.append(
            ("languages", _("Unknown language: %(codes)s.") % {"codes": ", ".join(map(str, unknown))})
        )
    if errors:
        field, message = errors[0]
        raise ValidationFailed(
            message,
            field=field,
            errors=[{"field": f, "code": "invalid", "detail": str(m)} for f, m in errors],
        )
    return data


def save_session(
    *, event: Event, data: dict, actor, session: Session | None = None, base_url=None
) -> Session:
    """Create a session, or change one. Fewer seats than are booked is refused; more seats promote."""
    data = Session.clean_text_data({k: v for k, v in data.items() if k in SESSION_FIELDS})
    _validate_session(event, data, current=session)
    with write_transaction():
        if session is None:
            session = Session(event=event, **data)
            session.save()
            audit.record(actor=actor, action="session.created", obj=session, event=event)
            return session
        session = lock_one(Session.objects.filter(pk=session.pk, event=event).select_related("event"))
        if session is None:
            raise NotFound(_("There is no such session in this event."), code="session_not_found")
        old_capacity = session.capacity
        if "capacity" in data and data["capacity"] < old_capacity:
            taken = onsite_taken(session)
            if data["capacity"] < taken:
                raise Conflict(
                    _(
                        "%(taken)s seats are booked, so the session cannot have fewer than %(taken)s seats. "
                        "Remove bookings first."
                    )
                    % {"taken": taken},
                    code="capacity_below_booked",
                    field="capacity",
                )
        for field, value in data.items():
            setattr(session, field, value)
        session.save()
        audit.record(
            actor=actor,
            action="session.updated",
            obj=session,
            event=event,
            data={"capacity": [old_capacity, session.capacity]} if old_capacity != session.capacity else {},
        )
        if session.capacity > old_capacity:
            promote_waitlisted(session, actor=actor, base_url=base_url)
    return session


def cancel_session(*, session: Session, actor, reason: str = "") -> Session:
    """Cancel a whole session: every booking and waitlist spot goes with it."""
    with write_transaction():
        session = lock_one(Session.objects.filter(pk=session.pk).select_related("event"))
        if session.status == Session.CANCELLED:
            raise Conflict(_("This session is already cancelled."), code="already_cancelled")
        session.status = Session.CANCELLED
        session.save(update_fields=["status", "updated_at"])
        released = list(Booking.objects.filter(session=session, status__in=Booking.ACTIVE).order_by("pk"))
        Booking.objects.filter(pk__in=[b.pk for b in released]).update(
            status=Booking.CANCELLED, waitlist_position=None, cancelled_at=timezone.now()
        )
        audit.record(actor=actor, action="session.cancelled", obj=session, reason=reason, event=session.event)
        session_cancelled.send(
            event=session.event, session=session, released=released, actor=actor, reason=reason
        )
    return session


FORUM_FIELDS = (
    "slug",
    "title_en",
    "title_zh",
    "description_en",
    "description_zh",
    "topic",
    "host_organization",
    "room",
    "order",
)


def save_forum(*, event: Event, data: dict, actor, forum: Forum | None = None, moderators=None) -> Forum:
    data = Forum.clean_text_data({k: v for k, v in data.items() if k in FORUM_FIELDS})
    title = (data.get("title_en", forum.title_en if forum else "") or "").strip()
    if not title:
        raise ValidationFailed(_("Give the forum an English title."), field="title_en")
    slug = data.get("slug", forum.slug if forum else "")
    if not slug:
        raise ValidationFailed(_("Give the forum a short name for its address."), field="slug")
    topic = data.get("topic", forum.topic if forum else "other")
    if topic not in Forum.TOPIC_CODES:
        raise ValidationFailed(_("Unknown topic."), field="topic")
    for field in ("room", "host_organization"):
        obj = data.get(field)
        if obj is not None and obj.event_id != event.pk:
            raise ValidationFailed(_("Choose one of this event's."), field=field)
    if moderators is not None and any(m.event_id != event.pk for m in moderators):
        raise ValidationFailed(_("Moderators must be participants of this event."), field="moderators")
    with write_transaction():
        if Forum.objects.filter(event=event, slug=slug).exclude(pk=forum.pk if forum else None).exists():
            raise ValidationFailed(
                _("Another forum already uses this short name."), field="slug", code="duplicate"
            )
        if forum is None:
            forum = Forum.objects.create(event=event, **data)
            action = "forum.created"
        else:
            for field, value in data.items():
                setattr(forum, field, value)
            forum.save()
            action = "forum.updated"
        if moderators is not None:
            forum.moderators.set(moderators)
        audit.record(actor=actor, action=action, obj=forum, event=event)
    return forum


SPEAKER_FIELDS = (
    "participant",
    "name",
    "name_latin",
    "affiliation",
    "affiliation_zh",
    "bio_en",
    "bio_zh",
    "remote",
)


def save_speaker(*, event: Event, data: dict, actor, speaker: Speaker | None = None, photo=None) -> Speaker:
    data = Speaker.clean_text_data({k: v for k, v in data.items() if k in SPEAKER_FIELDS})
    participant = data.get("participant", speaker.participant if speaker else None)
    if participant is not None and participant.event_id != event.pk:
        raise ValidationFailed(_("Choose a participant of this event."), field="participant")
    name = (data.get("name", speaker.name if speaker else "") or "").strip()
    if not name and participant is not None:
        name = participant.native_name
        data["name"] = name
    if not name:
        raise ValidationFailed(_("Give the speaker's name."), field="name")
    if not (data.get("name_latin", speaker.name_latin if speaker else "") or "").strip():
        # Derived only where that is reliable (core/names.py); otherwise the name is shown alone.
        if participant is not None:
            data["name_latin"] = participant.latin_name
        else:
            data["name_latin"] = names.automatic_latin(name) if names.latin_is_reliable(name) else ""
    with write_transaction():
        if (
            participant is not None
            and (
                Speaker.objects.filter(event=event, participant=participant).exclude(
                    pk=speaker.pk if speaker else None
                )
            ).exists()
        ):
            raise ValidationFailed(
                _("This participant already has a speaker profile."), field="participant", code="duplicate"
            )
        if speaker is None:
            speaker = Speaker(event=event)
        for field, value in data.items():
            setattr(speaker, field, value)
        if photo is not None:
            speaker.photo = store_photo(photo)
        speaker.save()
        audit.record(actor=actor, action="speaker.saved", obj=speaker, event=event)
    return speaker


def update_own_profile(*, speaker: Speaker, actor, bio_en=None, bio_zh=None, photo=None) -> Speaker:
    """A speaker edits their own biography and photo (nothing else)."""
    if speaker.participant is None or speaker.participant.user_id != getattr(actor, "pk", None):
        raise NotFound()
    data = {}
    if bio_en is not None:
        data["bio_en"] = bio_en
    if bio_zh is not None:
        data["bio_zh"] = bio_zh
    data = Speaker.clean_text_data(data)
    for field, value in data.items():
        if len(value) > 5000:
            raise ValidationFailed(_("The biography is too long (at most 5,000 characters)."), field=field)
    with write_transaction():
        for field, value in data.items():
            setattr(speaker, field, value)
        if photo is not None:
            speaker.photo = store_photo(photo)
        speaker.save()
        audit.record(actor=actor, action="speaker.profile_updated", obj=speaker, event=speaker.event)
    return speaker


def store_photo(upload) -> str:
    """Check a JPEG/PNG by its content and store it in private storage; returns the stored name."""
    from summit.core.storage import private_storage, random_name
    from summit.core.uploads import check_document

    content_type, extension = check_document(upload, field="photo")
    if content_type not in ("image/jpeg", "image/png"):
        raise ValidationFailed(_("The photo must be a JPEG or PNG image."), code="file_type", field="photo")
    return private_storage().save(f"speakers/{random_name(extension)}", upload)


TALK_FIELDS = ("order", "title_en", "title_zh", "minutes")


def save_talk(*, session: Session, data: dict, actor, talk: Talk | None = None, speakers=None) -> Talk:
    data = Talk.clean_text_data({k: v for k, v in data.items() if k in TALK_FIELDS})
    if not (data.get("title_en", talk.title_en if talk else "") or "").strip():
        raise ValidationFailed(_("Give the talk an English title."), field="title_en")
    minutes = data.get("minutes")
    if minutes is not None and (not isinstance(minutes, int) or minutes <= 0 or minutes > 24 * 60):
        raise ValidationFailed(
            _("The length must be a number of minutes between 1 and 1440."), field="minutes"
        )
    if speakers is not None and any(s.event_id != session.event_id for s in speakers):
        raise ValidationFailed(_("Speakers must belong to this event."), field="speakers")
    with write_transaction():
        if talk is None:
            if "order" not in data:
                data["order"] = Talk.objects.filter(session=session).count()
            talk = Talk.objects.create(session=session, **data)
        else:
            for field, value in data.items():
                setattr(talk, field, value)
            talk.save()
        if speakers is not None:
            talk.speakers.set(speakers)
        audit.record(actor=actor, action="talk.saved", obj=talk, event=session.event)
    return talk


def move_talk(*, talk: Talk, direction: str, actor) -> list[Talk]:
    """Move a talk one place up or down in its session; returns the session's talks in their new order.
    Moving the first talk up (or the last one down) changes nothing."""
    step = {"up": -1, "down": 1}.get(direction)
    if step is None:
        raise ValidationFailed(
            _("Choose whether to move the talk up or down."), code="bad_direction", field="direction"
        )
    with write_transaction():
        session = lock_one(Session.objects.filter(pk=talk.session_id).select_related("event"))
        talks = list(Talk.objects.filter(session=session).order_by("order", "id"))
        index = next((i for i, t in enumerate(talks) if t.pk == talk.pk), None)
        if index is None:
            raise NotFound(_("There is no such talk in this session."), code="talk_not_found")
        other = index + step
        if not 0 <= other < len(talks):
            return talks
        talks[index], talks[other] = talks[other], talks[index]
        moved = []
        for position, item in enumerate(talks):
            if item.order != position:
                item.order = position
                moved.append(item)
        Talk.objects.bulk_update(moved, ["order"])
        audit.record(
            actor=actor,
            action="talk.moved",
            obj=talk,
            event=session.event,
            data={"direction": direction, "order": [t.pk for t in talks]},
        )
    return talks


def delete_talk(*, talk: Talk, actor) -> None:
    with write_transaction():
        audit.record(
            actor=actor,
            action="talk.deleted",
            obj=talk,
            event=talk.session.event,
            data={"title": talk.title_en},
        )
        talk.delete()


# --- the private agenda feed --------------------------------------------------------------------------------


def agenda_feed(*, participant: Participant) -> AgendaFeed:
    """The participant's active feed, created on first use (only then does it write)."""
    feed = AgendaFeed.objects.filter(participant=participant, revoked_at__isnull=True).first()
    if feed is not None:
        return feed
    with write_transaction():
        feed = AgendaFeed.objects.filter(participant=participant, revoked_at__isnull=True).first()
        if feed is None:
            feed = AgendaFeed.objects.create(participant=participant, token=secrets.token_urlsafe(24))
    return feed


def renew_agenda_feed(*, participant: Participant, actor) -> AgendaFeed:
    """Revoke the current feed URL (it stops working at once) and hand out a new one."""
    with write_transaction():
        AgendaFeed.objects.filter(participant=participant, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        feed = AgendaFeed.objects.create(participant=participant, token=secrets.token_urlsafe(24))
        audit.record(actor=actor, action="agenda_feed.renewed", obj=participant, event=participant.event)
    return feed


def participant_for_feed(token: str) -> Participant:
    feed = (
        AgendaFeed.objects.select_related("participant", "participant__event")
        .filter(token=token or "", revoked_at__isnull=True)
        .first()
        if token and len(token) <= 64
        else None
    )
    if feed is None:
        raise NotFound(_("This calendar feed does not exist or has been revoked."), code="feed_revoked")
    return feed.participant
