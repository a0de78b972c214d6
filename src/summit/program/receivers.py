"""How the program reacts to registration changes (domain signals, ``core/signals.py``).

Connected in ``ProgramConfig.ready()``; each runs inside the registration change's transaction, which holds the
people's locks, and returns what it did (``services.Release``).
"""

from __future__ import annotations

from summit.program import services
from summit.registration.models import Participant
from summit.registration.signals import participant_mode_changed, participant_status_changed


@participant_status_changed.connect(order=10)
def release_bookings(*, event, changes, actor, base_url):
    """Seats, online places and waitlist spots go with an approval that ends (only approved people book)."""
    leaving = [
        c.participant for c in changes if c.old == Participant.APPROVED and c.new != Participant.APPROVED
    ]
    if leaving:
        return services.release(participants=leaving, actor=actor, base_url=base_url)
    return services.Release()


@participant_mode_changed.connect(order=10)
def release_seats(*, event, participant, old, new, actor, base_url):
    """Someone who now attends online keeps online places only: seats become online places where the session
    offers them without a limit, and are given up (with waitlist spots) everywhere else."""
    if new == Participant.ONLINE:
        return services.release(participants=[participant], actor=actor, online_only=True, base_url=base_url)
    return services.Release()
