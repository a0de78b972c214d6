"""Event lookups shared by every app, and the event's own settings."""

from __future__ import annotations

from summit.core import audit
from summit.core.errors import NotFound
from summit.core.locking import write_transaction
from summit.events.models import Event


def get_event(slug: str) -> Event:
    event = Event.objects.select_related("venue").filter(slug=slug).first()
    if event is None:
        raise NotFound()
    return event


def set_staff_two_factor(*, event: Event, required: bool, actor) -> Event:
    """Whether the event's staff must use a second factor for its back office (events/middleware.py)."""
    with write_transaction():
        if event.staff_two_factor != bool(required):
            event.staff_two_factor = bool(required)
            event.save(update_fields=["staff_two_factor"])
            audit.record(
                actor=actor,
                action="event.staff_two_factor",
                obj=event,
                event=event,
                data={"required": required},
            )
    return event
