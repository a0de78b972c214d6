"""Downloads of the program in standard formats (see :mod:`summit.program.exports`).

Public: ``schedule.xml``, ``schedule.json`` and ``schedule.ics`` of the whole program. Private: one
participant's agenda feed, whose URL is the secret (a revoked or unknown one answers a plain 404, which
calendar apps understand). Organizers only (404 for everyone else): the session list and the bookings of a
session as CSV or XLSX.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from summit.core.errors import NotFound
from summit.core.http import base_url
from summit.core.tables import csv_response, xlsx_response
from summit.events import roles
from summit.events.services import get_event
from summit.program import exports, services

PUBLIC_CACHE = "public, max-age=300"


# --- public program -----------------------------------------------------------------------------------------


@require_safe
def schedule_xml(request, slug):
    event = get_event(slug)
    response = HttpResponse(
        exports.schedule_xml(event, base_url=base_url(request)), content_type="application/xml; charset=utf-8"
    )
    response["Cache-Control"] = PUBLIC_CACHE
    return response


@require_safe
def schedule_json(request, slug):
    event = get_event(slug)
    data = exports.schedule_json(event, base_url=base_url(request))
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"),
        content_type="application/json",
    )
    response["Cache-Control"] = PUBLIC_CACHE
    return response


@require_safe
def schedule_ics(request, slug):
    event = get_event(slug)
    response = HttpResponse(
        exports.program_ical(event, base_url=base_url(request)), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{event.slug}.ics"'
    response["Cache-Control"] = PUBLIC_CACHE
    return response


# --- private agenda feed ------------------------------------------------------------------------------------


def _plain_not_found(error: NotFound) -> HttpResponse:
    response = HttpResponse(error.detail, status=404, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def agenda_ics(request, slug, token):
    """A participant's agenda, in their own language. Calendar apps fetch it without a session or cookie."""
    try:
        event = get_event(slug)
        participant = services.participant_for_feed(token)
        if participant.event_id != event.pk:
            raise NotFound(_("This calendar feed does not exist or has been revoked."), code="feed_revoked")
    except NotFound as error:
        return _plain_not_found(error)
    with translation.override(participant.language or None):
        body = exports.agenda_ical(participant, base_url=base_url(request))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{event.slug}-agenda.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- organizer downloads ------------------------------------------------------------------------------------


def _stamp(event) -> str:
    return timezone.localtime(timezone.now(), event.tz).strftime("%Y%m%d-%H%M")


@require_safe
def sessions_csv(request, slug):
    event = roles.organizer_event(request, slug)
    return csv_response(exports.sessions_csv(event), f"{event.slug}-sessions-{_stamp(event)}.csv")


@require_safe
def sessions_xlsx(request, slug):
    event = roles.organizer_event(request, slug)
    return xlsx_response(exports.sessions_xlsx(event), f"{event.slug}-sessions-{_stamp(event)}.xlsx")


def _session(request, slug, pk):
    event = roles.organizer_event(request, slug)
    return event, services.get_session(event, pk)


def _include_cancelled(request) -> bool:
    return request.GET.get("cancelled") == "1"


@require_safe
def bookings_csv(request, slug, pk):
    event, session = _session(request, slug, pk)
    return csv_response(
        exports.bookings_csv(session, include_cancelled=_include_cancelled(request)),
        f"{event.slug}-session-{session.pk}-bookings-{_stamp(event)}.csv",
    )


@require_safe
def bookings_xlsx(request, slug, pk):
    event, session = _session(request, slug, pk)
    return xlsx_response(
        exports.bookings_xlsx(session, include_cancelled=_include_cancelled(request)),
        f"{event.slug}-session-{session.pk}-bookings-{_stamp(event)}.xlsx",
    )
