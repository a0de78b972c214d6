"""What registration tells the apps above it (``core/signals.py``). Every signal is sent inside the
transaction of the service that makes the change; receivers run in their ``order`` and may refuse the change
by raising.

Receivers, in the order they run:

- ``participant_status_changed``: 10 ``program.receivers.release_bookings`` (seats and waitlist spots go with
  an approval that ends);
- ``participant_mode_changed``: 10 ``program.receivers.release_seats`` (someone who goes online keeps online
  places only).
"""

from __future__ import annotations

from dataclasses import dataclass

from summit.core.signals import DomainSignal


@dataclass(frozen=True)
class StatusChange:
    participant: object  # the Participant, saved with its new status
    old: str
    new: str


participant_status_changed = DomainSignal(
    "participant_status_changed",
    arguments={
        "event": "the Event",
        "changes": "list of StatusChange (participant, old status, new status), one per person: the people "
        "decided on (in id order), then those promoted from a category's waitlist",
        "actor": "the user who made the change (None for the system)",
        "base_url": "site address for links in mails, or None for SUMMIT_SITE_URL",
    },
    doc="Registrations changed status: decided (approved, rejected, waitlisted), cancelled, or promoted from "
    "the category's waitlist. One decision on many people sends one signal with all of them.",
)

participant_mode_changed = DomainSignal(
    "participant_mode_changed",
    arguments={
        "event": "the Event",
        "participant": "the Participant, saved with its new attendance mode",
        "old": "the previous mode (onsite / online)",
        "new": "the new mode",
        "actor": "the user who made the change",
        "base_url": "site address for links in mails, or None",
    },
    doc="A participant switched between on-site and online attendance.",
)

participant_details_changed = DomainSignal(
    "participant_details_changed",
    arguments={
        "event": "the Event",
        "participant": "the Participant, saved",
        "changed": "{field: {'from': old, 'to': new}} of the fields that changed (names, organization...)",
        "actor": "the user who made the change",
    },
    doc="A participant's details (names, organization, position, country, language...) changed.",
)

participants_registered = DomainSignal(
    "participants_registered",
    arguments={
        "event": "the Event",
        "participants": "the new Participants, saved, with their initial status",
        "source": "'form' (a person registered, also through the API) or 'import' (a CSV delegation list)",
        "actor": "the user who registered or imported them (None for a person registering themselves)",
    },
    doc="People registered: one by one, or many at once when a list is imported (one signal per file).",
)
