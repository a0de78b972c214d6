"""The program back office and pages in the viewer's language: talk titles in labels and confirmations,
rooms in the order of their shown names."""

import re

import pytest
from django.urls import reverse

from summit.core.i18n import sort_localized
from summit.events.models import Room
from summit.program.models import Talk
from summit.program.testing import make_forum, make_session

pytestmark = pytest.mark.django_db


def url(event, name, *args):
    return reverse(f"program_manage:{name}", args=[event.slug, *args])


def test_talk_buttons_and_the_delete_confirmation_use_the_viewers_title(organizer_client, event):
    session = make_session(event, make_forum(event))
    talk = Talk.objects.create(session=session, title_en="Keynote", title_zh="主旨演讲", order=0)
    html = organizer_client.get(url(event, "session_edit", session.pk), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = html.content.decode()
    tools = html[html.index(f'id="talk-{talk.pk}"') :]
    tools = tools[: tools.index("<details")]
    assert "Keynote" not in tools
    assert re.search(r'data-confirm="[^"]*“主旨演讲”', tools)
    assert re.search(r'aria-label="[^"]*“主旨演讲”', tools)
    english = organizer_client.get(url(event, "session_edit", session.pk)).content.decode()
    assert 'data-confirm="Delete the talk “Keynote”?"' in english
    # The message after deleting names the talk in the viewer's language too.
    response = organizer_client.post(
        url(event, "talk_delete", session.pk, talk.pk), HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True
    )
    assert "主旨演讲" in " ".join(str(m) for m in response.context["messages"])


def test_the_confirmation_script_is_a_file_not_inline(organizer_client, event):
    session = make_session(event, make_forum(event))
    html = organizer_client.get(url(event, "session_edit", session.pk)).content.decode()
    assert "summit/summit.js" in html and "data-confirm=" in html and "window.confirm" not in html


@pytest.fixture
def rooms(event):
    # English order: Auditorium, Lotus hall, Main hall; Chinese order (code points): 会议室 < 主会场 < 莲花厅.
    Room.objects.create(event=event, name_en="Lotus hall", name_zh="莲花厅", capacity=100)
    Room.objects.create(event=event, name_en="Auditorium", name_zh="会议室", capacity=300)
    return event


def _room_options(html):
    select = html[html.index('name="room"') :]
    select = select[: select.index("</select>")]
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)


def test_rooms_are_sorted_by_the_name_the_viewer_reads(organizer_client, rooms, event):
    english = organizer_client.get(url(event, "session_create")).content.decode()
    assert _room_options(english) == ["Auditorium", "Lotus hall", "Main hall"]
    chinese = organizer_client.get(
        url(event, "session_create"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert _room_options(chinese) == sorted(["莲花厅", "会议室", "主会场"]) == ["主会场", "会议室", "莲花厅"]
    forum_form = organizer_client.get(
        url(event, "forum_create"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert _room_options(forum_form) == ["主会场", "会议室", "莲花厅"]
    page = organizer_client.get(reverse("events:home", args=[event.slug]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert html.index("主会场") < html.index("会议室") < html.index("莲花厅")


def test_sort_localized_falls_back_to_the_other_language_and_is_stable(rooms, event):
    Room.objects.create(event=event, name_en="Annex", name_zh="", capacity=10)
    names = [r.name_en for r in sort_localized(event.rooms.all(), language="zh-hans")]
    assert names == ["Annex", "Main hall", "Auditorium", "Lotus hall"]
