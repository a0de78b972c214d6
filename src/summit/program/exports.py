"""The program in standard formats: iCalendar, the frab/c3voc ``schedule.xml`` and ``schedule.json``, and
CSV/XLSX lists for the back office.

Every builder here is a pure function of the database: it takes an event (or a participant, or a session)
and the site's base URL and returns the document. Views only pick the object and the content type.

Identities are stable so that calendar apps and schedule readers update entries instead of duplicating
them: a session is ``<guid>@summit`` in iCalendar and its ``guid`` in the schedule formats; rooms and
speakers get name-based UUIDs (``uuid5``) derived from their database ids.

Texts follow the active language (:func:`summit.core.i18n.localized`): the English or Chinese title, with
the other one as the subtitle.

Each builder runs a fixed number of queries, however many sessions, talks and speakers there are.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from anyascii import anyascii
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from summit.core.i18n import is_chinese, localized
from summit.core.tables import csv_chunks, xlsx_bytes
from summit.events.models import Event
from summit.program.models import Booking, Session, Talk
from summit.program.services import active_bookings, with_counts
from summit.registration.models import Participant

GENERATOR = "Summit"
JSON_SCHEMA_URL = "https://c3voc.de/schedule/schema.json"
TIMESLOT_DURATION = "00:05"
EVENT_TYPE = "talk"

_UID_DOMAIN = "summit"
_TRACK_SLUG = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")


def _generator_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("summit")
    except PackageNotFoundError:  # running from a source checkout that is not installed
        return ""


# --- reading the program ------------------------------------------------------------------------------------


def _talks_prefetch(prefix: str = "") -> Prefetch:
    return Prefetch(
        f"{prefix}talks",
        queryset=Talk.objects.order_by("order", "id").prefetch_related("speakers"),
    )


def program_sessions(event: Event):
    """The public program: the event's scheduled sessions with forum, room, talks and speakers (3 queries)."""
    return (
        Session.objects.filter(event=event, status=Session.SCHEDULED)
        .select_related("event", "forum", "forum__room", "room")
        .prefetch_related(_talks_prefetch())
        .order_by("start", "forum__order", "id")
    )


def agenda_bookings(participant: Participant) -> list[Booking]:
    """The participant's active bookings (booked or waitlisted) with everything the agenda shows."""
    return list(
        active_bookings(participant)
        .select_related("session__forum__room")
        .prefetch_related(_talks_prefetch("session__"))
    )


# --- shared pieces ------------------------------------------------------------------------------------------


def session_path(session: Session) -> str:
    return f"/events/{session.event.slug}/program/sessions/{session.pk}/"


def session_url(session: Session, base_url: str) -> str:
    return base_url.rstrip("/") + session_path(session)


def session_uid(session: Session) -> str:
    """The iCalendar UID: derived from the session's guid only, so renames and moves keep it."""
    return f"{session.guid}@{_UID_DOMAIN}"


def acronym(event: Event) -> str:
    """The event's short name for the schedule formats: its slug in the form both schemas accept
    (lower case letters, digits and underscores, at least four characters; the year is added to a
    shorter slug)."""
    text = re.sub(r"[^a-z0-9_]", "_", event.slug.lower())
    if len(text) < 4:
        text = f"{text}_{timezone.localtime(event.start, event.tz).year}"
    return text


def _name_uuid(kind: str, event: Event, pk) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:summit:{event.slug}:{kind}:{pk}"))


def _session_slug(session: Session, event_acronym: str) -> str:
    """``<acronym>-<id>-<title>``: unique in the event, ASCII, and of the shape the c3voc schemas want."""
    tail = slugify(anyascii(session.title_en or ""))[:60].strip("-_")
    if len(tail) < 2:
        tail = "session"
    return f"{event_acronym}-{session.pk}-{tail}"


def _other_title(obj, field_name: str) -> str:
    """The title in the language not shown, when it differs: the subtitle of a bilingual session."""
    en = getattr(obj, f"{field_name}_en", "") or ""
    zh = getattr(obj, f"{field_name}_zh", "") or ""
    other = en if is_chinese() else zh
    return other if other and other != localized(obj, field_name) else ""


