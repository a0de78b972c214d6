"""Every rule of a live room's Q&A, chat and polls (the service-layer rule: one function per change).

Each function takes the :class:`~summit.live.access.Viewer` acting (built by the page, the API or a test),
checks what that viewer may do, changes the rows in one transaction and publishes what changed on the
session's topics after the commit (``core.live.publish_after_commit``):

- ``session:<id>``: what everyone who may watch sees (visible questions, chat, polls and their results);
- ``session:<id>:mod``: what only moderators see (questions waiting for approval, the authors of anonymous
  questions, chat reports).

A payload is ``{"kind": …, …}``; the shapes are the functions ``question_data``, ``chat_data`` and
``poll_data`` below, which the page's first state (``room_state``) and the REST API use too, so a client
applies a live message exactly as it renders the first state.

Who may do what (``live/access.py``): a session one may not watch is "not found" (nothing leaks); watching
without taking part (an anonymous viewer of a public room, an unapproved participant) is "forbidden";
moderator actions by anyone else are "forbidden". Repetition is rate-limited per person
(``RATE_LIMITS["chat"]``, ``["question"]``, ``["report"]``).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from summit.core import audit, ratelimit
from summit.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, as_id
from summit.core.live import get_hub, publish_after_commit
from summit.core.locking import write_transaction
from summit.core.text import clean_text
from summit.live.access import Viewer, stage_of
from summit.live.models import (
    CHAT_MAX,
    QUESTION_MAX,
    ChatMessage,
    ChatReport,
    Poll,
    PollBallot,
    PollOption,
    Question,
    QuestionVote,
)

CHAT_HISTORY = 200  # chat messages a page starts with
POLL_OPTIONS_MAX = 10
REPORT_REASON_MAX = 200

MODERATION_ACTIONS = {
    "approve": gettext_lazy("Approve"),
    "hide": gettext_lazy("Hide"),
    "pin": gettext_lazy("Pin"),
    "unpin": gettext_lazy("Unpin"),
    "answered": gettext_lazy("Mark answered"),
    "unanswered": gettext_lazy("Mark not answered"),
    "edit": gettext_lazy("Correct the text"),
}


def topic(session_id: int) -> str:
    return f"session:{session_id}"


def mod_topic(session_id: int) -> str:
    return f"session:{session_id}:mod"


# --- what clients see ---------------------------------------------------------------------------------------


def _author_name(participant) -> str:
    return participant.display_name


def question_data(question: Question, *, moderator: bool = False) -> dict:
    """A question as the audience sees it (the author only when not anonymous); ``moderator`` adds the
    author of an anonymous question and the moderation state."""
    data = {
        "id": question.pk,
        "text": question.text,
        "anonymous": question.anonymous,
        "author": None if question.anonymous else _author_name(question.author),
        "votes": question.votes,
        "pinned": question.pinned,
        "answered": question.answered,
        "status": question.status,
        "created_at": question.created_at,
        "edited": question.edited_at is not None,
    }
    if moderator:
        data["author"] = _author_name(question.author)
        data["author_id"] = question.author_id
    return data


def chat_data(message: ChatMessage) -> dict:
    return {
        "id": message.pk,
        "text": message.text,
        "author": _author_name(message.author),
        "created_at": message.created_at,
    }


def poll_data(poll: Poll) -> dict:
    options = list(poll.options.all())
    return {
        "id": poll.pk,
        "question": poll.tr("question"),
        "question_en": poll.question_en,
        "question_zh": poll.question_zh,
        "multiple": poll.multiple,
        "status": poll.status,
        "ballots": poll.ballots.count(),
        "options": [
            {"id": o.pk, "text": o.tr("text"), "text_en": o.text_en, "text_zh": o.text_zh, "votes": o.votes}
            for o in options
        ],
    }


def room_state(viewer: Viewer) -> dict:
    """Everything a live room page starts with, as ``viewer`` may see it, and in ``seq`` the position of
    each of its topics that the page's live connection resumes from."""
    _require_watch(viewer)
    session = viewer.session
    stage = stage_of(session)
    moderator = viewer.can_moderate
    # Where the live connection resumes from, read before the state: whatever is published after these
    # positions reaches the page, even if its change is already in the state below (applying it again is
    # harmless: every message replaces an object by its id).
    hub = get_hub()
    seq = {topic(session.pk): hub.current_sync(topic(session.pk))}
    if moderator:
        seq[mod_topic(session.pk)] = hub.current_sync(mod_topic(session.pk))
    questions = Question.objects.filter(session=session).select_related("author")
    if not moderator:
        questions = questions.filter(status=Question.VISIBLE)
    else:
        questions = questions.exclude(status=Question.HIDDEN)
    voted = set()
    answered_polls = {}
    if viewer.participant is not None:
        voted = set(
            QuestionVote.objects.filter(
                question__session=session, participant=viewer.participant
            ).values_list("question_id", flat=True)
        )
        for ballot in PollBallot.objects.filter(poll__session=session, participant=viewer.participant):
            answered_polls[ballot.poll_id] = list(ballot.options.values_list("pk", flat=True))
    chat = []
    if stage.chat:
        recent = (
            ChatMessage.objects.filter(session=session, deleted_at__isnull=True)
            .select_related("author")
            .order_by("-created_at", "-id")[:CHAT_HISTORY]
        )
        chat = [{**chat_data(m), "mine": _mine(viewer, m)} for m in reversed(list(recent))]
    polls = Poll.objects.filter(session=session).prefetch_related("options")
    if not moderator:
        polls = polls.exclude(status=Poll.DRAFT)
    return {
        "session": session.pk,
        "seq": seq,
        "qa": stage.qa,
        "qa_moderated": stage.qa_moderated,
        "chat_enabled": stage.chat,
        "can_take_part": viewer.can_take_part,
        "can_moderate": moderator,
        "questions": [
            {**question_data(q, moderator=moderator), "voted": q.pk in voted, "mine": _mine(viewer, q)}
            for q in questions
        ],
        "chat": chat,
        "polls": [{**poll_data(p), "answered": answered_polls.get(p.pk)} for p in polls],
    }


