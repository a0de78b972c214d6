"""REST API: the event a token belongs to, with its venue, rooms and zones."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from summit.core.schemas import errors
from summit.events.roles import token_event

router = Router(tags=["events"])


class VenueOut(Schema):
    name_en: str
    name_zh: str
    address: str
    city: str = Field(description="The city in English (or the only one given)")
    city_zh: str = Field(description="The city in Chinese")


class ZoneOut(Schema):
    code: str
    name_en: str
    name_zh: str


class RoomOut(Schema):
    id: int
    name_en: str
    name_zh: str
    capacity: int
    zone: str | None

    @staticmethod
    def resolve_zone(obj) -> str | None:
        return obj.zone.code if obj.zone_id else None


class EventSummaryOut(Schema):
    slug: str
    name_en: str
    name_zh: str
    start: datetime
    end: datetime
    time_zone: str
    registration_open: bool


class EventOut(EventSummaryOut):
    description_en: str
    description_zh: str
    venue: VenueOut | None
    rooms: list[RoomOut]
    zones: list[ZoneOut]

    @staticmethod
    def resolve_rooms(obj) -> list:
        return list(obj.rooms.select_related("zone"))

    @staticmethod
    def resolve_zones(obj) -> list:
        return list(obj.zones.all())


@router.get("", response={200: list[EventSummaryOut], **errors()}, summary="Events this token can see")
def list_events(request: HttpRequest):
    # A token belongs to one event; that is all it sees.
    return [request.auth.event]


@router.get(
    "{slug}", response={200: EventOut, **errors(404)}, summary="One event with venue, rooms and zones"
)
def get_event(request: HttpRequest, slug: str):
    return token_event(request, slug)
