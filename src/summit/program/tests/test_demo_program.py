"""The demo program (program/demo.py): a realistic program whose bulk-written bookings keep every rule that
``services.book`` guarantees. The full demo is built once for the module and rolled back afterwards."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict

import pytest
from django.core import mail

from summit.core.testing import built_demo
from summit.events.models import Event
from summit.program import services
from summit.program.models import LANGUAGE_CODES, Booking, Forum, Session, Speaker, Talk
from summit.registration.models import Participant

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The full demo (2,001 participants), built once; everything is rolled back after the module."""
    with built_demo(django_db_blocker) as (output, seconds):
        yield {"event": Event.objects.get(slug="wic2027"), "output": output, "seconds": seconds}


@pytest.fixture
def event(demo):
    return demo["event"]


def counts(session: Session) -> tuple[int, int, int]:
    rows = Counter(
        Booking.objects.filter(session=session, status__in=Booking.ACTIVE).values_list("status", "mode")
    )
    return (
        rows[(Booking.BOOKED, Booking.ONSITE)],
        rows[(Booking.BOOKED, Booking.ONLINE)],
        rows[(Booking.WAITLISTED, Booking.ONSITE)],
    )


def test_the_demo_builds_fast_and_prints_the_program_url(demo):
    assert demo["seconds"] < 15
    assert "http://127.0.0.1:8000/events/wic2027/program/" in demo["output"]


def test_a_dozen_bilingual_forums_with_hosts_and_rooms(event):
    forums = list(Forum.objects.filter(event=event).select_related("host_organization", "room"))
    assert len(forums) == 12
    assert len({f.topic for f in forums}) >= 7
    for forum in forums:
        assert forum.title_en and forum.title_zh and forum.description_en and forum.description_zh
        assert forum.topic in Forum.TOPIC_CODES
        assert forum.host_organization is not None and forum.host_organization.event_id == event.pk
        assert forum.room is not None and forum.room.event_id == event.pk and forum.room.name_zh
        assert 3 <= forum.sessions.count() <= 4
        assert forum.moderators.exists()
    titles = " ".join(f.title_en for f in forums)
    for subject in ["Cyberspace Governance", "Digital Economy", "Cyber Security", "Open Source", "Youth"]:
        assert subject in titles


def test_sessions_fit_the_conference_days_and_their_rooms(event):
    sessions = list(Session.objects.filter(event=event).select_related("room", "forum"))
    days = {s.start.astimezone(event.tz).date() for s in sessions}
    assert len(days) == 3
    assert min(sessions, key=lambda s: s.start).start >= event.start
    assert max(sessions, key=lambda s: s.end).end <= event.end
    by_room = defaultdict(list)
    for s in sessions:
        assert s.title_en and s.title_zh and s.abstract_en and s.abstract_zh
        assert 40 <= s.capacity <= 400 and s.capacity <= s.room.capacity
        assert s.languages and set(s.languages) <= set(LANGUAGE_CODES)
        assert s.status == Session.SCHEDULED
        by_room[s.room_id].append(s)
    for in_room in by_room.values():  # a room holds one session at a time
        in_room.sort(key=lambda s: s.start)
        assert all(a.end <= b.start for a, b in zip(in_room, in_room[1:], strict=False))
    assert any(s.interpretation for s in sessions) and any(not s.interpretation for s in sessions)
    assert any(s.online for s in sessions) and any(not s.online for s in sessions)
    assert any(len(s.languages) > 1 for s in sessions)


def test_the_opening_keynote_has_remote_video_speakers(event):
    opening = Session.objects.filter(event=event).order_by("start", "pk").first()
    assert opening.start.astimezone(event.tz).date() == event.start.astimezone(event.tz).date()
    assert "keynote" in opening.title_en.lower()
    assert opening.capacity == 400 and opening.room.name_en == "Main Hall"
    parallel = Session.objects.filter(event=event, start__lt=opening.end, end__gt=opening.start)
    assert list(parallel) == [opening]
    remote = Speaker.objects.filter(talks__session=opening, remote=True, participant__isnull=True).distinct()
    assert remote.count() >= 2


def test_talks_are_in_order_and_speakers_are_real_or_remote(event):
    for session in Session.objects.filter(event=event):
        talks = list(Talk.objects.filter(session=session))
        assert [t.order for t in talks] == list(range(len(talks))) and len(talks) >= 3
        assert all(t.title_en and t.title_zh for t in talks)
        assert sum(t.minutes for t in talks) <= (session.end - session.start).total_seconds() / 60
    speakers = Speaker.objects.filter(event=event)
    linked = speakers.filter(participant__isnull=False)
    assert linked.count() >= 40
    assert not linked.exclude(participant__event=event).exists()
    assert not linked.exclude(participant__status=Participant.APPROVED).exists()
    assert speakers.filter(participant__isnull=True, remote=True).count() >= 10
    assert not speakers.filter(bio_en="").exists() and not speakers.filter(bio_zh="").exists()
    # Nobody speaks in two sessions at once.
    for speaker in speakers.prefetch_related("talks__session"):
        held = sorted({t.session for t in speaker.talks.all()}, key=lambda s: s.start)
        assert all(a.end <= b.start for a, b in zip(held, held[1:], strict=False)), speaker.name


