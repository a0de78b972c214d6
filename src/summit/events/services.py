"""Event lookups shared by every app."""

from __future__ import annotations

from summit.core.errors import NotFound
from summit.events.models import Event


def get_event(slug: str) -> Event:
    event = Event.objects.select_related("venue").filter(slug=slug).first()
    if event is None:
        raise NotFound()
    return event
