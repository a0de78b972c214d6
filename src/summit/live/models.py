"""Live rooms: what a session streams or broadcasts, who watched, and its questions, chat and polls.

Every session can have one ``Stage`` (created on first use): its stream (an HLS URL, an embed URL of a
streaming platform, or a pre-recorded video broadcast at a scheduled instant), who may watch, and whether
its Q&A, chat and polls are on. Live messages go through ``core.live`` on the topics ``session:<id>``
(everyone who may watch) and ``session:<id>:mod`` (the session's moderators: questions waiting for
approval, authors of anonymous questions, chat reports).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from summit.core.i18n import BilingualMixin
from summit.core.text import CleanTextMixin
from summit.program.models import Session
from summit.registration.models import Participant

QUESTION_MAX = 1000
CHAT_MAX = 500


class Stage(models.Model):
    """The live side of one session."""

    PUBLIC = "public"
    APPROVED = "approved"
    BOOKED = "booked"
    ACCESS_CHOICES = [
        (PUBLIC, _("Anyone, without signing in")),
        (APPROVED, _("Any approved participant")),
        (BOOKED, _("Only people who booked the session")),
    ]

    NONE = "none"
    HLS = "hls"
    EMBED = "embed"
    BROADCAST = "broadcast"
    STREAM_CHOICES = [
        (NONE, _("No stream")),
        (HLS, _("HLS stream")),
        (EMBED, _("Streaming platform (embed)")),
        (BROADCAST, _("Pre-recorded video, broadcast at a set time")),
    ]

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="stage")
    access = models.CharField(_("who may watch"), max_length=10, choices=ACCESS_CHOICES, default=APPROVED)
    stream_kind = models.CharField(_("stream"), max_length=10, choices=STREAM_CHOICES, default=NONE)
    stream_url = models.URLField(_("HLS address (.m3u8)"), max_length=500, blank=True)
    embed_url = models.URLField(_("embed address"), max_length=500, blank=True)
    # A pre-recorded video: given by address (HLS or MP4), or uploaded and packaged to HLS by a job.
    video_url = models.URLField(_("video address"), max_length=500, blank=True)
    video_file = models.CharField(
        max_length=200, blank=True, editable=False
    )  # uploaded source, private storage
    video_hls = models.CharField(
        max_length=200, blank=True, editable=False
    )  # packaged master playlist (media)
    video_seconds = models.FloatField(null=True, blank=True, editable=False)
    package_job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    broadcast_start = models.DateTimeField(_("broadcast starts"), null=True, blank=True)
    replay = models.BooleanField(_("replay after the broadcast"), default=False)
    qa = models.BooleanField(_("questions"), default=True)
    qa_moderated = models.BooleanField(_("questions wait for a moderator"), default=False)
    chat = models.BooleanField(_("chat"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"stage of session {self.session_id}"


class Attendance(models.Model):
    """One online visit: a participant's connection to a session's live room, from join to leave."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="attendances")
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    # Refreshed by the serving process while the connection is open (live/attendance.py): a visit whose
    # process died is closed at its last sign of life.
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]
        indexes = [models.Index(fields=["session", "participant"])]

    def __str__(self) -> str:
        return f"{self.participant_id} in {self.session_id}"


class Question(CleanTextMixin, models.Model):
    """A question to a session's speakers. ``anonymous`` hides the author from the audience, never from
    the moderators."""

    MULTILINE_TEXT_FIELDS = ("text",)

    PENDING = "pending"
    VISIBLE = "visible"
    HIDDEN = "hidden"
    STATUS_CHOICES = [(PENDING, _("Waiting for a moderator")), (VISIBLE, _("Visible")), (HIDDEN, _("Hidden"))]

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField(_("question"), max_length=QUESTION_MAX)
    anonymous = models.BooleanField(_("ask anonymously"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES, default=VISIBLE)
    pinned = models.BooleanField(_("pinned"), default=False)
    answered = models.BooleanField(_("answered"), default=False)
    votes = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pinned", "answered", "-votes", "created_at", "id"]
        indexes = [models.Index(fields=["session", "status"])]

    def __str__(self) -> str:
        return self.text[:60]


class QuestionVote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="upvotes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="question_votes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "participant"], name="one_vote_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} ↑ {self.question_id}"


class ChatMessage(CleanTextMixin, models.Model):
    MULTILINE_TEXT_FIELDS = ("text",)

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="chat_messages")
    author = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="chat_messages")
    text = models.TextField(_("message"), max_length=CHAT_MAX)
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "created_at"])]

    def __str__(self) -> str:
        return self.text[:60]


class ChatReport(CleanTextMixin, models.Model):
    TEXT_FIELDS = ("reason",)

    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="chat_reports")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="one_report_per_message")]

    def __str__(self) -> str:
        return f"{self.reporter_id} reports {self.message_id}"


class Poll(CleanTextMixin, BilingualMixin, models.Model):
    TEXT_FIELDS = ("question_en", "question_zh")

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    STATUS_CHOICES = [(DRAFT, _("Not opened yet")), (OPEN, _("Open")), (CLOSED, _("Closed"))]

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="polls")
    question_en = models.CharField(_("question (English)"), max_length=300)
    question_zh = models.CharField(_("question (Chinese)"), max_length=300, blank=True)
    multiple = models.BooleanField(_("several answers allowed"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES, default=DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.question_en


class PollOption(CleanTextMixin, BilingualMixin, models.Model):
    TEXT_FIELDS = ("text_en", "text_zh")

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    order = models.PositiveSmallIntegerField(default=0)
    text_en = models.CharField(_("answer (English)"), max_length=200)
    text_zh = models.CharField(_("answer (Chinese)"), max_length=200, blank=True)
    votes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["poll", "order", "id"]

    def __str__(self) -> str:
        return self.text_en


class PollBallot(models.Model):
    """One person's answer to a poll (one ballot per person; several options when the poll allows)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="poll_ballots")
    options = models.ManyToManyField(PollOption, related_name="ballots")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "participant"], name="one_ballot_per_poll")]

    def __str__(self) -> str:
        return f"{self.participant_id} answers {self.poll_id}"
