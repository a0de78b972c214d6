"""The demo event's live rooms (part of ``summit demo``, after the program).

Every session gets its live settings: the opening keynotes are public (anyone watches, participants take
part) with moderated questions, workshops are for the people who booked them, the rest for any approved
participant. The first sessions already have questions with upvotes, a chat and a poll, so the room and
the room display show something at once. The demo delegate (who signs in with a password) moderates the
first forum, to show moderation.
"""

from __future__ import annotations

from summit.events.demo import SLUG
from summit.live.models import ChatMessage, Poll, PollBallot, PollOption, Question, QuestionVote, Stage
from summit.program.models import Session
from summit.registration.demo import DELEGATE_EMAIL
from summit.registration.models import Participant

QUESTIONS = [
    ("How will cross-border data rules stay compatible between regions?", False),
    ("数字经济中，中小企业如何获得公平的数据访问？", False),
    ("What can developing countries do about the cost of connectivity?", True),
    ("Quelle place pour les langues minoritaires dans les modèles d'IA ?", False),
    ("Who should audit algorithms used by public services?", True),
    ("如何在开放合作与网络安全之间取得平衡？", False),
    ("Will the proposals published here be open for public comment?", False),
]
CHAT = [
    "Hello from Nairobi!",
    "大家好，来自杭州的问候",
    "The interpretation channel works well, thank you.",
    "Are the slides going to be shared after the session?",
    "Saludos desde Bogotá",
]


def build(demo) -> None:
    event = demo.event
    rng = demo.rng
    sessions = list(Session.objects.filter(event=event).select_related("forum").order_by("start", "pk"))
    if not sessions:
        return
    first_start = sessions[0].start
    stages = []
    for session in sessions:
        title = session.title_en.lower()
        if session.start == first_start or "keynote" in title:
            stages.append(Stage(session=session, access=Stage.PUBLIC, qa_moderated=True, replay=True))
        elif "workshop" in title or session.capacity and session.capacity < 60:
            stages.append(Stage(session=session, access=Stage.BOOKED))
        else:
            stages.append(Stage(session=session, access=Stage.APPROVED))
    Stage.objects.bulk_create(stages)

    people = list(
        Participant.objects.filter(event=event, status=Participant.APPROVED).exclude(email=DELEGATE_EMAIL)[
            :400
        ]
    )
    delegate = Participant.objects.filter(event=event, email=DELEGATE_EMAIL).first()
    if delegate is not None:
        sessions[0].forum.moderators.add(delegate)
    if len(people) < 20:
        return
    questions, votes, chat = [], [], []
    for session in sessions[:6]:
        for text, anonymous in rng.sample(QUESTIONS, rng.randint(3, 5)):
            questions.append(
                Question(
                    session=session,
                    author=rng.choice(people),
                    text=text,
                    anonymous=anonymous,
                    created_at=demo.now,
                )
            )
        for text in rng.sample(CHAT, 3):
            chat.append(
                ChatMessage(session=session, author=rng.choice(people), text=text, created_at=demo.now)
            )
    Question.objects.bulk_create(questions)
    for question in questions:
        voters = rng.sample(people, rng.randint(0, 12))
        votes += [
            QuestionVote(question=question, participant=p) for p in voters if p.pk != question.author_id
        ]
        question.votes = sum(1 for v in votes if v.question is question)
    QuestionVote.objects.bulk_create(votes)
    Question.objects.bulk_update(questions, ["votes"])
    if questions:
        questions[-1].answered = True
        questions[0].pinned = True
        Question.objects.bulk_update([questions[0], questions[-1]], ["pinned", "answered"])
    ChatMessage.objects.bulk_create(chat)

    poll = Poll.objects.create(
        session=sessions[0],
        question_en="Which topic should next year's summit put first?",
        question_zh="明年的峰会应优先讨论哪个议题？",
        status=Poll.OPEN,
        opened_at=demo.now,
    )
    options = PollOption.objects.bulk_create(
        [
            PollOption(poll=poll, order=0, text_en="AI governance", text_zh="人工智能治理"),
            PollOption(poll=poll, order=1, text_en="Data flows", text_zh="数据流动"),
            PollOption(poll=poll, order=2, text_en="Connectivity", text_zh="互联互通"),
        ]
    )
    for person in rng.sample(people, 30):
        option = rng.choice(options)
        ballot = PollBallot.objects.create(poll=poll, participant=person)
        ballot.options.add(option)
        option.votes += 1
    PollOption.objects.bulk_update(options, ["votes"])
    demo.summary.append(f"{len(stages)} live rooms, {len(questions)} questions")


def sheet(sheet, site: str) -> None:
    first = Session.objects.filter(event__slug=SLUG).order_by("start", "pk").first()
    if first is None:
        return
    sheet.urls += [
        ("Live room (opening)", f"{site}/events/{SLUG}/sessions/{first.pk}/live/"),
        ("Room display", f"{site}/events/{SLUG}/sessions/{first.pk}/live/display/"),
        ("Live rooms (back office)", f"{site}/events/{SLUG}/manage/live/"),
    ]