def _mine(viewer: Viewer, written: Question | ChatMessage) -> bool:
    return viewer.participant is not None and written.author_id == viewer.participant.pk


# --- checks ------------------------------------------------------------------------------------------------


def _require_watch(viewer: Viewer) -> None:
    if not viewer.can_watch:
        raise NotFound(_("This session's live room was not found."), code="not_found")


def _require_take_part(viewer: Viewer) -> None:
    _require_watch(viewer)
    if not viewer.can_take_part:
        raise Forbidden(
            _("Only approved participants of the event can take part in this session."), code="not_allowed"
        )


def _require_moderator(viewer: Viewer) -> None:
    _require_watch(viewer)
    if not viewer.can_moderate:
        raise Forbidden(_("Only the forum's moderators can do this."), code="not_moderator")


def _text(value, *, field: str, limit: int) -> str:
    text = clean_text(value if isinstance(value, str) else "", multiline=True).strip()
    if not text:
        raise ValidationFailed(_("Please write something first."), code="empty", field=field)
    if len(text) > limit:
        raise ValidationFailed(
            _("This is %(count)d characters long; at most %(limit)d are allowed.")
            % {"count": len(text), "limit": limit},
            code="too_long",
            field=field,
        )
    return text


def _limit(name: str, viewer: Viewer) -> None:
    ratelimit.hit(name, f"{viewer.session.event_id}:{viewer.key}")


def _question(viewer: Viewer, question_id, *, for_moderator: bool = False) -> Question:
    qs = Question.objects.filter(session=viewer.session).select_related("author")
    if not for_moderator:
        qs = qs.filter(status=Question.VISIBLE)
    question = qs.filter(pk=as_id(question_id)).first() if as_id(question_id) else None
    if question is None:
        raise NotFound(_("This question was not found."), code="question_not_found")
    return question