def _hhmm(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _speakers(session: Session) -> list:
    """The session's speakers, once each, in the order of the talks."""
    seen: dict[int, object] = {}
    for talk in session.talks.all():
        for speaker in talk.speakers.all():
            seen.setdefault(speaker.pk, speaker)
    return list(seen.values())


def _talk_lines(session: Session) -> list[str]:
    lines = []
    for talk in session.talks.all():
        names = ", ".join(s.display_name for s in talk.speakers.all())
        line = f"• {talk.tr_title}"
        if names:
            line += f" — {names}"
        if talk.minutes:
            line += " " + _("(%(minutes)d min)") % {"minutes": talk.minutes}
        lines.append(line)
    return lines


def _room(session: Session):
    return session.room or session.forum.room


# --- one session, ready for any format ----------------------------------------------------------------------


@dataclass
class _Person:
    id: int
    guid: str
    name: str
    biography: str


@dataclass
class _Item:
    session: Session
    id: int
    guid: str
    slug: str
    url: str
    title: str
    subtitle: str
    track: str
    language: str
    abstract: str
    description: str
    start: datetime  # in the event's time zone
    end: datetime
    room_key: str
    room_name: str
    persons: list[_Person] = field(default_factory=list)

    @property
    def duration(self) -> str:
        return _hhmm(self.end - self.start)


@dataclass
class _Room:
    key: str
    name: str
    guid: str
    capacity: int | None


@dataclass
class _Day:
    index: int
    date: date
    start: datetime
    end: datetime
    items: list[_Item] = field(default_factory=list)


@dataclass
class _Program:
    event: Event
    base_url: str
    acronym: str
    rooms: list[_Room]
    tracks: list[tuple[str, str]]  # (name, slug or "")
    days: list[_Day]
    version: str = ""

    @property
    def start_date(self) -> date:
        return self.days[0].date

    @property
    def end_date(self) -> date:
        return self.days[-1].date


def _no_room(event: Event) -> _Room:
    return _Room(
        key="none", name=_("Room to be announced"), guid=_name_uuid("room", event, "none"), capacity=None
    )


def _build_program(event: Event, base_url: str) -> _Program:
    tz = event.tz
    code = acronym(event)
    sessions = list(program_sessions(event))

    rooms: dict[str, _Room] = {}
    tracks: dict[int, tuple[str, str]] = {}
    items: list[_Item] = []
    for session in sessions:
        room = _room(session)
        if room is None:
            entry = rooms.setdefault("none", _no_room(event))
        else:
            entry = rooms.setdefault(
                str(room.pk),
                _Room(
                    key=str(room.pk),
                    name=room.tr_name,
                    guid=_name_uuid("room", event, room.pk),
                    capacity=room.capacity,
                ),
            )
        forum = session.forum
        tracks.setdefault(
            forum.pk, (forum.tr_title, forum.slug if _TRACK_SLUG.match(forum.slug or "") else "")
        )
        speakers = _speakers(session)
        items.append(
            _Item(
                session=session,
                id=session.pk,
                guid=str(session.guid),
                slug=_session_slug(session, code),
                url=session_url(session, base_url),
                title=session.tr_title,
                subtitle=_other_title(session, "title"),
                track=forum.tr_title,
                language=(session.languages or [""])[0],
                abstract=session.tr_abstract,
                description="\n".join(_talk_lines(session)),
                start=timezone.localtime(session.start, tz),
                end=timezone.localtime(session.end, tz),
                room_key=entry.key,
                room_name=entry.name,
                persons=[
                    _Person(
                        id=s.pk,
                        guid=_name_uuid("speaker", event, s.pk),
                        name=s.display_name,
                        biography=s.tr_bio,
                    )
                    for s in speakers
                ],
            )
        )

    _distinct_room_names(rooms.values(), items)
    program = _Program(
        event=event,
        base_url=base_url,
        acronym=code,
        rooms=sorted(rooms.values(), key=lambda r: (r.key == "none", r.name.casefold(), r.key)),
        tracks=list(tracks.values()),
        days=_days(event, items),
    )
    program.version = _version(program)
    return program


def _distinct_room_names(rooms: Iterable[_Room], items: list[_Item]) -> None:
    """The schedule formats tell rooms apart by name: give two rooms that show the same name distinct ones."""
    seen: set[str] = set()
    for room in sorted(rooms, key=lambda r: (r.key == "none", r.key)):
        name, n = room.name, 1
        while name.casefold() in seen:
            n += 1
            name = f"{room.name} ({n})"
        seen.add(name.casefold())
        room.name = name
    names = {room.key: room.name for room in rooms}
    for item in items:
        item.room_name = names[item.room_key]


def _days(event: Event, items: list[_Item]) -> list[_Day]:
    """One day per calendar date of the event (and of any session outside it), in the event's time zone.

    A session belongs to the day it starts on, even when it runs past midnight; that day then ends when the
    session does.
    """
    tz = event.tz
    first = timezone.localtime(event.start, tz)
    last = timezone.localtime(event.end, tz)
    dates = {item.start.date() for item in items}
    start_date = min([first.date(), *dates])
    end_date = max([last.date(), *dates])
    opens: time = first.time().replace(tzinfo=None)
    closes: time = last.time().replace(tzinfo=None)

    days = []
    current = start_date
    index = 1
    while current <= end_date:
        day_start = datetime.combine(current, opens, tzinfo=tz)
        close_date = current + timedelta(days=1) if closes <= opens else current
        day_end = datetime.combine(close_date, closes, tzinfo=tz)
        day_items = [item for item in items if item.start.date() == current]
        if day_items:
            day_start = min(day_start, *(i.start for i in day_items))
            day_end = max(day_end, *(i.end for i in day_items))
        days.append(_Day(index=index, date=current, start=day_start, end=day_end, items=day_items))
        current += timedelta(days=1)
        index += 1
    return days


def _version(program: _Program) -> str:
    """A short fingerprint of the published content: it changes whenever anything in the export does."""
    payload = json.dumps(_conference_json(program), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


# --- frab / c3voc schedule.xml ------------------------------------------------------------------------------


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def schedule_xml(event: Event, *, base_url: str) -> bytes:
    """The program as ``schedule.xml`` (frab format, valid against the c3voc ``schedule.xml.xsd``)."""
    program = _build_program(event, base_url)
    root = ET.Element("schedule")
    generator = {"name": GENERATOR}
    if version := _generator_version():
        generator["version"] = version
    _sub(root, "generator", **generator)
    _sub(root, "version", program.version)

    conference = _sub(root, "conference")
    _sub(conference, "title", event.tr_name)
    _sub(conference, "acronym", program.acronym)
    _sub(conference, "start", program.start_date.isoformat())
    _sub(conference, "end", program.end_date.isoformat())
    _sub(conference, "days", str(len(program.days)))
    _sub(conference, "timeslot_duration", TIMESLOT_DURATION)
    _sub(conference, "base_url", base_url)
    _sub(conference, "time_zone_name", event.time_zone)
    for name, slug in program.tracks:
        if slug:
            _sub(conference, "track", name=name, slug=slug)
        else:
            _sub(conference, "track", name=name)

    for day in program.days:
        day_el = _sub(
            root,
            "day",
            index=day.index,
            date=day.date.isoformat(),
            start=day.start.isoformat(),
            end=day.end.isoformat(),
        )
        for room in program.rooms:
            room_el = _sub(day_el, "room", name=room.name, guid=room.guid)
            for item in day.items:
                if item.room_key == room.key:
                    _event_xml(room_el, item)

    ET.indent(root, space="  ")
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode() + b"\n"
    )


def _event_xml(parent: ET.Element, item: _Item) -> None:
    element = _sub(parent, "event", guid=item.guid, id=item.id)
    _sub(element, "date", item.start.isoformat())
    _sub(element, "start", item.start.strftime("%H:%M"))
    _sub(element, "duration", item.duration)
    _sub(element, "room", item.room_name)
    _sub(element, "slug", item.slug)
    _sub(element, "url", item.url)
    _sub(element, "title", item.title)
    _sub(element, "subtitle", item.subtitle)
    _sub(element, "track", item.track)
    _sub(element, "type", EVENT_TYPE)
    _sub(element, "language", item.language)
    _sub(element, "abstract", item.abstract)
    _sub(element, "description", item.description)
    persons = _sub(element, "persons")
    for person in item.persons:
        _sub(persons, "person", person.name, id=person.id, guid=person.guid)
    _sub(element, "links")
    _sub(element, "attachments")


# --- c3voc schedule.json ------------------------------------------------------------------------------------


def schedule_json(event: Event, *, base_url: str) -> dict:
    """The program as ``schedule.json`` (valid against the c3voc schedule JSON schema)."""
    program = _build_program(event, base_url)
    generator = {"name": GENERATOR}
    if version := _generator_version():
        generator["version"] = version
    return {
        "$schema": JSON_SCHEMA_URL,
        "generator": generator,
        "schedule": {
            "version": program.version,
            "base_url": base_url,
            "conference": _conference_json(program),
        },
    }


def _conference_json(program: _Program) -> dict:
    event = program.event
    tracks = []
    for name, slug in program.tracks:
        track = {"name": name}
        if slug:
            track["slug"] = slug
        tracks.append(track)
    rooms = []
    for room in program.rooms:
        data = {"name": room.name, "guid": room.guid}
        if room.capacity is not None:
            data["capacity"] = room.capacity
        rooms.append(data)
    return {
        "acronym": program.acronym,
        "title": event.tr_name,
        "start": program.start_date.isoformat(),
        "end": program.end_date.isoformat(),
        "daysCount": len(program.days),
        "timeslot_duration": TIMESLOT_DURATION,
        "time_zone_name": event.time_zone,
        "rooms": rooms,
        "tracks": tracks,
        "days": [
            {
                "index": day.index,
                "date": day.date.isoformat(),
                "day_start": day.start.isoformat(),
                "day_end": day.end.isoformat(),
                "rooms": {
                    room.name: [_event_json(item) for item in day.items if item.room_key == room.key]
                    for room in program.rooms
                },
            }
            for day in program.days
        ],
    }


def _event_json(item: _Item) -> dict:
    return {
        "id": item.id,
        "guid": item.guid,
        "date": item.start.isoformat(),
        "start": item.start.strftime("%H:%M"),
        "end": item.end.isoformat(),
        "duration": item.duration,
        "room": item.room_name,
        "slug": item.slug,
        "url": item.url,
        "title": item.title,
        "subtitle": item.subtitle,
        "track": item.track,
        "type": EVENT_TYPE,
        "language": item.language or None,
        "abstract": item.abstract,
        "description": item.description,
        "persons": [
            {"id": p.id, "guid": p.guid, "name": p.name, "biography": p.biography or None}
            for p in item.persons
        ],
        "links": [],
        "attachments": [],
    }


# --- iCalendar ----------------------------------------------------------------------------------------------


def _calendar(name: str, *, time_zone: str):
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", "-//Summit//Conference program//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", time_zone)
    calendar.add("x-published-ttl", "PT1H")
    return calendar


def _add_timezones(calendar, sessions: Iterable[Session]) -> None:
    """A VTIMEZONE for every TZID the events use, placed before the events and covering their dates."""
    from icalendar import Timezone

    spans: dict[str, tuple[date, date]] = {}
    for session in sessions:
        tzid = session.event.time_zone
        first, last = session.start.date(), session.end.date()
        if tzid in spans:
            first, last = min(first, spans[tzid][0]), max(last, spans[tzid][1])
        spans[tzid] = (first, last)
    for tzid in sorted(spans):
        first, last = spans[tzid]
        calendar.add_component(
            Timezone.from_tzid(
                tzid, first_date=first - timedelta(days=366), last_date=last + timedelta(days=366)
            )
        )


def _description(session: Session, url: str, extra: str = "") -> str:
    parts = []
    if other_title := _other_title(session, "title"):
        parts.append(other_title)
    if extra:
        parts.append(extra)
    if session.tr_abstract:
        parts.append(session.tr_abstract)
    names = [s.display_name for s in _speakers(session)]
    if names:
        parts.append(_("Speakers: %(names)s") % {"names": ", ".join(names)})
    talks = _talk_lines(session)
    if talks:
        parts.append("\n".join(talks))
    parts.append(url)
    return "\n\n".join(parts)


def _vevent(session: Session, *, base_url: str, summary_prefix: str = "", status: str = "CONFIRMED", note=""):
    from icalendar import Event as VEvent

    tz = ZoneInfo(session.event.time_zone)
    url = session_url(session, base_url)
    vevent = VEvent()
    vevent.add("uid", session_uid(session))
    vevent.add("dtstamp", session.updated_at.astimezone(UTC))
    vevent.add("created", session.created_at.astimezone(UTC))
    vevent.add("last-modified", session.updated_at.astimezone(UTC))
    vevent.add("dtstart", session.start.astimezone(tz))
    vevent.add("dtend", session.end.astimezone(tz))
    vevent.add("summary", f"{summary_prefix}{session.tr_title}")
    vevent.add("description", _description(session, url, note))
    room = _room(session)
    if room is not None:
        vevent.add("location", room.tr_name)
    vevent.add("url", url)
    vevent.add("categories", [session.forum.tr_title])
    vevent.add("status", "CANCELLED" if session.status == Session.CANCELLED else status)
    return vevent


def program_ical(event: Event, *, base_url: str) -> bytes:
    """The whole program (scheduled sessions) as an iCalendar file."""
    sessions = list(program_sessions(event))
    calendar = _calendar(event.tr_name, time_zone=event.time_zone)
    _add_timezones(calendar, sessions)
    for session in sessions:
        calendar.add_component(_vevent(session, base_url=base_url))
    return calendar.to_ical()


def agenda_ical(participant: Participant, *, base_url: str) -> bytes:
    """One participant's agenda: their seats and online places, and (tentative) their waitlist spots."""
    bookings = agenda_bookings(participant)
    event = participant.event
    calendar = _calendar(_("%(event)s: my agenda") % {"event": event.tr_name}, time_zone=event.time_zone)
    _add_timezones(calendar, [b.session for b in bookings])
    for booking in bookings:
        if booking.status == Booking.WAITLISTED:
            prefix = "[" + _("Waitlist") + "] "
            status = "TENTATIVE"
            note = _("You are on the waitlist for an on-site seat.")
        else:
            prefix, status = "", "CONFIRMED"
            note = (
                _("You attend online.") if booking.mode == Booking.ONLINE else _("You have an on-site seat.")
            )
        calendar.add_component(
            _vevent(booking.session, base_url=base_url, summary_prefix=prefix, status=status, note=note)
        )
    return calendar.to_ical()


# --- CSV and XLSX for the back office -----------------------------------------------------------------------

SESSION_COLUMNS = [
    "id",
    "forum",
    "title_en",
    "title_zh",
    "start",
    "end",
    "room",
    "capacity",
    "seats_taken",
    "online",
    "waitlist",
    "languages",
    "interpretation",
    "status",
]

BOOKING_COLUMNS = [
    "name",
    "name_latin",
    "organization",
    "country",
    "email",
    "mode",
    "status",
    "waitlist_rank",
    "booked_at",
]


def session_rows(event: Event) -> tuple[list[str], Iterator[list]]:
    """Header and rows of every session of ``event`` (cancelled ones included, with their status), one query.

    ``start``/``end`` are datetimes in the event's time zone; counts are seats booked on site, online places
    booked, and people on the waitlist.
    """
    tz = event.tz
    queryset = with_counts(
        Session.objects.filter(event=event).select_related("forum", "forum__room", "room")
    ).order_by("start", "forum__order", "id")

    def rows() -> Iterator[list]:
        for s in queryset:
            room = _room(s)
            yield [
                s.pk,
                s.forum.tr_title,
                s.title_en,
                s.title_zh,
                timezone.localtime(s.start, tz),
                timezone.localtime(s.end, tz),
                room.tr_name if room else "",
                s.capacity,
                s.seats_taken,
                s.online_count,
                s.waitlist_count,
                ", ".join(s.languages or []),
                _("yes") if s.interpretation else _("no"),
                s.status,
            ]

    return list(SESSION_COLUMNS), rows()


def booking_rows(session: Session, *, include_cancelled: bool = False) -> tuple[list[str], Iterator[list]]:
    """Header and rows of the bookings of ``session``, one query: seats and online places first, then the
    waitlist in order (``waitlist_rank`` 1 is next in line), then cancelled ones if asked for."""
    tz = ZoneInfo(session.event.time_zone)
    statuses = [*Booking.ACTIVE, Booking.CANCELLED] if include_cancelled else list(Booking.ACTIVE)
    bookings = list(
        Booking.objects.filter(session=session, status__in=statuses).select_related(
            "participant", "participant__organization"
        )
    )
    order = {Booking.BOOKED: 0, Booking.WAITLISTED: 1, Booking.CANCELLED: 2}
    bookings.sort(
        key=lambda b: (
            order[b.status],
            (b.waitlist_position or 0) if b.status == Booking.WAITLISTED else 0,
            b.created_at,
            b.pk,
        )
    )

    def rows() -> Iterator[list]:
        rank = 0
        for b in bookings:
            p = b.participant
            if b.status == Booking.WAITLISTED:
                rank += 1
            yield [
                p.native_name,
                p.latin_name,
                p.organization.name if p.organization else "",
                str(p.country or ""),
                p.email,
                b.mode,
                b.status,
                rank if b.status == Booking.WAITLISTED else None,
                timezone.localtime(b.created_at, tz),
            ]

    return list(BOOKING_COLUMNS), rows()


def sessions_csv(event: Event) -> Iterator[str]:
    """The session list as CSV text chunks (UTF-8 with a byte-order mark, for Excel)."""
    return csv_chunks(*session_rows(event))


def sessions_xlsx(event: Event) -> bytes:
    return xlsx_bytes(*session_rows(event), title=_("Sessions"))


def bookings_csv(session: Session, *, include_cancelled: bool = False) -> Iterator[str]:
    return csv_chunks(*booking_rows(session, include_cancelled=include_cancelled))


def bookings_xlsx(session: Session, *, include_cancelled: bool = False) -> bytes:
    return xlsx_bytes(*booking_rows(session, include_cancelled=include_cancelled), title=_("Bookings"))
