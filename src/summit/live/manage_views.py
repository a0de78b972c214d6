"""The organizers' live rooms page: every session's live settings at a glance, live figures, the exports
of each room's questions and poll results, and the attendance report (one row per visit,
``live.attendance.event_attendance``), as CSV or XLSX. Anyone else gets 404."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from summit.core.tables import csv_response, xlsx_response
from summit.events import roles
from summit.live import attendance, exports
from summit.live.models import Question, Stage
from summit.program.models import Session


@require_safe
def overview(request, slug):
    event = roles.organizer_event(request, slug)
    sessions = (
        Session.objects.filter(event=event)
        .select_related("forum", "stage")
        .annotate(
            question_count=Count("questions", filter=~Q(questions__status=Question.HIDDEN), distinct=True),
            waiting=Count("questions", filter=Q(questions__status=Question.PENDING), distinct=True),
            poll_count=Count("polls", distinct=True),
            chat_count=Count("chat_messages", filter=Q(chat_messages__deleted_at=None), distinct=True),
        )
        .order_by("start", "forum__order", "pk")
    )
    rows = []
    for session in sessions:
        try:
            stage = session.stage
        except Stage.DoesNotExist:
            stage = Stage(session=session)
        rows.append({"session": session, "stage": stage, "watching": attendance.viewer_count(session.pk)})
    return render(
        request,
        "live/manage/overview.html",
        {"event": event, "section": "live", "is_organizer": True, "rows": rows},
    )


def _filename(event, what: str, fmt: str) -> str:
    stamp = timezone.localtime(timezone.now(), event.tz).strftime("%Y%m%d-%H%M")
    return f"{event.slug}-{what}-{stamp}.{fmt}"


@require_safe
def export(request, slug, pk, kind, fmt):
    event = roles.organizer_event(request, slug)
    session = Session.objects.filter(event=event, pk=pk).first()
    if session is None or kind not in exports.TABLES:
        raise Http404
    filename = _filename(event, f"session-{session.pk}-{kind}", fmt)
    if fmt == "csv":
        return csv_response(exports.as_csv(kind, session), filename)
    return xlsx_response(exports.as_xlsx(kind, session), filename)


@require_safe
def attendance_csv(request, slug):
    event = roles.organizer_event(request, slug)
    return csv_response(attendance.attendance_csv(event), _filename(event, "live-attendance", "csv"))


@require_safe
def attendance_xlsx(request, slug):
    event = roles.organizer_event(request, slug)
    return xlsx_response(attendance.attendance_xlsx(event), _filename(event, "live-attendance", "xlsx"))
