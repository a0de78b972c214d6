"""Who may watch a session's live room, take part in it and moderate it (design.md §5).

``events.roles`` cannot ask this: it needs the program's bookings and forum moderators, which live above
it. Pages, the API and the live transport all ask here, with a :class:`Viewer` built once per request or
connection.

- **watch** (see the stream, read questions, chat and poll results, receive live messages): decided by
  ``Stage.access``: public (anyone, signed in or not), approved (any approved participant of the event), or
  booked (a participant with a booked seat or online place in the session). Moderators and organizers
  always may.
- **take part** (ask, upvote, chat, report, answer polls): a participant of the event who may watch and is
  approved (a public room is watched by anyone, but only the event's approved participants speak in it).
- **moderate** (approve, hide, pin, mark answered and correct questions; delete chat messages; run polls;
  see who asked anonymously): the forum's moderators (``Forum.moderators``, from the program) and the
  event's organizers.
"""

from __future__ import annotations

from dataclasses import dataclass

from summit.events import roles
from summit.program.models import Booking, Session
from summit.registration.models import Participant


@dataclass
class Viewer:
    """One person (or an anonymous visitor) looking at one session's live room."""

    session: Session
    user: object | None
    participant: Participant | None
    organizer: bool
    moderator: bool
    booked: bool

    @property
    def approved(self) -> bool:
        return self.participant is not None and self.participant.status == Participant.APPROVED

    @property
    def can_moderate(self) -> bool:
        return self.organizer or self.moderator

    @property
    def can_watch(self) -> bool:
        if self.session.is_cancelled and not self.can_moderate:
            return False
        if self.can_moderate:
            return True
        access = stage_of(self.session).access
        if access == "public":
            return True
        if access == "approved":
            return self.approved
        return self.approved and self.booked

    @property
    def can_take_part(self) -> bool:
        return self.can_watch and (self.approved or self.can_moderate) and self.participant is not None

    @property
    def can_ask(self) -> bool:
        return self.can_take_part and stage_of(self.session).qa

    @property
    def can_chat(self) -> bool:
        return self.can_take_part and stage_of(self.session).chat

    @property
    def key(self) -> str:
        """A stable identity for rate limits and attendance (the participant, else the user, else nobody)."""
        if self.participant is not None:
            return f"p{self.participant.pk}"
        return f"u{getattr(self.user, 'pk', '') or ''}"


def stage_of(session: Session):
    """The session's ``Stage``, created with the defaults on first use (cached on the session object)."""
    from summit.live.models import Stage

    cached = getattr(session, "_live_stage", None)
    if cached is None:
        try:
            cached = session.stage
        except Stage.DoesNotExist:
            cached, _created = Stage.objects.get_or_create(session=session)
        session._live_stage = cached
    return cached


def viewer(session: Session, user, participant: Participant | None = None) -> Viewer:
    """The viewer ``user`` is in ``session`` (``participant``: their record in the session's event when the
    caller already loaded it, e.g. from the API token)."""
    event = session.event
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if participant is None and signed_in:
        participant = Participant.objects.filter(event=event, user=user).first()
    organizer = signed_in and roles.is_organizer(user, event)
    moderator = participant is not None and session.forum.moderators.filter(pk=participant.pk).exists()
    booked = (
        participant is not None
        and Booking.objects.filter(session=session, participant=participant, status=Booking.BOOKED).exists()
    )
    return Viewer(
        session=session,
        user=user if signed_in else None,
        participant=participant,
        organizer=organizer,
        moderator=moderator,
        booked=booked,
    )
