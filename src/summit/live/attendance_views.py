"""The organizers' downloads of live-room attendance: ``/events/<slug>/manage/live/attendance.csv`` and
``.xlsx`` (one row per visit, ``live.attendance.event_attendance``). Anyone else gets 404."""

from __future__ import annotations

from django.utils import timezone
from django.views.decorators.http import require_safe

from summit.events import roles
from summit.events.services import get_event
from summit.live import attendance
from summit.program.export_views import csv_response, xlsx_response


def _organizer_event(request, slug):
    event = get_event(slug)
    roles.require(roles.is_organizer(request.user, event))
    return event


def _filename(event, ext: str) -> str:
    stamp = timezone.localtime(timezone.now(), event.tz).strftime("%Y%m%d-%H%M")
    return f"{event.slug}-live-attendance-{stamp}.{ext}"


@require_safe
def attendance_csv(request, slug):
    event = _organizer_event(request, slug)
    return csv_response(attendance.attendance_csv(event), _filename(event, "csv"))


@require_safe
def attendance_xlsx(request, slug):
    event = _organizer_event(request, slug)
    return xlsx_response(attendance.attendance_xlsx(event), _filename(event, "xlsx"))
