"""The shapes of the program API (Django Ninja schemas): what comes in, what goes out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict

from summit.core.errors import MAX_ID
from summit.program.models import LANGUAGE_CODES

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


MAX_SEATS = 1_000_000


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
    topic: str
    host_organization: HostOut | None
    room: RoomOut | None
    moderators: list[ModeratorOut]
    order: int


class ForumRef(Schema):
    id: int
    slug: str
    title_en: str
    title_zh: str
    topic: str


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
    status: str
    capacity: int
    seats_taken: int
    seats_free: int
    waitlist_count: int
    online: bool
    online_limit: int | None
    online_count: int
    languages: list[str]
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
    mode: str
    status: str
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
    status: str


class MyBookingOut(BookingOut):
    session_summary: SessionSummary
    created_at: datetime


class SessionBookingOut(Schema):
    id: int
    participant: int
    name: str
    organization: str | None
    mode: str
    status: str
    waitlist_rank: int | None
    created_at: datetime


class ForumIn(Schema):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(None, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")
    title_en: str = Field(None, max_length=200)
    title_zh: str = Field(None, max_length=200)
    description_en: str = Field(None, max_length=20000)
    description_zh: str = Field(None, max_length=20000)
    topic: str = Field(None, max_length=20)
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
    capacity: int = Field(None, le=MAX_SEATS, description="On-site seats, 0 or more")
    online: bool = None
    online_limit: int | None = Field(None, le=MAX_SEATS, description="null: no limit")
    languages: list[str] = Field(None, max_length=len(LANGUAGE_CODES))
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
    minutes: int | None = Field(None, le=24 * 60)
    speakers: list[Id] = Field(None, max_length=100, description="Speaker ids of this event")


class CancelIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=2000)


class BookingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    mode: str | None = Field(None, max_length=10, description="onsite (a seat) or online")
    join_waitlist: bool = Field(False, description="When the seats are taken, join the waitlist")
    replace: Id | None = Field(None, description="Id of an own booking to swap for this one, atomically")
    idempotency_key: str | None = Field(
        None, max_length=1000, description="8–100 of A-Z a-z 0-9 _ - : . (or the Idempotency-Key header)"
    )


class SessionFilters(Schema):
    forum: str | None = Field(None, max_length=60, description="Forum id or slug")
    topic: str | None = Field(None, max_length=20)
    day: str | None = Field(None, max_length=10, description="YYYY-MM-DD in the event's time zone")
    language: str | None = Field(None, max_length=10)
    mode: str | None = Field(None, max_length=10, description="onsite: has seats; online: offered online")


class BookingFilters(Schema):
    status: str | None = Field(None, max_length=12, description="booked, waitlisted or cancelled")
