"""Factories for live rooms (see ``core.testing``)."""

from __future__ import annotations

from summit.events.models import Event


def make_room(event: Event, *, session=None, **stage):
    """A session (new unless given) with its ``Stage`` set to ``stage`` (access, qa_moderated, chat…)."""
    from summit.live.models import Stage
    from summit.program.testing import make_session

    session = session or make_session(event)
    Stage.objects.update_or_create(session=session, defaults=stage)
    return session


def viewer_of(session, participant=None, *, user=None):
    """The ``Viewer`` that ``participant`` (or ``user``; nobody: an anonymous visitor) is in ``session``."""
    from summit.live import access
    from summit.program.models import Session

    session = Session.objects.select_related("event", "forum").get(pk=session.pk)
    if participant is not None:
        user = participant.user
    return access.viewer(session, user, participant)
