"""Booking rules: seats, online places, waitlist, conflicts, idempotency (program/services.py)."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail

from summit.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from summit.events.testing import make_event
from summit.program import services
from summit.program.models import Booking
from summit.program.testing import make_forum, make_session
from summit.registration.models import Participant
from summit.registration.testing import make_delegate

pytestmark = pytest.mark.django_db


@pytest.fixture
def forum(event):
    return make_forum(event)


def book(session, person, key=None, **kw):
    kw.setdefault("mode", "onsite")
    return services.book(
        session=session,
        participant=person,
        idempotency_key=key or f"key-{person.pk}-{session.pk}-{uuid.uuid4().hex[:8]}",
        **kw,
    )


def test_seats_fill_then_full_offers_waitlist_and_online(event, categories, forum):
    session = make_session(event, forum, capacity=2)
    a, b, c = (make_delegate(event, categories["company"]) for _ in range(3))
    assert book(session, a).booking.status == "booked"
    assert book(session, b).booking.status == "booked"
    with pytest.raises(services.SessionFull) as full:
        book(session, c)
    assert full.value.as_dict()["offers"] == ["waitlist", "online"]
    assert full.value.status == 409
    waiting = book(session, c, join_waitlist=True).booking
    assert waiting.status == "waitlisted"
    assert services.booking_dict(waiting)["waitlist_position"] == 1
    online = make_delegate(event, categories["company"])
    assert book(session, online, mode="online").booking.status == "booked"
    assert Booking.objects.filter(session=session, status="booked", mode="onsite").count() == 2


def test_cancel_promotes_first_on_waitlist_and_mails_them(event, categories, forum):
    session = make_session(event, forum, capacity=1)
    holder, first, second = (make_delegate(event, categories["company"]) for _ in range(3))
    seat = book(session, holder).booking
    book(session, first, join_waitlist=True)
    book(session, second, join_waitlist=True)
    mail.outbox.clear()
    services.cancel_booking(booking=seat, actor=holder.user)
    statuses = dict(Booking.objects.filter(session=session).values_list("participant_id", "status"))
    assert statuses == {holder.pk: "cancelled", first.pk: "booked", second.pk: "waitlisted"}
    assert [m.to for m in mail.outbox] == [[first.email]]
    assert session.title_en in mail.outbox[0].subject
    # The time names the event's zone as people say it, never its id.
    assert event.time_zone not in mail.outbox[0].body and "(UTC" in mail.outbox[0].body
    assert (
        services.booking_dict(Booking.objects.get(participant=second, session=session))["waitlist_position"]
        == 1
    )


def test_capacity_increase_promotes_and_decrease_below_booked_is_refused(event, categories, forum, organizer):
    session = make_session(event, forum, capacity=1)
    people = [make_delegate(event, categories["company"]) for _ in range(3)]
    book(session, people[0])
    book(session, people[1], join_waitlist=True)
    book(session, people[2], join_waitlist=True)
    services.save_session(event=event, session=session, data={"capacity": 2}, actor=organizer)
    assert Booking.objects.get(participant=people[1], session=session).status == "booked"
    with pytest.raises(Conflict) as refused:
        services.save_session(event=event, session=session, data={"capacity": 1}, actor=organizer)
    assert refused.value.code == "capacity_below_booked"
    assert "2 seats are booked" in refused.value.detail
    session.refresh_from_db()
    assert session.capacity == 2


def test_overlap_is_refused_naming_the_other_session_and_switch_is_atomic(event, categories, forum):
    morning = make_session(event, forum, title_en="Opening panel", capacity=5)
    clash = make_session(event, forum, start=event.start + timedelta(minutes=30), capacity=1)
    person, other = make_delegate(event, categories["company"]), make_delegate(event, categories["company"])
    held = book(morning, person).booking
    with pytest.raises(services.TimeConflict) as conflict:
        book(clash, person)
    assert "Opening panel" in conflict.value.detail
    assert conflict.value.as_dict()["conflicting_session"] == morning.pk
    # The other session is full: the switch fails and the first booking stays (never neither).
    book(clash, other)
    with pytest.raises(services.SessionFull):
        book(clash, person, replace=held)
    # Nor may the seat be traded for a waitlist spot: that would leave the person with no place at all.
    with pytest.raises(services.SwitchToFull) as to_waitlist:
        book(clash, person, replace=held, join_waitlist=True)
    assert "Opening panel" in to_waitlist.value.detail
    assert Booking.objects.get(pk=held.pk).status == "booked"
    assert not Booking.objects.filter(session=clash, participant=person).exists()
    # A seat frees up: now the switch goes through (never both).
    services.cancel_booking(booking=Booking.objects.get(participant=other, session=clash), actor=None)
    outcome = book(clash, person, replace=held, key="switch-key-2")
    assert outcome.booking.status == "booked"
    assert Booking.objects.get(pk=held.pk).status == "cancelled"


def test_same_idempotency_key_gives_one_booking(event, categories, forum):
    session = make_session(event, forum)
    person = make_delegate(event, categories["company"])
    first = book(session, person, key="same-key-123")
    again = book(session, person, key="same-key-123")
    assert again.replayed and again.booking.pk == first.booking.pk
    assert Booking.objects.filter(participant=person).count() == 1
    with pytest.raises(Conflict) as reused:
        book(make_session(event, forum, start=event.start + timedelta(days=1)), person, key="same-key-123")
    assert reused.value.code == "idempotency_key_reused"


@pytest.mark.parametrize("key", ["", "short", "has space in it", "x" * 101, None, 12345678])
def test_malformed_idempotency_key_is_refused(event, categories, forum, key):
    session = make_session(event, forum)
    with pytest.raises(ValidationFailed) as bad:
        services.book(
            session=session,
            participant=make_delegate(event, categories["company"]),
            mode="onsite",
            idempotency_key=key,
        )
    assert bad.value.field == "idempotency_key"
    assert not Booking.objects.exists()


def test_bad_bookings_are_refused_with_their_reason(event, categories, forum, other_event):
    session = make_session(event, forum)
    person = make_delegate(event, categories["company"])
    stranger_session = make_session(other_event)
    with pytest.raises(NotFound):
        book(stranger_session, person)
    pending = make_delegate(event, categories["company"], status=Participant.SUBMITTED)
    with pytest.raises(Forbidden) as not_approved:
        book(session, pending)
    assert not_approved.value.code == "not_approved"
    online = make_delegate(event, categories["company"], attendance_mode=Participant.ONLINE)
    with pytest.raises(Conflict) as online_only:
        book(session, online)
    assert online_only.value.code == "online_only"
    assert book(session, online, mode="online").booking.status == "booked"
    book(session, person)
    with pytest.raises(Conflict) as twice:
        book(session, person, key="another-key-1")
    assert twice.value.code == "already_booked"
    services.cancel_session(session=session, actor=None)
    with pytest.raises(Conflict) as cancelled:
        book(session, make_delegate(event, categories["company"]))
    assert cancelled.value.code == "session_cancelled"
    with pytest.raises(ValidationFailed):
        book(make_session(event, forum, start=event.start + timedelta(days=2)), person, mode="balcony")


def test_session_validation(event, forum, organizer):
    start = event.start
    with pytest.raises(ValidationFailed) as backwards:
        services.save_session(
            event=event,
            data={"forum": forum, "title_en": "X", "start": start, "end": start - timedelta(hours=1)},
            actor=organizer,
        )
    assert backwards.value.field == "end"
    with pytest.raises(ValidationFailed) as negative:
        services.save_session(
            event=event,
            data={
                "forum": forum,
                "title_en": "X",
                "start": start,
                "end": start + timedelta(hours=1),
                "capacity": -1,
            },
            actor=organizer,
        )
    assert negative.value.field == "capacity"
    other_forum = make_forum(make_event("elsewhere"))
    with pytest.raises(ValidationFailed) as foreign:
        services.save_session(
            event=event,
            data={"forum": other_forum, "title_en": "X", "start": start, "end": start + timedelta(hours=1)},
            actor=organizer,
        )
    assert foreign.value.field == "forum"


def test_cancelling_a_registration_frees_seats_and_going_online_turns_seats_into_online_places(
    event, categories, forum
):
    from summit.registration import services as registration

    a_session = make_session(event, forum, capacity=1)
    b_session = make_session(event, forum, capacity=1, start=event.start + timedelta(days=1))
    leaver, switcher, waiting = (make_delegate(event, categories["company"]) for _ in range(3))
    book(a_session, leaver)
    book(b_session, switcher)
    book(a_session, waiting, join_waitlist=True)
    book(b_session, waiting, join_waitlist=True)
    registration.cancel(participant=leaver, actor=leaver.user)
    assert Booking.objects.get(session=a_session, participant=waiting).status == "booked"
    registration.switch_mode(participant=switcher, mode="online", actor=switcher.user)
    mine = Booking.objects.get(session=b_session, participant=switcher)
    assert (mine.status, mine.mode) == ("booked", "online")
    assert Booking.objects.get(session=b_session, participant=waiting).status == "booked"


def test_agenda_feed_can_be_renewed_and_old_url_stops_working(event, categories):
    person = make_delegate(event, categories["company"])
    feed = services.agenda_feed(participant=person)
    assert services.agenda_feed(participant=person).token == feed.token
    assert services.participant_for_feed(feed.token) == person
    new = services.renew_agenda_feed(participant=person, actor=person.user)
    with pytest.raises(NotFound) as revoked:
        services.participant_for_feed(feed.token)
    assert revoked.value.code == "feed_revoked"
    assert services.participant_for_feed(new.token) == person
