"""The organizers' live rooms page and its exports: who gets them, and what they hold."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from summit.live import services
from summit.live.testing import make_room, viewer_of
from summit.registration.models import Participant
from summit.registration.testing import make_delegate

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(event, categories):
    session = make_room(event, qa_moderated=True)
    author = make_delegate(
        event,
        categories["company"],
        given_name="Ann",
        family_name="O'Brien",
        given_name_latin="Ann",
        family_name_latin="O'Brien",
        name_order=Participant.GIVEN_FIRST,
    )
    mo = make_delegate(event, categories["company"])
    session.forum.moderators.add(mo)
    services.ask(viewer=viewer_of(session, author), text='=HYPERLINK("x") first?', anonymous=True)
    poll = services.create_poll(
        viewer=viewer_of(session, mo), question_en="Format?", question_zh="形式？", options=["Panel", "Talk"]
    )
    services.set_poll_status(viewer=viewer_of(session, mo), poll_id=poll.pk, status="open")
    services.answer_poll(
        viewer=viewer_of(session, author), poll_id=poll.pk, option_ids=[poll.options.first().pk]
    )
    return session


def test_the_overview_lists_every_room_with_its_figures(organizer_client, room, event, monkeypatch):
    from summit.core import live
    from summit.live import attendance

    monkeypatch.setattr(live, "_hub", live.LocalHub())
    counter = attendance.counter()
    for _ in range(3):
        counter.change(room.pk, +1)  # three connections watching now
    response = organizer_client.get(f"/events/{event.slug}/manage/live/")
    assert response.status_code == 200
    row = response.content.decode().split(f'id="live-row-{room.pk}"')[1].split("</tr>")[0]
    assert "1 waiting" in row and "Any approved participant" in row
    assert '<td data-label="Watching now" class="watching">3</td>' in row


def test_question_export_names_anonymous_authors_and_defuses_formulas(organizer_client, room, event):
    response = organizer_client.get(f"/events/{event.slug}/manage/live/sessions/{room.pk}/questions.csv")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1][1:5] == ["Ann O'Brien", "Ann O'BRIEN", rows[1][3], "yes"]
    assert rows[1][-1].startswith("'=HYPERLINK")
    xlsx = organizer_client.get(f"/events/{event.slug}/manage/live/sessions/{room.pk}/polls.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[1][1:] == ["Format?", "形式？", "Open", "Panel", None, 1, 1]


@pytest.mark.parametrize("who", ["anonymous", "officer", "delegate", "moderator", "other_organizer"])
def test_only_organizers_of_the_event_get_the_page_and_exports(
    client, room, event, officer, other_event, who
):
    from summit.events.testing import make_staff

    if who == "officer":
        client.force_login(officer)
    elif who == "delegate":
        client.force_login(make_delegate(event).user)
    elif who == "moderator":
        client.force_login(room.forum.moderators.first().user)
    elif who == "other_organizer":
        client.force_login(make_staff(other_event, "organizer", "boss@other.example.org"))
    for url in ("", f"sessions/{room.pk}/questions.csv", f"sessions/{room.pk}/polls.xlsx"):
        response = client.get(f"/events/{event.slug}/manage/live/{url}")
        assert response.status_code in (302, 404), (who, url)
        assert b"HYPERLINK" not in response.content
