"""Sessions opened by a sign-in link are scoped to the events whose links were used.

A link signs its participant in (``registration.views.magic``), and the session remembers the slug of the
link's event (:func:`remember_link_event`). On the pages of any other event (``/events/<slug>/…``) such a
session is anonymous, so a link for event A never opens event B's registration, agenda or tokens; on back
offices, the admin and job pages it is always anonymous. A password sign-in (staff) is not scoped. Links
never sign in staff or accounts with a password (``accounts.services.link_allowed``).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from summit.core.signin_views import LINK_EVENTS


def remember_link_event(request, event) -> None:
    """Call right after ``login()`` for a link: this session may act on ``event``'s pages only (and on the
    events of links used before in the same session by the same person)."""
    events = list(request.session.get(LINK_EVENTS) or [])
    if event.slug not in events:
        events.append(event.slug)
    request.session[LINK_EVENTS] = events


def link_scope_allows(request, slug: str) -> bool:
    events = request.session.get(LINK_EVENTS)
    return events is None or slug in events


def anonymous_on_event(request, slug: str) -> bool:
    """Whether the request's session counts as anonymous on event ``slug``: a link session of other events.
    The pages ask it here (the middleware), the live transport for its sockets (``live/transport.py``)."""
    return request.session.get(LINK_EVENTS) is not None and not link_scope_allows(request, slug)


def _staff_area(parts: list[str]) -> bool:
    """Back offices, the admin and background job pages."""
    if len(parts) > 3 and parts[1] == "events" and parts[3] == "manage":
        return True
    return len(parts) > 1 and parts[1] in {"admin", "jobs"}


class LinkSessionMiddleware:
    """After the authentication middleware: a link session is anonymous outside its events' pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(LINK_EVENTS) is not None:
            parts = request.path_info.split("/")
            if len(parts) > 2 and parts[1] == "events" and anonymous_on_event(request, parts[2]):
                request.user = AnonymousUser()
            elif _staff_area(parts):
                # Even if the account got a staff role after signing in by link: staff sign in with a
                # password.
                request.user = AnonymousUser()
        return self.get_response(request)
