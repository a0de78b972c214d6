"""Factories for tests and benchmarks: build realistic data through the models, never from DB dumps."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from summit.events.models import Event, EventRole, Room, Venue, Zone
from summit.registration.models import Category, InvitationCode, Organization, Participant

_seq = itertools.count(1)
PASSWORD = "summit-test-pw"


def make_user(email: str | None = None, *, password: str | None = PASSWORD, **extra):
    email = email or f"user{next(_seq)}@example.org"
    return get_user_model().objects.create_user(email, password, **extra)


def make_event(slug: str | None = None, **extra) -> Event:
    slug = slug or f"event-{next(_seq)}"
    tz = ZoneInfo("Asia/Shanghai")
    venue = Venue.objects.create(
        name_en="Wuzhen Internet International Convention Center",
        name_zh="乌镇互联网国际会展中心",
        city="Wuzhen",
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


def make_category(event: Event, code: str = "company", **extra) -> Category:
    defaults = dict(
        name_en=code.replace("-", " ").title(), name_zh="", required_fields=[], needs_approval=True
    )
    defaults.update(extra)
    return Category.objects.create(event=event, code=code, **defaults)


# The categories of a conference like the World Internet Conference: code, English and Chinese names,
# required fields, on-site quota, needs approval, needs an invitation, on-site allowed. Shared with `summit demo`.
STANDARD_CATEGORIES = [
    ("government", "Government delegate", "政府代表", ["position", "organization"], None, True, False, True),
    ("international", "International organization", "国际组织", ["organization"], None, True, False, True),
    ("company", "Company", "企业", ["organization"], None, True, False, True),
    ("research", "Research institute", "科研机构", ["organization"], None, True, False, True),
    ("media", "Media", "媒体", ["outlet", "press_card_number", "press_card_file"], 300, True, True, True),
    ("exhibitor", "Exhibitor", "参展商", ["organization"], None, True, True, True),
    ("vip", "VIP guest", "贵宾", [], 50, True, True, True),
    ("online", "Online guest", "线上嘉宾", [], None, False, False, False),
]


def standard_categories(event: Event) -> dict[str, Category]:
    """The categories of a conference like the World Internet Conference, unsaved (for bulk_create)."""
    return {
        code: Category(
            event=event,
            code=code,
            name_en=en,
            name_zh=zh,
            required_fields=list(fields),
            onsite_quota=quota,
            needs_approval=approval,
            needs_invitation=invitation,
            allows_onsite=onsite,
            order=order,
        )
        for order, (code, en, zh, fields, quota, approval, invitation, onsite) in enumerate(
            STANDARD_CATEGORIES
        )
    }


def make_standard_categories(event: Event) -> dict[str, Category]:
    categories = standard_categories(event)
    for category in categories.values():
        category.save()
    return categories


def make_staff(event: Event, role: str = EventRole.ORGANIZER, email: str | None = None):
    user = make_user(email)
    EventRole.objects.create(event=event, user=user, role=role)
    return user


def make_organization(event: Event, **extra) -> Organization:
    n = next(_seq)
    defaults = dict(
        name=f"Organization {n}", name_latin=f"Organization {n}", type=Organization.COMPANY, country="CN"
    )
    defaults.update(extra)
    return Organization.objects.create(event=event, **defaults)


def make_participant(event: Event, category: Category, **extra) -> Participant:
    """A participant created directly (no quota logic): use services.register to test the rules."""
    n = next(_seq)
    email = extra.pop("email", None) or f"p{n}@example.org"
    user = extra.pop("user", None) or make_user(email, password=None)
    defaults = dict(
        given_name="Wei",
        family_name="Wang",
        given_name_latin="Wei",
        family_name_latin="Wang",
        name_order=Participant.FAMILY_FIRST,
        country="CN",
        attendance_mode=Participant.ONSITE,
        language="en",
        status=Participant.SUBMITTED,
    )
    defaults.update(extra)
    return Participant.objects.create(event=event, category=category, user=user, email=email, **defaults)


def make_invitation(event: Event, category: Category, code: str | None = None, **extra) -> InvitationCode:
    return InvitationCode.objects.create(
        event=event, category=category, code=code or f"INV{next(_seq):05d}", **extra
    )


def person_data(**overrides) -> dict:
    """Raw registration data as a form or the API would send it."""
    n = next(_seq)
    data = {
        "email": f"person{n}@example.org",
        "given_name": "Anna",
        "family_name": "Schmidt",
        "country": "DE",
        "attendance_mode": "onsite",
        "language": "en",
        "organization_name": "Example GmbH",
        "organization_type": "company",
        "position": "Director",
    }
    data.update(overrides)
    return data


def expired(hours: int = 1):
    from django.utils import timezone

    return timezone.now() - timedelta(hours=hours)


# Smallest valid files of each accepted type, plus one that is not accepted.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"


# --- program ------------------------------------------------------------------------------------------------


def make_forum(event: Event, slug: str | None = None, **extra):
    from summit.program.models import Forum

    n = next(_seq)
    defaults = dict(title_en=f"Forum {n}", title_zh=f"分论坛 {n}", topic="governance", order=n)
    defaults.update(extra)
    return Forum.objects.create(event=event, slug=slug or f"forum-{n}", **defaults)


def make_session(event: Event, forum=None, *, start=None, minutes: int = 90, **extra):
    """A session on the event's first day (09:00 local unless ``start`` is given)."""
    from datetime import timedelta

    from summit.program.models import Session

    forum = forum or make_forum(event)
    start = start or event.start
    n = next(_seq)
    defaults = dict(
        title_en=f"Session {n}", title_zh=f"会议 {n}", capacity=10, online=True, languages=["en", "zh"]
    )
    defaults.update(extra)
    return Session.objects.create(
        event=event, forum=forum, start=start, end=start + timedelta(minutes=minutes), **defaults
    )


def make_delegate(event: Event, category: Category | None = None, **extra) -> Participant:
    """An approved on-site participant, ready to book."""
    category = category or Category.objects.filter(event=event).first() or make_category(event)
    extra.setdefault("status", Participant.APPROVED)
    return make_participant(event, category, **extra)


def booking_without_lock(race_window: float = 0.02):
    """Turn booking's seat lock off (race tests only: they prove the race exists before proving the fix)."""
    from contextlib import contextmanager

    from summit.program import services

    @contextmanager
    def switch():
        old = services.LOCKING, services.RACE_WINDOW_SECONDS
        services.LOCKING, services.RACE_WINDOW_SECONDS = False, race_window
        try:
            yield
        finally:
            services.LOCKING, services.RACE_WINDOW_SECONDS = old

    return switch()
