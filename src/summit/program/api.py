"""REST API: forums, sessions, speakers, talks and bookings of an event.

Every rule lives in ``program.services``; this only translates. Reading the program needs any valid token
of the event; changing it needs an organizer; booking needs a token whose user is a participant of the event.
Times leave in the event's time zone, with their offset; times without an offset arrive in it too.
The request and response shapes are in ``program/schemas.py``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from django.db import connection
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from summit.core.errors import NotFound, ValidationFailed, as_id
from summit.core.http import base_url
from summit.core.schemas import errors
from summit.events.models import Room
from summit.events.roles import token_event
from summit.program import services
from summit.program.models import LANGUAGE_CODES, Booking, Forum, Session, Speaker, Talk
from summit.program.schemas import (
    BookingErrorOut,
    BookingFilters,
    BookingIn,
    BookingOut,
    CancelIn,
    ForumCreateIn,
    ForumIn,
    ForumOut,
    MyBookingOut,
    SessionBookingOut,
    SessionCreateIn,
    SessionFilters,
    SessionIn,
    SessionOut,
    SpeakerIn,
    SpeakerOut,
    TalkCreateIn,
    TalkIn,
    TalkOut,
)
from summit.registration.models import Organization, Participant

router = Router(tags=["program"])


def _local(value: datetime | None, event) -> datetime | None:
    return timezone.localtime(value, event.tz) if value is not None else None


def _aware(value: datetime | None, event) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, event.tz)
    return value


def _room(room: Room | None) -> dict | None:
    if room is None:
        return None
    return {"id": room.pk, "name_en": room.name_en, "name_zh": room.name_zh}


def _speaker_ref(speaker: Speaker) -> dict:
    return {
        "id": speaker.pk,
        "name": speaker.name,
        "name_latin": speaker.name_forms[1],  # never a Latin form invented for an unreliable script
        "display_name": speaker.display_name,
        "affiliation": speaker.affiliation,
        "affiliation_zh": speaker.affiliation_zh,
        "remote": speaker.remote,
    }


def _talk_out(talk: Talk) -> dict:
    return {
        "id": talk.pk,
        "session": talk.session_id,
        "order": talk.order,
        "title_en": talk.title_en,
        "title_zh": talk.title_zh,
        "minutes": talk.minutes,
        "speakers": [_speaker_ref(s) for s in talk.speakers.all()],
    }


def _forum_out(forum: Forum) -> dict:
    host = forum.host_organization
    return {
        "id": forum.pk,
        "slug": forum.slug,
        "title_en": forum.title_en,
        "title_zh": forum.title_zh,
        "description_en": forum.description_en,
        "description_zh": forum.description_zh,
        "topic": forum.topic,
        "host_organization": {"id": host.pk, "name": host.name, "name_latin": host.name_latin}
        if host
        else None,
        "room": _room(forum.room),
        "moderators": [{"id": m.pk, "display_name": m.display_name} for m in forum.moderators.all()],
        "order": forum.order,
    }


def _session_out(session: Session, event) -> dict:
    talks = [_talk_out(t) for t in session.talks.all()]
    speakers: dict[int, dict] = {}
    for talk in talks:
        for speaker in talk["speakers"]:
            speakers.setdefault(speaker["id"], speaker)
    forum = session.forum
    return {
        "id": session.pk,
        "guid": str(session.guid),
        "forum": {
            "id": forum.pk,
            "slug": forum.slug,
            "title_en": forum.title_en,
            "title_zh": forum.title_zh,
            "topic": forum.topic,
        },
        "title_en": session.title_en,
        "title_zh": session.title_zh,
        "abstract_en": session.abstract_en,
        "abstract_zh": session.abstract_zh,
        "start": _local(session.start, event),
        "end": _local(session.end, event),
        "room": _room(session.room),
        "status": session.status,
        "capacity": session.capacity,
        "seats_taken": session.seats_taken,
        "seats_free": max(session.capacity - session.seats_taken, 0),
        "waitlist_count": session.waitlist_count,
        "online": session.online,
        "online_limit": session.online_limit,
        "online_count": session.online_count,
        "languages": list(session.languages or []),
        "interpretation": session.interpretation,
        "speakers": list(speakers.values()),
        "talks": talks,
    }


def _sessions(event):
    return services.with_counts(
        Session.objects.filter(event=event)
        .select_related("forum", "room")
        .prefetch_related(Prefetch("talks", queryset=Talk.objects.prefetch_related("speakers")))
    )


def _session_detail(event, session_id) -> dict:
    pk = as_id(session_id)
    session = _sessions(event).filter(pk=pk).first() if pk else None
    if session is None:
        raise NotFound(_("There is no such session in this event."), code="session_not_found")
    return _session_out(session, event)


def _forums(event):
    return (
        Forum.objects.filter(event=event)
        .select_related("room", "host_organization")
        .prefetch_related("moderators")
    )


def _forum(event, forum_id) -> Forum:
    pk = as_id(forum_id)
    forum = _forums(event).filter(pk=pk).first() if pk else None
    if forum is None:
        raise NotFound(_("There is no such forum in this event."), code="forum_not_found")
    return forum


def _speakers(event):
    return Speaker.objects.filter(event=event).prefetch_related(
        Prefetch("talks", queryset=Talk.objects.select_related("session").order_by("session__start", "order"))
    )


def _speaker(event, speaker_id) -> Speaker:
    pk = as_id(speaker_id)
    speaker = _speakers(event).filter(pk=pk).first() if pk else None
    if speaker is None:
        raise NotFound(_("There is no such speaker in this event."), code="speaker_not_found")
    return speaker


def _speaker_out(speaker: Speaker, event) -> dict:
    return {
        **_speaker_ref(speaker),
        "participant": speaker.participant_id,
        "bio_en": speaker.bio_en,
        "bio_zh": speaker.bio_zh,
        "has_photo": bool(speaker.photo),
        "talks": [
            {
                "id": talk.pk,
                "title_en": talk.title_en,
                "title_zh": talk.title_zh,
                "session": talk.session_id,
                "session_title_en": talk.session.title_en,
                "session_title_zh": talk.session.title_zh,
                "start": _local(talk.session.start, event),
            }
            for talk in speaker.talks.all()
        ],
    }


def _talk(session: Session, talk_id) -> Talk:
    pk = as_id(talk_id)
    talk = (
        Talk.objects.filter(session=session, pk=pk).select_related("session__event").first() if pk else None
    )
    if talk is None:
        raise NotFound(_("There is no such talk in this session."), code="talk_not_found")
    return talk


def _one_of_event(model, event, pk, field: str):
    """The object ``pk`` of this event (None stays None); 422 on ``field`` otherwise."""
    if pk is None:
        return None
    obj = model.objects.filter(event=event, pk=pk).first()
    if obj is None:
        raise ValidationFailed(_("Choose one of this event's."), code="unknown", field=field)
    return obj


def _many_of_event(model, event, ids: list[int], field: str) -> list:
    wanted = list(dict.fromkeys(ids))
    found = {obj.pk: obj for obj in model.objects.filter(event=event, pk__in=wanted)}
    if len(found) != len(wanted):
        raise ValidationFailed(_("Choose only this event's."), code="unknown", field=field)
    return [found[pk] for pk in wanted]


def _own_participant(request: HttpRequest, event) -> Participant:
    # Loaded with the token, in the same query (registration.services.authenticate_token).
    participant = request.auth.participant if request.auth.event_id == event.pk else None
    if participant is None:
        raise NotFound(_("The token's user is not a participant of this event."), code="not_a_participant")
    return participant


def _day_range(event, value: str) -> tuple[datetime, datetime]:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            _("The day must be written YYYY-MM-DD."), code="bad_filter", field="day"
        ) from None
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), event.tz)
    return start, timezone.make_aware(
        datetime.combine(day + timedelta(days=1), datetime.min.time()), event.tz
    )


def _filter_sessions(event, qs, filters: SessionFilters):
    if value := (filters.forum or "").strip():
        pk = as_id(value)
        forum = Forum.objects.filter(event=event).filter(**({"pk": pk} if pk else {"slug": value})).first()
        if forum is None:
            raise ValidationFailed(
                _("Unknown forum: “%(value)s”.") % {"value": value}, code="bad_filter", field="forum"
            )
        qs = qs.filter(forum=forum)
    if value := (filters.topic or "").strip():
        if value not in Forum.TOPIC_CODES:
            raise ValidationFailed(
                _("Unknown topic: “%(value)s”.") % {"value": value}, code="bad_filter", field="topic"
            )
        qs = qs.filter(forum__topic=value)
    if value := (filters.day or "").strip():
        start, end = _day_range(event, value)
        qs = qs.filter(start__gte=start, start__lt=end)
    if value := (filters.language or "").strip().lower():
        if value not in LANGUAGE_CODES:
            raise ValidationFailed(
                _("Unknown language: “%(value)s”.") % {"value": value}, code="bad_filter", field="language"
            )
        if connection.features.supports_json_field_contains:
            qs = qs.filter(languages__contains=[value])
        else:  # SQLite: the stored JSON text holds the code in quotes
            qs = qs.filter(languages__icontains=f'"{value}"')
    if value := (filters.mode or "").strip():
        if value == Booking.ONSITE:
            qs = qs.filter(capacity__gt=0)
        elif value == Booking.ONLINE:
            qs = qs.filter(online=True)
        else:
            raise ValidationFailed(
                _("Unknown mode “%(value)s”: use onsite or online.") % {"value": value},
                code="bad_filter",
                field="mode",
            )
    return qs


def _session_data(event, payload: SessionIn) -> dict:
    data = payload.dict(exclude_unset=True)
    if "forum" in data:
        data["forum"] = _one_of_event(Forum, event, data["forum"], "forum")
    if "room" in data:
        data["room"] = _one_of_event(Room, event, data["room"], "room")
    for field in ("start", "end"):
        if field in data:
            data[field] = _aware(data[field], event)
    return data


def _forum_data(event, payload: ForumIn) -> tuple[dict, list | None]:
    data = payload.dict(exclude_unset=True)
    moderators = data.pop("moderators", None)
    if moderators is not None:
        moderators = _many_of_event(Participant, event, moderators, "moderators")
    if "room" in data:
        data["room"] = _one_of_event(Room, event, data["room"], "room")
    if "host_organization" in data:
        data["host_organization"] = _one_of_event(
            Organization, event, data["host_organization"], "host_organization"
        )
    return data, moderators


def _speaker_data(event, payload: SpeakerIn) -> dict:
    data = payload.dict(exclude_unset=True)
    # `affiliation_en` is `affiliation` under the _en/_zh naming; `affiliation` stays for existing clients.
    if "affiliation_en" in data:
        english = data.pop("affiliation_en")
        if "affiliation" in data and data["affiliation"] != english:
            raise ValidationFailed(
                _("Send the English affiliation once, as “affiliation” or “affiliation_en”."),
                field="affiliation_en",
            )
        data["affiliation"] = english
    if "participant" in data:
        data["participant"] = _one_of_event(Participant, event, data["participant"], "participant")
    return data


def _talk_data(event, payload: TalkIn) -> tuple[dict, list | None]:
    data = payload.dict(exclude_unset=True)
    speakers = data.pop("speakers", None)
    if speakers is not None:
        speakers = _many_of_event(Speaker, event, speakers, "speakers")
    return data, speakers


def _talk_detail(talk: Talk) -> dict:
    talk = Talk.objects.prefetch_related("speakers").get(pk=talk.pk)
    return _talk_out(talk)


def _event_booking(event, booking_id) -> Booking:
    pk = as_id(booking_id)
    booking = (
        Booking.objects.filter(pk=pk, session__event=event).select_related("participant").first()
        if pk
        else None
    )
    if booking is None:
        raise NotFound(_("There is no such booking."), code="booking_not_found")
    return booking


@router.get("{slug}/forums", response={200: list[ForumOut], **errors(404)}, summary="Sub-forums of the event")
def list_forums(request: HttpRequest, slug: str):
    event = token_event(request, slug)
    return [_forum_out(forum) for forum in _forums(event)]


@router.get("{slug}/forums/{int:forum_id}", response={200: ForumOut, **errors(404)}, summary="One sub-forum")
def get_forum(request: HttpRequest, slug: str, forum_id: int):
    event = token_event(request, slug)
    return _forum_out(_forum(event, forum_id))


@router.post(
    "{slug}/forums",
    response={201: ForumOut, **errors(404, 409, 422)},
    summary="Create a sub-forum (organizers)",
)
def create_forum(request: HttpRequest, slug: str, payload: ForumCreateIn):
    event = token_event(request, slug, organizer=True)
    data, moderators = _forum_data(event, payload)
    forum = services.save_forum(event=event, data=data, actor=request.auth.user, moderators=moderators)
    return Status(201, _forum_out(_forum(event, forum.pk)))


@router.patch(
    "{slug}/forums/{int:forum_id}",
    response={200: ForumOut, **errors(404, 409, 422)},
    summary="Change a sub-forum (organizers)",
)
def update_forum(request: HttpRequest, slug: str, forum_id: int, payload: ForumIn):
    event = token_event(request, slug, organizer=True)
    forum = _forum(event, forum_id)
    data, moderators = _forum_data(event, payload)
    services.save_forum(event=event, data=data, actor=request.auth.user, forum=forum, moderators=moderators)
    return _forum_out(_forum(event, forum.pk))


@router.get(
    "{slug}/sessions",
    response={200: list[SessionOut], **errors(404, 422)},
    summary="Sessions with seat counts",
)
def list_sessions(request: HttpRequest, slug: str, filters: Query[SessionFilters]):
    event = token_event(request, slug)
    qs = _filter_sessions(event, _sessions(event), filters)
    return [_session_out(session, event) for session in qs]


@router.get(
    "{slug}/sessions/{int:session_id}", response={200: SessionOut, **errors(404)}, summary="One session"
)
def get_session(request: HttpRequest, slug: str, session_id: int):
    event = token_event(request, slug)
    return _session_detail(event, session_id)


@router.post(
    "{slug}/sessions",
    response={201: SessionOut, **errors(404, 409, 422)},
    summary="Create a session (organizers)",
)
def create_session(request: HttpRequest, slug: str, payload: SessionCreateIn):
    """Missing or bad fields, a negative capacity or an end before the start → 422 with the ``field``."""
    event = token_event(request, slug, organizer=True)
    session = services.save_session(
        event=event, data=_session_data(event, payload), actor=request.auth.user, base_url=base_url(request)
    )
    return Status(201, _session_detail(event, session.pk))


@router.patch(
    "{slug}/sessions/{int:session_id}",
    response={200: SessionOut, **errors(404, 409, 422)},
    summary="Change a session (organizers)",
)
def update_session(request: HttpRequest, slug: str, session_id: int, payload: SessionIn):
    """Fewer seats than are booked → 409 ``capacity_below_booked``; more seats promote from the waitlist."""
    event = token_event(request, slug, organizer=True)
    session = services.get_session(event, session_id)
    services.save_session(
        event=event,
        session=session,
        data=_session_data(event, payload),
        actor=request.auth.user,
        base_url=base_url(request),
    )
    return _session_detail(event, session.pk)


@router.post(
    "{slug}/sessions/{int:session_id}/cancel",
    response={200: SessionOut, **errors(404, 409, 422)},
    summary="Cancel a session and all its bookings (organizers)",
)
def cancel_session(request: HttpRequest, slug: str, session_id: int, payload: CancelIn | None = None):
    event = token_event(request, slug, organizer=True)
    session = services.get_session(event, session_id)
    services.cancel_session(
        session=session, actor=request.auth.user, reason=payload.reason if payload else ""
    )
    return _session_detail(event, session.pk)


@router.post(
    "{slug}/sessions/{int:session_id}/talks",
    response={201: TalkOut, **errors(404, 409, 422)},
    summary="Add a talk (organizers)",
)
def create_talk(request: HttpRequest, slug: str, session_id: int, payload: TalkCreateIn):
    event = token_event(request, slug, organizer=True)
    session = services.get_session(event, session_id)
    data, speakers = _talk_data(event, payload)
    talk = services.save_talk(session=session, data=data, actor=request.auth.user, speakers=speakers)
    return Status(201, _talk_detail(talk))


@router.patch(
    "{slug}/sessions/{int:session_id}/talks/{int:talk_id}",
    response={200: TalkOut, **errors(404, 409, 422)},
    summary="Change a talk (organizers)",
)
def update_talk(request: HttpRequest, slug: str, session_id: int, talk_id: int, payload: TalkIn):
    event = token_event(request, slug, organizer=True)
    session = services.get_session(event, session_id)
    talk = _talk(session, talk_id)
    data, speakers = _talk_data(event, payload)
    talk = services.save_talk(
        session=session, data=data, actor=request.auth.user, talk=talk, speakers=speakers
    )
    return _talk_detail(talk)


@router.delete(
    "{slug}/sessions/{int:session_id}/talks/{int:talk_id}",
    response={204: None, **errors(404, 409)},
    summary="Remove a talk (organizers)",
)
def delete_talk(request: HttpRequest, slug: str, session_id: int, talk_id: int):
    event = token_event(request, slug, organizer=True)
    session = services.get_session(event, session_id)
    services.delete_talk(talk=_talk(session, talk_id), actor=request.auth.user)
    return Status(204, None)


@router.get(
    "{slug}/speakers", response={200: list[SpeakerOut], **errors(404)}, summary="Speakers with their talks"
)
def list_speakers(request: HttpRequest, slug: str):
    event = token_event(request, slug)
    return [_speaker_out(speaker, event) for speaker in _speakers(event)]


@router.get(
    "{slug}/speakers/{int:speaker_id}", response={200: SpeakerOut, **errors(404)}, summary="One speaker"
)
def get_speaker(request: HttpRequest, slug: str, speaker_id: int):
    event = token_event(request, slug)
    return _speaker_out(_speaker(event, speaker_id), event)


@router.post(
    "{slug}/speakers",
    response={201: SpeakerOut, **errors(404, 409, 422)},
    summary="Add a speaker (organizers)",
)
def create_speaker(request: HttpRequest, slug: str, payload: SpeakerIn):
    """Either ``name`` or ``participant`` (whose name is then used); a participant has one speaker profile."""
    event = token_event(request, slug, organizer=True)
    speaker = services.save_speaker(event=event, data=_speaker_data(event, payload), actor=request.auth.user)
    return Status(201, _speaker_out(_speaker(event, speaker.pk), event))


@router.patch(
    "{slug}/speakers/{int:speaker_id}",
    response={200: SpeakerOut, **errors(404, 409, 422)},
    summary="Change a speaker (organizers)",
)
def update_speaker(request: HttpRequest, slug: str, speaker_id: int, payload: SpeakerIn):
    event = token_event(request, slug, organizer=True)
    speaker = _speaker(event, speaker_id)
    services.save_speaker(
        event=event, data=_speaker_data(event, payload), actor=request.auth.user, speaker=speaker
    )
    return _speaker_out(_speaker(event, speaker.pk), event)


@router.get(
    "{slug}/sessions/{int:session_id}/bookings",
    response={200: list[SessionBookingOut], **errors(404, 422)},
    summary="Who holds a seat, an online place or a waitlist spot (organizers)",
)
def list_session_bookings(request: HttpRequest, slug: str, session_id: int, filters: Query[BookingFilters]):
    """Booked first (in booking order), then the waitlist in its order, then cancelled ones."""
    event = token_event(request, slug, organizer=True)
    session = services.get_session(event, session_id)
    qs = Booking.objects.filter(session=session).select_related("participant", "participant__organization")
    if value := (filters.status or "").strip():
        if value not in dict(Booking.STATUS_CHOICES):
            raise ValidationFailed(
                _("Unknown status “%(value)s”.") % {"value": value}, code="bad_filter", field="status"
            )
        qs = qs.filter(status=value)
    order = {Booking.BOOKED: 0, Booking.WAITLISTED: 1, Booking.CANCELLED: 2}
    bookings = sorted(
        qs, key=lambda b: (order.get(b.status, 3), b.waitlist_position or 0, b.created_at, b.pk)
    )
    # Ranks count the whole waitlist even when the list is filtered.
    waiting = Booking.objects.filter(session=session, status=Booking.WAITLISTED).order_by("waitlist_position")
    ranks = {pk: rank for rank, pk in enumerate(waiting.values_list("pk", flat=True), start=1)}
    return [
        {
            "id": b.pk,
            "participant": b.participant_id,
            "name": b.participant.display_name,
            "organization": b.participant.organization.name if b.participant.organization else None,
            "mode": b.mode,
            "status": b.status,
            "waitlist_rank": ranks.get(b.pk),
            "created_at": _local(b.created_at, event),
        }
        for b in bookings
    ]


@router.delete(
    "{slug}/bookings/{int:booking_id}",
    response={200: BookingOut, **errors(404, 409, 422)},
    summary="Remove someone's booking (organizers); a freed seat goes to the waitlist",
)
def remove_booking(
    request: HttpRequest,
    slug: str,
    booking_id: int,
    reason: Annotated[str, Query(max_length=2000)] = "",
):
    event = token_event(request, slug, organizer=True)
    cancelled = services.cancel_booking(
        booking=_event_booking(event, booking_id),
        actor=request.auth.user,
        reason=reason,
        base_url=base_url(request),
    )
    return services.booking_dict(cancelled.booking)


@router.post(
    "{slug}/sessions/{int:session_id}/bookings",
    response={200: BookingOut, 201: BookingOut, **errors(403, 404, 422), 409: BookingErrorOut},
    summary="Book a seat or an online place, or join the waitlist",
)
def book_session(request: HttpRequest, slug: str, session_id: int, payload: BookingIn):
    """201 for a new booking, 200 when the idempotency key was already used for the same request. Full →
    409 ``full`` with ``offers``; overlapping a held session → 409 ``time_conflict``."""
    event = token_event(request, slug)
    participant = _own_participant(request, event)
    session = services.get_session_for_booking(event, session_id, participant)
    replace = None
    if payload.replace is not None:
        replace = Booking.objects.filter(pk=payload.replace, participant=participant).first()
        if replace is None:
            raise NotFound(_("There is no such booking."), code="booking_not_found")
    key = payload.idempotency_key
    if key is None:
        key = request.headers.get("Idempotency-Key")
    outcome = services.book(
        session=session,
        participant=participant,
        mode=payload.mode,
        idempotency_key=key,
        actor=request.auth.user,
        join_waitlist=payload.join_waitlist,
        replace=replace,
        base_url=base_url(request),
    )
    return Status(200 if outcome.replayed else 201, outcome.as_dict())


@router.get(
    "{slug}/me/bookings", response={200: list[MyBookingOut], **errors(404)}, summary="My active bookings"
)
def my_bookings(request: HttpRequest, slug: str):
    event = token_event(request, slug)
    participant = _own_participant(request, event)
    result = []
    for booking in services.active_bookings(participant):
        session = booking.session
        result.append(
            {
                **services.booking_dict(booking),
                "created_at": _local(booking.created_at, event),
                "session_summary": {
                    "id": session.pk,
                    "title_en": session.title_en,
                    "title_zh": session.title_zh,
                    "forum": session.forum_id,
                    "forum_title_en": session.forum.title_en,
                    "forum_title_zh": session.forum.title_zh,
                    "start": _local(session.start, event),
                    "end": _local(session.end, event),
                    "room": _room(session.room),
                    "status": session.status,
                },
            }
        )
    return result


@router.delete(
    "{slug}/me/bookings/{int:booking_id}",
    response={200: BookingOut, **errors(404, 409)},
    summary="Cancel my booking; a freed seat goes to the waitlist",
)
def cancel_my_booking(request: HttpRequest, slug: str, booking_id: int):
    event = token_event(request, slug)
    participant = _own_participant(request, event)
    pk = as_id(booking_id)
    booking = Booking.objects.filter(pk=pk, participant=participant).first() if pk else None
    if booking is None:
        raise NotFound(_("There is no such booking."), code="booking_not_found")
    cancelled = services.cancel_booking(booking=booking, actor=request.auth.user, base_url=base_url(request))
    return services.booking_dict(cancelled.booking)