def test_bookings_keep_every_rule_of_the_booking_service(event):
    bookings = list(
        Booking.objects.filter(session__event=event).select_related("participant", "session").order_by("pk")
    )
    assert len(bookings) > 3000
    active = [b for b in bookings if b.status in Booking.ACTIVE]
    # Only approved participants, and people attending online only online.
    assert {b.participant.status for b in active} == {Participant.APPROVED}
    assert not [
        b for b in active if b.participant.attendance_mode == Participant.ONLINE and b.mode != Booking.ONLINE
    ]
    assert not [b for b in active if b.status == Booking.WAITLISTED and b.mode != Booking.ONSITE]
    assert not [b for b in active if b.mode == Booking.ONLINE and not b.session.online]
    # One active booking per person and session, and never two sessions at the same time.
    per_person = defaultdict(list)
    for b in active:
        per_person[b.participant_id].append(b.session)
    for held in per_person.values():
        held.sort(key=lambda s: s.start)
        assert all(a.end <= b.start for a, b in zip(held, held[1:], strict=False))
    for b in bookings:
        if b.status == Booking.CANCELLED:
            assert b.cancelled_at is not None and b.waitlist_position is None
        else:
            assert b.cancelled_at is None
            assert (b.waitlist_position is not None) == (b.status == Booking.WAITLISTED)

    for session in Session.objects.filter(event=event):
        seats, online, waiting = counts(session)
        assert seats <= session.capacity
        if session.online_limit is not None:
            assert online <= session.online_limit
        queue = list(
            Booking.objects.filter(session=session, status=Booking.WAITLISTED).order_by("created_at", "pk")
        )
        # A waitlist only exists once every seat is taken, and it is numbered in the order of joining.
        assert [b.waitlist_position for b in queue] == list(range(1, len(queue) + 1))
        assert session.waitlist_seq == len(queue)
        if queue:
            assert seats == session.capacity
            last_seat = (
                Booking.objects.filter(session=session, status=Booking.BOOKED, mode=Booking.ONSITE)
                .order_by("-created_at")
                .first()
            )
            assert last_seat.created_at <= queue[0].created_at


def test_some_sessions_are_nearly_full_and_a_few_are_full_with_waitlists(event):
    full, nearly = [], []
    for session in Session.objects.filter(event=event):
        seats, _online, waiting = counts(session)
        if waiting:
            full.append(session)
        elif seats >= 0.9 * session.capacity:
            nearly.append(session)
    assert 2 <= len(full) <= 3
    assert len(nearly) >= 3
    assert (
        Booking.objects.filter(session__event=event, mode=Booking.ONLINE, status=Booking.BOOKED).count() > 500
    )


def test_the_demo_delegate_books_waits_and_speaks(event):
    delegate = Participant.objects.get(event=event, email="delegate@summit.example")
    mine = list(Booking.objects.filter(participant=delegate).select_related("session"))
    assert Counter(b.status for b in mine) == {Booking.BOOKED: 2, Booking.WAITLISTED: 1}
    waiting = next(b for b in mine if b.status == Booking.WAITLISTED)
    assert services.waitlist_rank(waiting) == waiting.waitlist_position > 1
    assert counts(waiting.session)[0] == waiting.session.capacity

    speaker = Speaker.objects.get(event=event, participant=delegate)
    assert speaker.name == "Lena Hoffmann" and not speaker.remote
    assert "Nordlicht" in speaker.bio_en and speaker.bio_zh
    speaking = {t.session for t in speaker.talks.select_related("session")}
    assert len(speaking) == 1
    talk_session = speaking.pop()
    assert not any(b.session.overlaps(talk_session) for b in mine)


def test_the_services_work_on_the_demo_bookings(event):
    """Cancel a seat of a full demo session: the first on its waitlist gets it, as with real bookings."""
    full = next(s for s in Session.objects.filter(event=event).order_by("pk") if counts(s)[2])
    first = Booking.objects.get(session=full, status=Booking.WAITLISTED, waitlist_position=1)
    newcomer = (
        Participant.objects.filter(event=event, status="approved", attendance_mode="onsite")
        .exclude(bookings__status__in=Booking.ACTIVE)
        .first()
    )
    with pytest.raises(services.SessionFull):
        services.book(session=full, participant=newcomer, mode="onsite", idempotency_key=uuid.uuid4().hex)
    joined = services.book(
        session=full,
        participant=newcomer,
        mode="onsite",
        join_waitlist=True,
        idempotency_key=uuid.uuid4().hex,
    ).booking
    assert joined.waitlist_position == full.waitlist_seq + 1

    seat = Booking.objects.filter(session=full, status=Booking.BOOKED, mode=Booking.ONSITE).first()
    mail.outbox.clear()
    services.cancel_booking(booking=seat, actor=None)
    first.refresh_from_db()
    assert first.status == Booking.BOOKED and first.waitlist_position is None
    assert counts(full)[0] == full.capacity
    assert [m.to for m in mail.outbox] == [[first.participant.email]]


def test_speakers_affiliations_and_the_venues_city_are_bilingual(event):
    remote = Speaker.objects.filter(event=event, participant__isnull=True)
    assert remote.exists() and not remote.filter(affiliation_zh="").exists()
    assert Speaker.objects.filter(event=event, participant__isnull=False).exclude(affiliation_zh="").exists()
    assert event.venue.city == "Wuzhen" and event.venue.city_zh == "乌镇"