def _publish_question(question: Question) -> None:
    """Tell the moderators always, and the audience when it is (or just stopped being) visible."""
    session_id = question.session_id
    publish_after_commit(
        mod_topic(session_id), {"kind": "question", "question": question_data(question, moderator=True)}
    )
    if question.status == Question.VISIBLE:
        publish_after_commit(topic(session_id), {"kind": "question", "question": question_data(question)})
    else:
        publish_after_commit(topic(session_id), {"kind": "question_removed", "id": question.pk})


# --- questions ---------------------------------------------------------------------------------------------


def ask(*, viewer: Viewer, text, anonymous: bool = False) -> Question:
    """Ask a question; with moderation on it waits for a moderator (only moderators and the author see it)."""
    _require_take_part(viewer)
    stage = stage_of(viewer.session)
    if not stage.qa:
        raise Forbidden(_("Questions are closed for this session."), code="qa_closed")
    text = _text(text, field="text", limit=QUESTION_MAX)
    _limit("question", viewer)
    moderated = stage.qa_moderated and not viewer.can_moderate
    with write_transaction():
        question = Question.objects.create(
            session=viewer.session,
            author=viewer.participant,
            text=text,
            anonymous=bool(anonymous),
            status=Question.PENDING if moderated else Question.VISIBLE,
        )
        _publish_question(question)
    return question


def vote(*, viewer: Viewer, question_id) -> Question:
    """One upvote per person on a visible question; a second one is refused (``already_voted``)."""
    _require_take_part(viewer)
    with write_transaction():
        question = _question(viewer, question_id)
        try:
            with transaction.atomic():
                QuestionVote.objects.create(question=question, participant=viewer.participant)
        except IntegrityError:
            raise Conflict(_("You have already upvoted this question."), code="already_voted") from None
        Question.objects.filter(pk=question.pk).update(votes=F("votes") + 1)
        question.refresh_from_db(fields=["votes"])
        _publish_question(question)
    return question


def unvote(*, viewer: Viewer, question_id) -> Question:
    _require_take_part(viewer)
    with write_transaction():
        question = _question(viewer, question_id)
        deleted, _rows = QuestionVote.objects.filter(
            question=question, participant=viewer.participant
        ).delete()
        if not deleted:
            raise Conflict(_("You have not upvoted this question."), code="not_voted")
        Question.objects.filter(pk=question.pk).update(votes=F("votes") - 1)
        question.refresh_from_db(fields=["votes"])
        _publish_question(question)
    return question


def moderate(*, viewer: Viewer, question_id, action: str, text=None) -> Question:
    """A moderator approves, hides, pins or unpins a question, marks it (not) answered, or corrects its text."""
    _require_moderator(viewer)
    if action not in MODERATION_ACTIONS:
        raise ValidationFailed(
            _("Unknown action. Choose one of: %(actions)s.") % {"actions": ", ".join(MODERATION_ACTIONS)},
            code="bad_action",
            field="action",
        )
    with write_transaction():
        question = _question(viewer, question_id, for_moderator=True)
        if action == "approve":
            question.status = Question.VISIBLE
        elif action == "hide":
            question.status = Question.HIDDEN
            question.pinned = False
        elif action in ("pin", "unpin"):
            if question.status != Question.VISIBLE:
                raise Conflict(_("Only a visible question can be pinned."), code="not_visible")
            question.pinned = action == "pin"
        elif action in ("answered", "unanswered"):
            question.answered = action == "answered"
            if question.answered:
                question.pinned = False
        else:
            new_text = _text(text, field="text", limit=QUESTION_MAX)
            if new_text != question.text:
                audit.record(
                    actor=viewer.user,
                    action="question.edited",
                    obj=question,
                    event=viewer.session.event,
                    data={"before": question.text, "after": new_text},
                )
            question.text = new_text
            question.edited_at = timezone.now()
        question.save()
        if action != "edit":
            audit.record(
                actor=viewer.user,
                action="question.moderated",
                obj=question,
                event=viewer.session.event,
                data={"action": action},
            )
        _publish_question(question)
    return question


