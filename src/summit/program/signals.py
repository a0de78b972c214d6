"""What the program tells the apps above it (``core/signals.py``); sent inside the service's transaction."""

from __future__ import annotations

from summit.core.signals import DomainSignal

session_cancelled = DomainSignal(
    "session_cancelled",
    arguments={
        "event": "the Event",
        "session": "the Session, saved as cancelled",
        "released": "the Bookings (seats, online places, waitlist spots) the cancellation ended",
        "actor": "the organizer who cancelled it",
        "reason": "the reason given (may be empty)",
    },
    doc="A whole session was cancelled; every booking of it ended.",
)
