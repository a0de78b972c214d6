"""The live room page, the server clock, the packaged video's files, the organizers' live settings page and
the stage API."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from summit.accounts import services as accounts
from summit.core.models import AuditEntry
from summit.live import streams
from summit.live.models import Stage
from summit.live.video_testing import make_video, upload_of
from summit.program import services as program
from summit.program.testing import make_session
from summit.registration.models import Participant
from summit.registration.testing import make_delegate, make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("video") / "talk.mp4", seconds=4)


@pytest.fixture
def session(event, categories):
    return make_session(event)


def room_url(session):
    return reverse("live:room", args=[session.event.slug, session.pk])


def settings_url(session):
    return reverse("live_stream:settings", args=[session.event.slug, session.pk])


def packaged(session, organizer, video, access):
    return streams.attach_video(
        session=session,
        actor=organizer,
        upload=upload_of(video),
        stream_kind="broadcast",
        broadcast_start=timezone.now() - timedelta(seconds=2),
        access=access,
    )


def media_links(html: str) -> list[str]:
    return re.findall(r'data-src="(/events/[^"]+/live/media/[^"]+)"', html)


def test_clock_gives_the_server_time(client):
    before = int(timezone.now().timestamp() * 1000)
    answer = client.get("/clock/")
    assert (
        answer.status_code == 200
        and "no-store" in answer["Cache-Control"]
        or "max-age=0" in answer["Cache-Control"]
    )
    assert before - 5 <= answer.json()["now"] <= int(timezone.now().timestamp() * 1000) + 5


@pytest.mark.parametrize(
    ("access", "who", "watches"),
    [
        ("public", "anonymous", True),
        ("approved", "anonymous", False),
        ("approved", "pending", False),
        ("approved", "delegate", True),
        ("booked", "delegate", False),
        ("booked", "booked", True),
        ("booked", "organizer", True),
    ],
)
def test_who_may_watch_gets_the_player_and_the_files(
    client, event, categories, organizer, session, video, access, who, watches
):
    stage = packaged(session, organizer, video, access)
    assert stage.video_hls
    if who == "pending":
        client.force_login(make_participant(event, categories["company"], status=Participant.SUBMITTED).user)
    elif who == "delegate":
        client.force_login(make_delegate(event, categories["company"]).user)
    elif who == "booked":
        person = make_delegate(event, categories["company"])
        program.book(session=session, participant=person, mode="online", idempotency_key="watch-key-1")
        client.force_login(person.user)
    elif who == "organizer":
        client.force_login(organizer)
    page = client.get(room_url(session))
    assert page.status_code == 200
    html = page.content.decode()
    links = media_links(html)
    if not watches:
        assert not links and "data-player" not in html and 'id="live-room"' not in html
        assert 'id="player-refused"' in html
        return
    assert len(links) == 1 and 'id="live-room"' in html
    master = client.get(links[0])
    assert master.status_code == 200 and master["Content-Type"] == "application/vnd.apple.mpegurl"
    text = b"".join(master.streaming_content).decode()
    audio = re.findall(r'URI="([^"]+)"', text)
    assert len(audio) == 2
    base = links[0].rsplit("/", 1)[0]
    playlist = b"".join(client.get(f"{base}/{audio[0]}").streaming_content).decode()
    segment = next(line for line in playlist.splitlines() if line.endswith(".ts"))
    folder = audio[0].rsplit("/", 1)[0]
    answer = client.get(f"{base}/{folder}/{segment}")
    assert answer.status_code == 200 and answer["Content-Type"] == "video/mp2t"


def test_the_files_are_hidden_without_a_valid_signed_address(client, event, organizer, session, video):
    packaged(session, organizer, video, "approved")
    client.force_login(organizer)
    link = media_links(client.get(room_url(session)).content.decode())[0]
    client.logout()
    token = link.split("/media/")[1].split("/")[0]
    base = link.split("/media/")[0] + "/media/"
    assert client.get(base + "forged:token:x/master.m3u8").status_code == 404
    assert client.get(base + token + "/../source.mp4").status_code == 404
    assert client.get(base + token + "/video/../../x.ts").status_code == 404
    other = make_session(event)
    assert client.get(link.replace(f"/sessions/{session.pk}/", f"/sessions/{other.pk}/")).status_code == 404
    # A new upload makes the old addresses useless.
    packaged(session, organizer, video, "approved")
    assert client.get(link).status_code == 404


def test_the_refusal_says_what_to_do(client, event, categories, organizer, session):
    streams.save_stage(session=session, actor=organizer, access="booked")
    html = client.get(room_url(session)).content.decode()
    assert 'id="signin-to-watch"' in html
    client.force_login(make_delegate(event, categories["company"]).user)
    html = client.get(room_url(session)).content.decode()
    assert 'id="book-to-watch"' in html


def test_the_page_says_when_there_is_no_stream(client, organizer, session):
    streams.save_stage(session=session, actor=organizer, access="public")
    html = client.get(room_url(session)).content.decode()
    assert "There is no stream for this session." in html


def test_an_embedded_platform_may_be_framed_on_its_page_only(client, organizer, session):
    streams.save_stage(
        session=session,
        actor=organizer,
        access="public",
        stream_kind="embed",
        embed_url="https://player.vimeo.com/video/1",
    )
    page = client.get(room_url(session))
    policy = page["Content-Security-Policy"]
    assert re.search(r"frame-src [^;]*https://player\.vimeo\.com", policy)
    assert '<iframe src="https://player.vimeo.com/video/1"' in page.content.decode()
    assert "player.vimeo.com" not in client.get("/").get("Content-Security-Policy", "")


def test_an_outside_hls_stream_may_be_loaded_on_its_page(client, organizer, session):
    streams.save_stage(
        session=session,
        actor=organizer,
        access="public",
        stream_kind="hls",
        stream_url="https://cdn.example.org/l.m3u8",
    )
    policy = client.get(room_url(session))["Content-Security-Policy"]
    assert re.search(r"connect-src [^;]*https://cdn\.example\.org", policy)
    assert re.search(r"media-src [^;]*https://cdn\.example\.org", policy)


# --- the settings page -----------------------------------------------------------------------------------


def test_the_settings_page_is_hidden_from_everyone_but_organizers(
    client, event, categories, officer, session
):
    assert client.get(settings_url(session)).status_code in (302, 404)
    client.force_login(officer)
    assert client.get(settings_url(session)).status_code == 404
    client.force_login(make_delegate(event, categories["company"]).user)
    assert client.get(settings_url(session)).status_code == 404
    assert client.post(settings_url(session), {"access": "public"}).status_code == 404


def form(**changes):
    data = {
        "access": "approved",
        "stream_kind": "none",
        "stream_url": "",
        "embed_url": "",
        "video_url": "",
        "broadcast_start": "",
        "qa": "on",
        "chat": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_organizers_save_the_settings(organizer_client, session):
    answer = organizer_client.post(
        settings_url(session),
        form(
            access="public",
            stream_kind="broadcast",
            video_url="https://cdn.example.org/a.mp4",
            broadcast_start="2026-05-10T14:00",
            replay="on",
            chat=None,
        ),
    )
    assert answer.status_code == 302
    stage = Stage.objects.get(session=session)
    assert (stage.access, stage.stream_kind, stage.replay, stage.chat) == ("public", "broadcast", True, False)
    local = timezone.localtime(stage.broadcast_start, session.event.tz)
    assert (local.hour, local.minute) == (14, 0)
    assert AuditEntry.objects.filter(action="stage.updated").count() == 1
    page = organizer_client.get(settings_url(session))
    assert page.status_code == 200 and 'value="2026-05-10T14:00"' in page.content.decode()


def test_refusals_show_on_their_field(organizer_client, session):
    answer = organizer_client.post(
        settings_url(session), form(stream_kind="hls", stream_url="ftp://x.example.org/a")
    )
    assert answer.status_code == 422
    assert answer.context["form"].errors["stream_url"]
    answer = organizer_client.post(
        settings_url(session), form(stream_kind="embed", embed_url="https://evil.example.org/p")
    )
    assert answer.status_code == 422 and answer.context["form"].errors["embed_url"]


def test_an_upload_that_is_not_a_video_is_a_field_error(organizer_client, session, tmp_path):
    fake = tmp_path / "talk.mp4"
    fake.write_bytes(b"just some text, not a video\n" * 200)
    answer = organizer_client.post(settings_url(session), {**form(), "video": upload_of(fake)})
    assert answer.status_code == 422
    assert "not a video" in str(answer.context["form"].errors["video"])
    assert not Stage.objects.get(session=session).video_file


def test_an_upload_over_the_limit(organizer_client, session, video, settings):
    settings.MAX_VIDEO_BYTES = 2000
    answer = organizer_client.post(settings_url(session), {**form(), "video": upload_of(video)})
    assert answer.status_code == 422
    assert "too large" in str(answer.context["form"].errors["video"])


def test_the_settings_page_alone_takes_a_video_sized_body(session, settings, rf):
    """The request size check at the door (core.middleware): the live settings page takes up to the video
    limit and the form around it, other pages the usual limit."""
    from django.http import HttpResponse

    from summit.core.middleware import LimitRequestSizeMiddleware

    check = LimitRequestSizeMiddleware(lambda request: HttpResponse("read"))
    settings.MAX_VIDEO_BYTES = 50 * 1024 * 1024

    def status(url, size):
        request = rf.post(url)
        request.META.update(CONTENT_TYPE="multipart/form-data; boundary=x", CONTENT_LENGTH=str(size))
        return check(request).status_code

    video_page = settings_url(session)
    other = reverse("program_manage:session_edit", args=[session.event.slug, session.pk])
    assert status(video_page, settings.MAX_REQUEST_BYTES + 1024) == 200
    assert status(other, settings.MAX_REQUEST_BYTES + 1024) == 413
    assert status(video_page, settings.MAX_VIDEO_BYTES + settings.UPLOAD_FORM_BYTES) == 200
    assert status(video_page, settings.MAX_VIDEO_BYTES + settings.UPLOAD_FORM_BYTES + 1) == 413
    settings.MAX_VIDEO_BYTES = 1000  # a limit below the usual one never lowers it
    assert status(video_page, settings.MAX_REQUEST_BYTES) == 200


def test_organizers_upload_a_video_and_see_it_prepared(organizer_client, session, video):
    answer = organizer_client.post(
        settings_url(session),
        {**form(stream_kind="broadcast", broadcast_start="2026-05-10T14:00"), "video": upload_of(video)},
    )
    assert answer.status_code == 302
    stage = Stage.objects.get(session=session)
    assert stage.video_hls and stage.package_job.state == "succeeded"
    page = organizer_client.get(settings_url(session)).content.decode()
    assert "Ready to broadcast" in page


# --- the API ----------------------------------------------------------------------------------------------


@pytest.fixture
def token(event, organizer):
    return accounts.create_api_token(event=event, user=organizer, name="desk")[1]


def api_url(session):
    return f"/api/events/{session.event.slug}/sessions/{session.pk}/stage"


def test_api_reads_and_changes_the_stage(client, session, token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    answer = client.get(api_url(session), **auth)
    assert answer.status_code == 200 and answer.json()["stream_kind"] == "none"
    answer = client.patch(
        api_url(session),
        json.dumps(
            {"stream_kind": "hls", "stream_url": "https://cdn.example.org/l.m3u8", "access": "public"}
        ),
        content_type="application/json",
        **auth,
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["stream_kind"] == "hls" and answer.json()["access"] == "public"
    answer = client.patch(
        api_url(session),
        json.dumps({"embed_url": "javascript:alert(1)"}),
        content_type="application/json",
        **auth,
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "bad_url" and answer.json()["field"] == "embed_url"


def test_api_is_for_organizers(client, event, categories, session):
    delegate = make_delegate(event, categories["company"])
    raw = accounts.create_api_token(event=event, user=delegate.user, name="phone")[1]
    answer = client.get(api_url(session), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code in (403, 404)


def test_organizers_remove_an_uploaded_video_after_a_question(
    organizer_client, session, video, event, categories, officer
):
    organizer_client.post(settings_url(session), {**form(), "video": upload_of(video)})
    page = organizer_client.get(settings_url(session)).content.decode()
    assert 'id="remove-video"' in page and "data-confirm" in page
    remove = settings_url(session) + "video/remove/"
    assert Client().post(remove).status_code in (302, 404)
    for user in (make_delegate(event, categories["company"]).user, officer):
        someone = Client()
        someone.force_login(user)
        assert someone.post(remove).status_code == 404  # nobody else, and nothing removed
    assert Stage.objects.get(session=session).video_file
    assert organizer_client.get(remove).status_code == 405
    answer = organizer_client.post(remove, follow=True)
    assert "The uploaded video has been removed." in answer.content.decode()
    assert Stage.objects.get(session=session).video_file == ""
    answer = organizer_client.post(remove, follow=True)  # again: nothing to remove, said on the page
    assert "There is no uploaded video." in answer.content.decode()


def test_api_removes_the_uploaded_video(client, session, token, video, organizer):
    from summit.live import streams

    streams.attach_video(session=session, actor=organizer, upload=upload_of(video))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    answer = client.delete(api_url(session) + "/video", **auth)
    assert answer.status_code == 200, answer.content
    assert answer.json()["video_uploaded"] is False and answer.json()["video_ready"] is False
    answer = client.delete(api_url(session) + "/video", **auth)
    assert answer.status_code == 422 and answer.json()["code"] == "no_video"
