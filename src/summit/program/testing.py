"""Factories for the program: forums and sessions (see ``core.testing``)."""

from __future__ import annotations

from summit.core.testing import seq
from summit.events.models import Event


def make_forum(event: Event, slug: str | None = None, **extra):
    from summit.program.models import Forum

    n = next(seq)
    defaults = dict(title_en=f"Forum {n}", title_zh=f"分论坛 {n}", topic="governance", order=n)
    defaults.update(extra)
    return Forum.objects.create(event=event, slug=slug or f"forum-{n}", **defaults)


def make_session(event: Event, forum=None, *, start=None, minutes: int = 90, **extra):
    """A session on the event's first day (09:00 local unless ``start`` is given)."""
    from datetime import timedelta

    from summit.program.models import Session

    forum = forum or make_forum(event)
    start = start or event.start
    n = next(seq)
    defaults = dict(
        title_en=f"Session {n}", title_zh=f"会议 {n}", capacity=10, online=True, languages=["en", "zh"]
    )
    defaults.update(extra)
    return Session.objects.create(
        event=event, forum=forum, start=start, end=start + timedelta(minutes=minutes), **defaults
    )
