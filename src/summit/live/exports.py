"""The organizers' exports of a live room: every question (with the authors of anonymous ones) and every
poll's results, as CSV or XLSX through ``core.tables``. Times are in the event's time zone."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from summit.core.tables import csv_chunks, xlsx_bytes
from summit.live.models import Poll, Question
from summit.program.models import Session


def question_table(session: Session) -> tuple[list[str], Iterator[list]]:
    tz = ZoneInfo(session.event.time_zone)
    header = [
        _("Asked at"),
        _("Name"),
        _("Name (Latin letters)"),
        _("E-mail"),
        _("Anonymous to the audience"),
        _("Status"),
        _("Upvotes"),
        _("Pinned"),
        _("Answered"),
        _("Question"),
    ]
    questions = Question.objects.filter(session=session).select_related("author").order_by("created_at", "id")

    def rows() -> Iterator[list]:
        for q in questions:
            yield [
                timezone.localtime(q.created_at, tz),
                q.author.native_name,
                q.author.latin_name,
                q.author.email,
                _("yes") if q.anonymous else _("no"),
                q.get_status_display(),
                q.votes,
                _("yes") if q.pinned else _("no"),
                _("yes") if q.answered else _("no"),
                q.text,
            ]

    return header, rows()


def poll_table(session: Session) -> tuple[list[str], Iterator[list]]:
    header = [
        _("Poll"),
        _("Question (English)"),
        _("Question (Chinese)"),
        _("Status"),
        _("Answer (English)"),
        _("Answer (Chinese)"),
        _("Votes"),
        _("People who answered"),
    ]
    polls = Poll.objects.filter(session=session).prefetch_related("options")

    def rows() -> Iterator[list]:
        for number, poll in enumerate(polls, start=1):
            ballots = poll.ballots.count()
            for option in poll.options.all():
                yield [
                    number,
                    poll.question_en,
                    poll.question_zh,
                    poll.get_status_display(),
                    option.text_en,
                    option.text_zh,
                    option.votes,
                    ballots,
                ]

    return header, rows()


TABLES = {"questions": question_table, "polls": poll_table}


def as_csv(kind: str, session: Session) -> Iterator[str]:
    return csv_chunks(*TABLES[kind](session))


def as_xlsx(kind: str, session: Session) -> bytes:
    return xlsx_bytes(*TABLES[kind](session), title=_("Questions") if kind == "questions" else _("Polls"))
