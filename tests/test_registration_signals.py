"""Registration tells the apps above it through domain signals (registration/signals.py), inside its
transaction: a receiver that refuses rolls the whole change back."""

from __future__ import annotations

import pytest
from django.core import mail

from summit.core.errors import Conflict
from summit.core.models import AuditEntry
from summit.program import services as program
from summit.program.models import Booking
from summit.program.testing import make_session
from summit.registration import services
from summit.registration.models import Participant
from summit.registration.signals import (
    participant_details_changed,
    participant_mode_changed,
    participant_status_changed,
    participants_registered,
)
from summit.registration.testing import make_delegate, person_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def refusing():
    """Connect a receiver that refuses every change, as an app above might (a badge already printed...)."""
    connected = []

    def connect(signal):
        def refuse(**kwargs):
            raise Conflict("Refused by a module above registration.", code="refused")

        signal.connect(refuse, order=99)
        connected.append((signal, refuse))

    yield connect
    for signal, receiver in connected:
        signal.disconnect(receiver)


@pytest.fixture
def seated(event, categories):
    person = make_delegate(event, categories["company"])
    session = make_session(event, capacity=5)
    program.book(session=session, participant=person, mode="onsite", idempotency_key="signal-seat-1")
    mail.outbox.clear()
    return person


def test_a_refusing_receiver_rolls_a_decision_back(event, seated, organizer, refusing):
    refusing(participant_status_changed)
    with pytest.raises(Conflict) as exc:
        services.decide(participant=seated, status="rejected", actor=organizer, reason="no")
    assert exc.value.code == "refused"
    seated.refresh_from_db()
    assert seated.status == Participant.APPROVED  # nothing committed: not the decision...
    assert (
        Booking.objects.filter(participant=seated, status=Booking.BOOKED).count() == 1
    )  # ...nor the release
    assert not AuditEntry.objects.filter(action="participant.rejected").exists()
    assert mail.outbox == []


def test_a_refusing_receiver_rolls_a_cancellation_and_a_mode_switch_back(event, seated, refusing):
    refusing(participant_mode_changed)
    with pytest.raises(Conflict):
        services.switch_mode(participant=seated, mode="online", actor=seated.user)
    seated.refresh_from_db()
    assert seated.attendance_mode == Participant.ONSITE
    assert Booking.objects.get(participant=seated).mode == Booking.ONSITE

    refusing(participant_status_changed)
    with pytest.raises(Conflict):
        services.cancel(participant=seated, actor=seated.user)
    seated.refresh_from_db()
    assert seated.status == Participant.APPROVED


def test_a_refusing_receiver_rolls_a_registration_and_an_edit_back(event, categories, seated, refusing):
    refusing(participants_registered)
    with pytest.raises(Conflict):
        services.register(
            event=event, data=person_data(email="new@example.org"), category=categories["company"]
        )
    assert not Participant.objects.filter(email="new@example.org").exists()
    assert mail.outbox == []

    refusing(participant_details_changed)
    with pytest.raises(Conflict):
        services.update_participant(
            participant=seated, data={"position": "Chief", "organization_name": "Acme"}, actor=seated.user
        )
    seated.refresh_from_db()
    assert seated.position != "Chief"


def test_one_decision_on_many_people_sends_one_signal_with_all_of_them(event, categories, organizer):
    people = [make_delegate(event, categories["company"]) for _ in range(3)]
    seen = []

    def receiver(*, event, changes, actor, base_url):
        seen.append([(c.participant.pk, c.old, c.new) for c in changes])

    participant_status_changed.connect(receiver, order=98)
    try:
        outcome = services.decide_many(
            event=event, participant_ids=[p.pk for p in people], status="rejected", actor=organizer
        )
    finally:
        participant_status_changed.disconnect(receiver)
    assert seen == [[(p.pk, "approved", "rejected") for p in sorted(people, key=lambda p: p.pk)]]
    assert {p.pk for p in outcome.changed} == {p.pk for p in people}
    receivers = [name for name, _result in outcome.reactions]
    assert receivers[0] == "summit.program.receivers.release_bookings"  # the program reacts first (order 10)


def test_the_import_sends_one_signal_for_the_whole_file(event, categories, organizer):
    from summit.registration.imports import import_participants

    seen = []

    def receiver(*, event, participants, source, actor):
        seen.append((source, len(participants)))

    participants_registered.connect(receiver, order=98)
    try:
        data = "email,given_name,family_name,country,category,organization\n" + "".join(
            f"p{i}@example.org,Anna,Schmidt,DE,company,Acme\n" for i in range(5)
        )
        import_participants(event=event, data=data.encode(), actor=organizer)
    finally:
        participants_registered.disconnect(receiver)
    assert seen == [("import", 5)]


def test_a_seat_freed_by_a_batch_never_goes_to_someone_leaving_in_the_same_batch(
    event, categories, organizer
):
    """A holds the only seat; B and C wait. Rejecting A and B at once gives the seat to C, and B is told
    nothing about a seat."""
    session = make_session(event, capacity=1)
    a, b, c = (make_delegate(event, categories["company"]) for _ in range(3))
    program.book(session=session, participant=a, mode="onsite", idempotency_key="batch-seat-a")
    for person, key in ((b, "batch-wait-b"), (c, "batch-wait-c")):
        program.book(
            session=session, participant=person, mode="onsite", join_waitlist=True, idempotency_key=key
        )
    mail.outbox.clear()

    services.decide_many(
        event=event, participant_ids=[a.pk, b.pk], status="rejected", actor=organizer, notify=False
    )

    assert Booking.objects.get(participant=c, session=session).status == Booking.BOOKED
    assert set(Booking.objects.filter(participant__in=[a, b]).values_list("status", flat=True)) == {
        "cancelled"
    }
    assert [m.to for m in mail.outbox] == [[c.email]]  # only C hears of a seat
