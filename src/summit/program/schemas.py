"""The shapes of the program API (Django Ninja schemas): what comes in, what goes out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict

from summit.core.errors import MAX_ID
from summit.core.idempotency import KEY_PATTERN
from summit.core.schemas import ErrorOut, choice_in, one_of
from summit.program.models import LANGUAGE_CODES, Booking, Forum, Session

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


MAX_SEATS = 1_000_000

Topic = one_of(Forum.TOPIC_CODES)
Language = one_of(LANGUAGE_CODES)
SessionStatus = one_of(Session.STATUS_CHOICES)
BookingMode = one_of(Booking.MODE_CHOICES)
BookingStatus = one_of(Booking.STATUS_CHOICES)


class RoomOut(Schema):
    id: int
    name_en: str
    name_zh: str


class HostOut(Schema):
    id: int
    name: str
    name_latin: str


class ModeratorOut(Schema):
    id: int
    display_name: str


class ForumOut(Schema):
    id: int
    slug: str
    title_en: str
    title_zh: str
    description_en: str
    description_zh: str
    topic: Topic
    host_organization: HostOut | None
    room: RoomOut | None
    moderators: list[ModeratorOut]
    order: int


class ForumRef(Schema):
    id: int
    slug: str
    title_en: str
    title_zh: str
    topic: Topic


class SpeakerRef(Schema):
    id: int
    name: str
    name_latin: str
    display_name: str
    affiliation: str = Field(description="The affiliation in English (or the only one given)")
    affiliation_zh: str = Field(description="The affiliation in Chinese")
    remote: bool


class TalkOut(Schema):
    id: int
    session: int
    order: int
    title_en: str
    title_zh: str
    minutes: int | None
    speakers: list[SpeakerRef]


class SessionOut(Schema):
    id: int
    guid: str
    forum: ForumRef
    title_en: str
    title_zh: str
    abstract_en: str
    abstract_zh: str
    start: datetime
    end: datetime
    room: RoomOut | None
    status: SessionStatus
    capacity: int
    seats_taken: int
    seats_free: int
    waitlist_count: int
    online: bool
    online_limit: int | None
    online_count: int
    languages: list[Language]
    interpretation: bool
    speakers: list[SpeakerRef]
    talks: list[TalkOut]


class SpeakerTalkOut(Schema):
    id: int
    title_en: str
    title_zh: str
    session: int
    session_title_en: str
    session_title_zh: str
    start: datetime


class SpeakerOut(Schema):
    id: int
    participant: int | None
    name: str
    name_latin: str
    display_name: str
    affiliation: str = Field(description="The affiliation in English (or the only one given)")
    affiliation_zh: str = Field(description="The affiliation in Chinese")
    bio_en: str
    bio_zh: str
    remote: bool
    has_photo: bool
    talks: list[SpeakerTalkOut]


class BookingOut(Schema):
    id: int
    session: int
    mode: BookingMode
    status: BookingStatus
    waitlist_position: int | None = Field(..., description="1 = next to get a seat; null unless waitlisted")


class SessionSummary(Schema):
    id: int
    title_en: str
    title_zh: str
    forum: int
    forum_title_en: str
    forum_title_zh: str
    start: datetime
    end: datetime
    room: RoomOut | None
    status: SessionStatus


class MyBookingOut(BookingOut):
    session_summary: SessionSummary
    created_at: datetime


class SessionBookingOut(Schema):
    id: int
    participant: int
    name: str
    organization: str | None
    mode: BookingMode
    status: BookingStatus
    waitlist_rank: int | None
    created_at: datetime


class ForumIn(Schema):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(None, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")
    title_en: str = Field(None, max_length=200)
    title_zh: str = Field(None, max_length=200)
    description_en: str = Field(None, max_length=20000)
    description_zh: str = Field(None, max_length=20000)
    topic: choice_in(Forum.TOPIC_CODES, max_length=20) = None
    host_organization: Id | None = Field(None, description="Organization id of this event")
    room: Id | None = Field(None, description="Room id of this event")
    moderators: list[Id] = Field(None, max_length=100, description="Participant ids of this event")
    order: int = Field(None, ge=0, le=32767)


class SessionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    forum: Id = Field(None, description="Forum id of this event")
    title_en: str = Field(None, max_length=200)
    title_zh: str = Field(None, max_length=200)
    abstract_en: str = Field(None, max_length=20000)
    abstract_zh: str = Field(None, max_length=20000)
    start: datetime = Field(None, description="ISO 8601; without an offset, the event's time zone")
    end: datetime = Field(None, description="ISO 8601; must be after start")
    room: Id | None = Field(None, description="Room id of this event")
    capacity: int = Field(None, ge=0, le=MAX_SEATS, description="On-site seats")
    online: bool = None
    online_limit: int | None = Field(None, ge=0, le=MAX_SEATS, description="null: no limit")
    languages: list[choice_in(LANGUAGE_CODES, max_length=10)] = Field(None, max_length=len(LANGUAGE_CODES))
    interpretation: bool = None


class SpeakerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    participant: Id | None = Field(None, description="Participant id of this event")
    name: str = Field(None, max_length=200)
    name_latin: str = Field(None, max_length=200)
    affiliation: str = Field(None, max_length=200, description="The affiliation in English")
    affiliation_en: str = Field(None, max_length=200, description="Another name of `affiliation`")
    affiliation_zh: str = Field(None, max_length=200, description="The affiliation in Chinese")
    bio_en: str = Field(None, max_length=5000)
    bio_zh: str = Field(None, max_length=5000)
    remote: bool = None


class TalkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    order: int = Field(None, ge=0, le=32767)
    title_en: str = Field(None, max_length=200)
    title_zh: str = Field(None, max_length=200)
    minutes: int | None = Field(None, ge=1, le=24 * 60)
    speakers: list[Id] = Field(None, max_length=100, description="Speaker ids of this event")


class CancelIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=2000)


# The document shows what the service accepts (anything else: 422 idempotency_key_invalid); the schema itself
# only refuses what is far too long.
IdempotencyKey = Annotated[
    str,
    Field(
        max_length=1000, json_schema_extra={"minLength": 8, "maxLength": 100, "pattern": KEY_PATTERN.pattern}
    ),
]


class BookingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    mode: choice_in(Booking.MODE_CHOICES, max_length=10, description="onsite (a seat) or online") | None = (
        None
    )
    join_waitlist: bool = Field(False, description="When the seats are taken, join the waitlist")
    replace: Id | None = Field(None, description="Id of an own booking to swap for this one, atomically")
    idempotency_key: IdempotencyKey | None = Field(
        None, description="8–100 of A-Z a-z 0-9 _ - : . (or the Idempotency-Key header); a UUID fits"
    )


class SessionFilters(Schema):
    forum: str | None = Field(None, max_length=60, description="Forum id or slug")
    topic: choice_in(Forum.TOPIC_CODES, max_length=20, description="The forum's topic") | None = None
    day: str | None = Field(None, max_length=10, description="YYYY-MM-DD in the event's time zone")
    language: choice_in(LANGUAGE_CODES, max_length=10) | None = None
    mode: (
        choice_in(
            Booking.MODE_CHOICES, max_length=10, description="onsite: has seats; online: offered online"
        )
        | None
    ) = None


class BookingFilters(Schema):
    status: choice_in(Booking.STATUS_CHOICES, max_length=12) | None = None


# --- creating: the fields a new object needs (PATCH takes the same schemas without them) --------------------


class ForumCreateIn(ForumIn):
    slug: str = Field(..., max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")
    title_en: str = Field(..., max_length=200)


class SessionCreateIn(SessionIn):
    forum: Id = Field(..., description="Forum id of this event")
    title_en: str = Field(..., max_length=200)
    start: datetime = Field(..., description="ISO 8601; without an offset, the event's time zone")
    end: datetime = Field(..., description="ISO 8601; must be after start")


class TalkCreateIn(TalkIn):
    title_en: str = Field(..., max_length=200)


# --- errors ------------------------------------------------------------------------------------------------


class BookingErrorOut(ErrorOut):
    """A booking's error: ``full`` adds ``offers``, ``time_conflict`` names the session and booking it
    overlaps."""

    offers: list[one_of(["waitlist", "online"])] | None = Field(
        None, description="full: what is still possible"
    )
    conflicting_session: int | None = Field(None, description="time_conflict: the session you hold")
    conflicting_booking: int | None = Field(None, description="time_conflict: your booking of it")
