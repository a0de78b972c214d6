"""A speaker's affiliation and a venue's city are bilingual like the rest of the content: the back office
edits both, pages show the reader's one, the API reads and writes both (``affiliation`` keeps its meaning)."""

import json

import pytest
from django.urls import reverse

from summit.accounts.services import create_api_token
from summit.program.models import Speaker, Talk
from summit.program.testing import make_forum, make_session

pytestmark = pytest.mark.django_db


def api(client, token, method, path, body=None):
    return getattr(client, method)(
        f"/api/events/{path}",
        json.dumps(body) if body is not None else "",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_the_back_office_edits_both_affiliations(organizer_client, event):
    response = organizer_client.post(
        reverse("program_manage:speaker_create", args=[event.slug]),
        {"name": "李华", "affiliation": "Tsinghua University", "affiliation_zh": "清华大学"},
    )
    assert response.status_code == 302
    speaker = Speaker.objects.get(event=event)
    assert (speaker.affiliation, speaker.affiliation_zh) == ("Tsinghua University", "清华大学")
    page = reverse("program_manage:speakers", args=[event.slug])
    assert "清华大学" in organizer_client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    english = organizer_client.get(page).content.decode()
    assert "Tsinghua University" in english and "清华大学" not in english
    edit = organizer_client.get(reverse("program_manage:speaker_edit", args=[event.slug, speaker.pk]))
    assert 'name="affiliation_zh" value="清华大学"' in edit.content.decode()
    found = organizer_client.get(page + "?q=清华").content.decode()
    assert f'<tr data-id="{speaker.pk}"' in found


def test_public_pages_show_the_readers_affiliation_and_city(client, event):
    session = make_session(event, make_forum(event))
    speaker = Speaker.objects.create(
        event=event,
        name="李华",
        name_latin="Li Hua",
        affiliation="Tsinghua University",
        affiliation_zh="清华大学",
    )
    Talk.objects.create(session=session, title_en="Talk", title_zh="演讲", order=0).speakers.add(speaker)
    page = reverse("program:session", args=[event.slug, session.pk])
    assert "清华大学" in client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    english = client.get(page).content.decode()
    assert "Tsinghua University" in english and "清华大学" not in english
    home = reverse("events:home", args=[event.slug])
    assert "乌镇" in client.get(home, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Wuzhen" in client.get(home).content.decode()


def test_the_api_reads_and_writes_both_and_keeps_the_old_name(client, event, organizer):
    token = create_api_token(event=event, user=organizer, name="desk")[1]
    old = api(client, token, "post", "wic/speakers", {"name": "Ada", "affiliation": "Analytical Engines"})
    assert old.status_code == 201, old.content
    assert old.json()["affiliation"] == "Analytical Engines" and old.json()["affiliation_zh"] == ""
    new = api(
        client,
        token,
        "post",
        "wic/speakers",
        {"name": "李华", "affiliation_en": "Tsinghua University", "affiliation_zh": "清华大学"},
    )
    assert new.status_code == 201, new.content
    assert new.json()["affiliation"] == "Tsinghua University" and new.json()["affiliation_zh"] == "清华大学"
    changed = api(
        client, token, "patch", f"wic/speakers/{old.json()['id']}", {"affiliation_zh": "分析机公司"}
    )
    assert (
        changed.json()["affiliation"] == "Analytical Engines"
        and changed.json()["affiliation_zh"] == "分析机公司"
    )
    clash = api(
        client, token, "post", "wic/speakers", {"name": "X", "affiliation": "A", "affiliation_en": "B"}
    )
    assert clash.status_code == 422 and clash.json()["field"] == "affiliation_en"
    venue = api(client, token, "get", "wic").json()["venue"]
    assert venue["city"] == "Wuzhen" and venue["city_zh"] == "乌镇"