# --- chat --------------------------------------------------------------------------------------------------


def post_chat(*, viewer: Viewer, text) -> ChatMessage:
    _require_take_part(viewer)
    if not stage_of(viewer.session).chat:
        raise Forbidden(_("The chat is closed for this session."), code="chat_closed")
    text = _text(text, field="text", limit=CHAT_MAX)
    _limit("chat", viewer)
    with write_transaction():
        message = ChatMessage.objects.create(session=viewer.session, author=viewer.participant, text=text)
        publish_after_commit(topic(viewer.session.pk), {"kind": "chat", "message": chat_data(message)})
    return message


def _chat_message(viewer: Viewer, message_id) -> ChatMessage:
    pk = as_id(message_id)
    message = (
        ChatMessage.objects.filter(session=viewer.session, deleted_at__isnull=True, pk=pk)
        .select_related("author")
        .first()
        if pk
        else None
    )
    if message is None:
        raise NotFound(_("This chat message was not found."), code="message_not_found")
    return message


def delete_chat(*, viewer: Viewer, message_id) -> ChatMessage:
    """A moderator deletes a message: it disappears from every open page."""
    _require_moderator(viewer)
    with write_transaction():
        message = _chat_message(viewer, message_id)
        message.deleted_at = timezone.now()
        message.deleted_by = viewer.participant
        message.save(update_fields=["deleted_at", "deleted_by"])
        audit.record(
            actor=viewer.user,
            action="chat.deleted",
            obj=message,
            event=viewer.session.event,
            data={"text": message.text, "author": message.author_id},
        )
        publish_after_commit(topic(viewer.session.pk), {"kind": "chat_deleted", "id": message.pk})
    return message


def report_chat(*, viewer: Viewer, message_id, reason="") -> ChatReport:
    """Anyone taking part reports a message once; the moderators see the report live."""
    _require_take_part(viewer)
    reason = clean_text(reason if isinstance(reason, str) else "").strip()
    if len(reason) > REPORT_REASON_MAX:
        raise ValidationFailed(
            _("The reason is too long (at most %(limit)d characters).") % {"limit": REPORT_REASON_MAX},
            code="too_long",
            field="reason",
        )
    _limit("report", viewer)
    with write_transaction():
        message = _chat_message(viewer, message_id)
        if _mine(viewer, message):
            raise ValidationFailed(_("You cannot report your own message."), code="own_message")
        try:
            with transaction.atomic():
                report = ChatReport.objects.create(
                    message=message, reporter=viewer.participant, reason=reason
                )
        except IntegrityError:
            raise Conflict(_("You have already reported this message."), code="already_reported") from None
        publish_after_commit(
            mod_topic(viewer.session.pk),
            {
                "kind": "report",
                "report": {
                    "id": report.pk,
                    "message": chat_data(message),
                    "reason": reason,
                    "reports": message.reports.count(),
                },
            },
        )
    return report


# --- polls -------------------------------------------------------------------------------------------------


