"""Factories for events (see ``core.testing``)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from summit.core.testing import make_user, seq
from summit.events.models import Event, EventRole, Room, Venue, Zone


def make_event(slug: str | None = None, **extra) -> Event:
    slug = slug or f"event-{next(seq)}"
    tz = ZoneInfo("Asia/Shanghai")
    venue = Venue.objects.create(
        name_en="Wuzhen Internet International Convention Center",
        name_zh="乌镇互联网国际会展中心",
        city="Wuzhen",
        city_zh="乌镇",
    )
    defaults = dict(
        name_en="World Internet Conference",
        name_zh="世界互联网大会",
        description_en="Building a community with a shared future in cyberspace.",
        description_zh="携手构建网络空间命运共同体。",
        start=datetime(2027, 11, 8, 9, 0, tzinfo=tz),
        end=datetime(2027, 11, 10, 18, 0, tzinfo=tz),
        time_zone="Asia/Shanghai",
        venue=venue,
    )
    defaults.update(extra)
    event = Event.objects.create(slug=slug, **defaults)
    zone = Zone.objects.create(event=event, code="main", name_en="Main hall", name_zh="主会场")
    Room.objects.create(event=event, name_en="Main hall", name_zh="主会场", capacity=1200, zone=zone)
    return event


def make_staff(event: Event, role: str = EventRole.ORGANIZER, email: str | None = None):
    user = make_user(email)
    EventRole.objects.create(event=event, user=user, role=role)
    return user
