"""Request and response shapes of the live room API (``live/room_api.py``).

Texts are not length-limited here: ``live.services`` refuses a text that is too long with a message that
says how long it is and what is allowed (``too_long`` on the field).
"""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema
from pydantic import ConfigDict

from summit.core.schemas import one_of
from summit.live.models import Poll, Question
from summit.live.services import MODERATION_ACTIONS


class QuestionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The question (at most 1,000 characters)")
    anonymous: bool = Field(False, description="Hide your name from the audience (moderators still see it)")


class ModerateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    action: one_of(list(MODERATION_ACTIONS)) = Field(description="What to do with the question")
    text: str | None = Field(None, description="The corrected text (action `edit`)")


class QuestionOut(Schema):
    id: int
    text: str
    anonymous: bool
    author: str | None = Field(description="Null for an anonymous question, except for moderators")
    author_id: int | None = Field(None, description="Moderators only")
    votes: int
    pinned: bool
    answered: bool
    status: one_of(Question.STATUS_CHOICES)
    created_at: datetime
    edited: bool
    voted: bool | None = Field(None, description="Whether the caller upvoted it")
    mine: bool | None = Field(None, description="Whether the caller asked it")


class ChatIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The message (at most 500 characters)")


class ChatOut(Schema):
    id: int
    text: str
    author: str
    created_at: datetime
    mine: bool | None = Field(None, description="Whether the caller wrote it (in the room's state)")


class ReportIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", description="Why the message should be removed (optional)")


class PollOptionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text_en: str
    text_zh: str = ""


class PollIn(Schema):
    model_config = ConfigDict(extra="forbid")

    question_en: str
    question_zh: str = ""
    multiple: bool = False
    options: list[PollOptionIn] = Field(description="2 to 10 answers")


class PollStatusIn(Schema):
    model_config = ConfigDict(extra="forbid")

    status: one_of([Poll.OPEN, Poll.CLOSED])


class AnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    options: list[int] = Field(description="The chosen answers' ids (one unless the poll allows several)")


class PollOptionOut(Schema):
    id: int
    text: str
    text_en: str
    text_zh: str
    votes: int


class PollOut(Schema):
    id: int
    question: str
    question_en: str
    question_zh: str
    multiple: bool
    status: one_of(Poll.STATUS_CHOICES)
    ballots: int
    options: list[PollOptionOut]
    answered: list[int] | None = Field(None, description="The caller's answers, once given")


class LiveRoomOut(Schema):
    session: int
    seq: dict[str, int] = Field(
        description="The last sequence number of each live topic when this state was read: a live connection"
        " that resumes from these misses nothing"
    )
    qa: bool
    qa_moderated: bool
    chat_enabled: bool
    can_take_part: bool
    can_moderate: bool
    questions: list[QuestionOut]
    chat: list[ChatOut]
    polls: list[PollOut]