def create_poll(*, viewer: Viewer, question_en, question_zh="", options, multiple: bool = False) -> Poll:
    """A moderator prepares a poll (2 to 10 answers); it opens when they open it."""
    _require_moderator(viewer)
    question_en = _text(question_en, field="question_en", limit=300)
    question_zh = clean_text(question_zh if isinstance(question_zh, str) else "").strip()
    if len(question_zh) > 300:
        raise ValidationFailed(_("The question is too long."), code="too_long", field="question_zh")
    answers = []
    for item in options or []:
        en, zh = (item.get("text_en"), item.get("text_zh", "")) if isinstance(item, dict) else (item, "")
        en = clean_text(en if isinstance(en, str) else "").strip()
        zh = clean_text(zh if isinstance(zh, str) else "").strip()
        if not en and not zh:
            continue
        if len(en) > 200 or len(zh) > 200:
            raise ValidationFailed(
                _("An answer is too long (at most 200 characters)."), code="too_long", field="options"
            )
        answers.append((en or zh, zh))
    if not 2 <= len(answers) <= POLL_OPTIONS_MAX:
        raise ValidationFailed(
            _("A poll needs between 2 and %(max)d answers.") % {"max": POLL_OPTIONS_MAX},
            code="bad_options",
            field="options",
        )
    with write_transaction():
        poll = Poll.objects.create(
            session=viewer.session, question_en=question_en, question_zh=question_zh, multiple=bool(multiple)
        )
        PollOption.objects.bulk_create(
            PollOption(poll=poll, order=i, text_en=en, text_zh=zh) for i, (en, zh) in enumerate(answers)
        )
        audit.record(actor=viewer.user, action="poll.created", obj=poll, event=viewer.session.event)
        publish_after_commit(mod_topic(viewer.session.pk), {"kind": "poll", "poll": poll_data(poll)})
    return poll


def _poll(viewer: Viewer, poll_id, *, for_moderator: bool = False) -> Poll:
    pk = as_id(poll_id)
    qs = Poll.objects.filter(session=viewer.session)
    if not for_moderator:
        qs = qs.exclude(status=Poll.DRAFT)
    poll = qs.filter(pk=pk).first() if pk else None
    if poll is None:
        raise NotFound(_("This poll was not found."), code="poll_not_found")
    return poll


def _publish_poll(poll: Poll) -> None:
    data = {"kind": "poll", "poll": poll_data(poll)}
    publish_after_commit(mod_topic(poll.session_id), data)
    if poll.status != Poll.DRAFT:
        publish_after_commit(topic(poll.session_id), data)


def set_poll_status(*, viewer: Viewer, poll_id, status: str) -> Poll:
    """Open a prepared poll, close an open one (a closed poll can be opened again)."""
    _require_moderator(viewer)
    if status not in (Poll.OPEN, Poll.CLOSED):
        raise ValidationFailed(_("A poll can be opened or closed."), code="bad_status", field="status")
    with write_transaction():
        poll = _poll(viewer, poll_id, for_moderator=True)
        if poll.status == status:
            return poll
        if status == Poll.CLOSED and poll.status == Poll.DRAFT:
            raise Conflict(_("This poll has not been opened yet."), code="not_open")
        poll.status = status
        if status == Poll.OPEN:
            poll.opened_at = timezone.now()
        else:
            poll.closed_at = timezone.now()
        poll.save(update_fields=["status", "opened_at", "closed_at"])
        action = "poll.opened" if status == Poll.OPEN else "poll.closed"
        audit.record(actor=viewer.user, action=action, obj=poll, event=viewer.session.event)
        _publish_poll(poll)
    return poll


def answer_poll(*, viewer: Viewer, poll_id, option_ids) -> PollBallot:
    """One ballot per person on an open poll: one answer, or several when the poll allows."""
    _require_take_part(viewer)
    chosen = {as_id(v) for v in (option_ids if isinstance(option_ids, list | tuple) else [option_ids])}
    with write_transaction():
        poll = _poll(viewer, poll_id)
        if poll.status != Poll.OPEN:
            raise Conflict(_("This poll is not open."), code="poll_closed")
        options = list(poll.options.filter(pk__in=[c for c in chosen if c]))
        if not options or len(options) != len(chosen):
            raise ValidationFailed(
                _("Please choose among the poll's answers."), code="bad_options", field="options"
            )
        if len(options) > 1 and not poll.multiple:
            raise ValidationFailed(_("Please choose one answer."), code="one_answer", field="options")
        try:
            with transaction.atomic():
                ballot = PollBallot.objects.create(poll=poll, participant=viewer.participant)
        except IntegrityError:
            raise Conflict(_("You have already answered this poll."), code="already_answered") from None
        ballot.options.set(options)
        PollOption.objects.filter(pk__in=[o.pk for o in options]).update(votes=F("votes") + 1)
        _publish_poll(poll)
    return ballot
