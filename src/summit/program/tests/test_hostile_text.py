"""Program texts lose invisible and direction-control characters, whichever way they are entered."""

import pytest

from summit.core.errors import ValidationFailed
from summit.program import services
from summit.program.models import Speaker
from summit.program.testing import make_forum, make_session

pytestmark = pytest.mark.django_db

RLO, PDF_, ZWSP, ZWNJ = "\u202e", "\u202c", "\u200b", "\u200c"


def test_speaker_names_and_biographies_are_cleaned(event, organizer):
    speaker = services.save_speaker(
        event=event,
        data={
            "name": f"{RLO}Anna{PDF_} Sch{ZWSP}midt",
            "affiliation": "CAC\x00",
            "bio_en": "Line 1\r\nLine 2\x07",
        },
        actor=organizer,
    )
    speaker.refresh_from_db()
    assert (speaker.name, speaker.name_latin, speaker.affiliation) == ("Anna Schmidt", "Anna Schmidt", "CAC")
    assert speaker.bio_en == "Line 1\nLine 2"


def test_a_title_made_of_invisible_characters_is_empty(event, organizer):
    forum = make_forum(event)
    with pytest.raises(ValidationFailed) as excinfo:
        services.save_forum(event=event, data={"title_en": f"{ZWSP}{RLO}", "slug": "x"}, actor=organizer)
    assert excinfo.value.field == "title_en"
    session = make_session(event, forum)
    with pytest.raises(ValidationFailed):
        services.save_session(event=event, session=session, data={"title_en": ZWSP}, actor=organizer)
    session = services.save_session(
        event=event,
        session=session,
        data={"title_en": f"AI {RLO}ethics", "abstract_zh": f"人工智能{ZWSP}"},
        actor=organizer,
    )
    session.refresh_from_db()
    assert (session.title_en, session.abstract_zh) == ("AI ethics", "人工智能")


def test_talk_titles_keep_persian_joiners(event, organizer):
    session = make_session(event)
    talk = services.save_talk(
        session=session, data={"title_en": f"{RLO}Talk", "title_zh": f"می{ZWNJ}خواهم"}, actor=organizer
    )
    talk.refresh_from_db()
    assert (talk.title_en, talk.title_zh) == ("Talk", f"می{ZWNJ}خواهم")


def test_saving_through_the_admin_or_a_model_cleans_event_and_program_texts(event, organizer):
    event.name_en = f"{RLO}World Internet Conference{PDF_}"
    event.description_en = f"Two{ZWSP} lines\r\nhere"
    event.save()
    event.refresh_from_db()
    assert event.name_en == "World Internet Conference"
    assert event.description_en == "Two lines\nhere"
    speaker = Speaker(event=event, name=f"{RLO}Anna")
    speaker.save()
    assert Speaker.objects.get(pk=speaker.pk).name == "Anna"
