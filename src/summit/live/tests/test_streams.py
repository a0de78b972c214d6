"""Live settings of a session (live/streams.py), the packaging job (live/jobs.py) and the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from summit.core.errors import ValidationFailed
from summit.core.models import AuditEntry, Job
from summit.core.storage import private_storage
from summit.live import streams
from summit.live.access import stage_of
from summit.live.models import Stage
from summit.live.video_testing import make_video, upload_of
from summit.program.testing import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(event):
    return make_session(event)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("video") / "talk.mp4", seconds=6)


def scheduled_broadcast(session, organizer, video):
    """``video`` uploaded for a broadcast starting now."""
    return streams.attach_video(
        session=session,
        actor=organizer,
        upload=upload_of(video),
        stream_kind="broadcast",
        broadcast_start=timezone.now(),
    )


def fresh(session):
    return Stage.objects.get(session=session)


def test_settings_are_saved_and_audited(session, organizer):
    start = timezone.now() + timedelta(hours=1)
    stage = streams.save_stage(
        session=session,
        actor=organizer,
        access="public",
        stream_kind="broadcast",
        video_url="https://cdn.example.org/talk/master.m3u8",
        broadcast_start=start,
        replay=True,
        chat=False,
    )
    stored = fresh(session)
    assert (stored.access, stored.stream_kind, stored.replay, stored.chat) == (
        "public",
        "broadcast",
        True,
        False,
    )
    assert stored.broadcast_start == start and stage.pk == stored.pk
    entry = AuditEntry.objects.get(action="stage.updated")
    assert entry.actor == organizer and entry.event == session.event
    assert set(entry.data["fields"]) == {
        "access",
        "stream_kind",
        "video_url",
        "broadcast_start",
        "replay",
        "chat",
    }
    # Saving the same values again changes nothing and records nothing.
    streams.save_stage(session=session, actor=organizer, access="public", replay=True)
    assert AuditEntry.objects.filter(action="stage.updated").count() == 1


def test_a_naive_broadcast_start_is_in_the_event_time_zone(session, organizer):
    from datetime import datetime

    streams.save_stage(
        session=session,
        actor=organizer,
        stream_kind="broadcast",
        video_url="https://cdn.example.org/a.mp4",
        broadcast_start=datetime(2026, 5, 10, 9, 30),
    )
    local = timezone.localtime(fresh(session).broadcast_start, session.event.tz)
    assert (local.hour, local.minute) == (9, 30)


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"stream_kind": "hls", "stream_url": "ftp://example.org/live.m3u8"}, "stream_url", "bad_url"),
        ({"stream_kind": "hls", "stream_url": "javascript:alert(1)"}, "stream_url", "bad_url"),
        ({"stream_kind": "hls", "stream_url": ""}, "stream_url", "required"),
        ({"stream_kind": "embed", "embed_url": "https://evil.example.org/player"}, "embed_url", "embed_host"),
        ({"stream_kind": "embed", "embed_url": "data:text/html,hi"}, "embed_url", "bad_url"),
        ({"video_url": "https://cdn.example.org/talk.avi"}, "video_url", "video_url"),
        ({"video_url": "file:///etc/passwd.mp4"}, "video_url", "bad_url"),
        (
            {"stream_kind": "broadcast", "video_url": "https://x.example.org/a.mp4"},
            "broadcast_start",
            "required",
        ),
        ({"stream_kind": "broadcast", "broadcast_start": timezone.now()}, "video_url", "required"),
        ({"access": "everyone"}, "access", "bad_choice"),
        ({"stream_kind": "radio"}, "stream_kind", "bad_choice"),
        ({"qa": "yes"}, "qa", "bad_boolean"),
    ],
)
def test_refused_settings_name_their_field(session, organizer, fields, field, code):
    with pytest.raises(ValidationFailed) as refused:
        streams.save_stage(session=session, actor=organizer, **fields)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert fresh(session).stream_kind == "none"
    assert not AuditEntry.objects.filter(action="stage.updated").exists()


def test_an_allowed_platform_may_be_embedded(session, organizer):
    streams.save_stage(
        session=session,
        actor=organizer,
        stream_kind="embed",
        embed_url="https://www.youtube-nocookie.com/embed/x",
    )
    assert fresh(session).embed_url == "https://www.youtube-nocookie.com/embed/x"


def test_a_file_that_is_not_a_video_is_refused_by_its_content(session, organizer):
    fake = SimpleUploadedFile("talk.mp4", b"%PDF-1.4 not a video at all " * 100, content_type="video/mp4")
    with pytest.raises(ValidationFailed) as refused:
        streams.attach_video(session=session, actor=organizer, upload=fake)
    assert (refused.value.code, refused.value.field) == ("not_video", "video")
    assert not fresh(session).video_file and not Job.objects.exists()


def test_a_still_image_is_not_a_video(session, organizer, tmp_path):
    import subprocess

    from django.conf import settings

    png = tmp_path / "still.png"
    subprocess.run(
        [
            settings.FFMPEG,
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=red:size=32x32",
            "-frames:v",
            "1",
            str(png),
        ],
        check=True,
    )
    with pytest.raises(ValidationFailed) as refused:
        streams.attach_video(session=session, actor=organizer, upload=upload_of(png, "still.mp4"))
    assert refused.value.code == "not_video"


def test_a_video_over_the_limit_is_refused(session, organizer, video, settings):
    settings.MAX_VIDEO_BYTES = 1000
    with pytest.raises(ValidationFailed) as refused:
        streams.attach_video(session=session, actor=organizer, upload=upload_of(video))
    assert (refused.value.code, refused.value.field) == ("file_too_large", "video")


def test_an_uploaded_video_is_packaged_with_every_audio_language(session, organizer, video):
    stage = scheduled_broadcast(session, organizer, video)
    job = Job.objects.get(pk=stage.package_job_id)
    assert job.kind == "live.package_video" and job.state == Job.SUCCEEDED, job.error
    assert job.progress_done == job.progress_total == 6
    stored = fresh(session)
    assert stored.video_hls.startswith(f"live/{session.guid}/hls-") and stored.video_hls.endswith(
        "/master.m3u8"
    )
    assert stored.video_seconds == pytest.approx(6, abs=0.2)
    master = private_storage().open(stored.video_hls).read().decode()
    audio = [line for line in master.splitlines() if line.startswith("#EXT-X-MEDIA:TYPE=AUDIO")]
    assert len(audio) == 2
    assert sorted(re.search(r'LANGUAGE="([^"]+)"', line).group(1) for line in audio) == ["chi", "eng"]
    assert "#EXT-X-STREAM-INF" in master and 'AUDIO="' in master
    # Each rendition's playlist and its segments are there.
    folder = private_storage().path(stored.video_hls.rsplit("/", 1)[0])
    for line in audio:
        uri = re.search(r'URI="([^"]+)"', line).group(1)
        playlist = open(f"{folder}/{uri}").read()
        assert "#EXT-X-ENDLIST" in playlist and ".ts" in playlist


def test_a_new_upload_replaces_the_old_package(session, organizer, video):
    streams.attach_video(session=session, actor=organizer, upload=upload_of(video))
    first = fresh(session).video_hls
    streams.attach_video(session=session, actor=organizer, upload=upload_of(video))
    second = fresh(session)
    assert second.video_hls and second.video_hls != first
    assert not private_storage().exists(first)
    assert private_storage().exists(second.video_file)


def test_a_package_of_a_replaced_upload_is_not_used(session, organizer, video, monkeypatch):
    # The job of the first upload runs only after a second upload: it prepares nothing for the stage.
    from summit.core import jobs

    queued = []
    monkeypatch.setattr(jobs, "submit", lambda task, *args, **kw: queued.append(args[0]))
    streams.attach_video(session=session, actor=organizer, upload=upload_of(video))
    streams.attach_video(session=session, actor=organizer, upload=upload_of(video))
    monkeypatch.undo()
    jobs.run(queued[0])
    assert fresh(session).video_hls == ""
    jobs.run(queued[1])
    assert fresh(session).video_hls


def test_playback_of_a_packaged_video_is_a_signed_address(session, organizer, video):
    scheduled_broadcast(session, organizer, video)
    stage = stage_of(session)
    stage.refresh_from_db()
    seen = {}

    def url(token, path):
        seen.update(token=token, path=path)
        return f"/m/{token}/{path}"

    playback = streams.playback(session, stage, media_url=url)
    assert playback.kind == "broadcast" and playback.source_type == "hls"
    assert seen["path"] == "master.m3u8"
    assert streams.media_folder(session, seen["token"]) == stage.video_hls.rsplit("/", 1)[0]
    assert streams.media_folder(session, seen["token"] + "x") is None
    other = make_session(session.event)
    assert streams.media_folder(other, seen["token"]) is None


def test_without_ffprobe_an_upload_is_refused_clearly(session, organizer, video, settings):
    settings.FFPROBE = "/nonexistent/ffprobe"
    with pytest.raises(ValidationFailed) as refused:
        streams.attach_video(session=session, actor=organizer, upload=upload_of(video))
    assert (refused.value.code, refused.value.field) == ("ffprobe_missing", "video")


def test_a_large_upload_spooled_to_disk_is_checked_in_place(session, organizer, video):
    from django.core.files.uploadedfile import TemporaryUploadedFile

    upload = TemporaryUploadedFile("talk.mp4", "video/mp4", video.stat().st_size, None)
    upload.write(video.read_bytes())
    upload.flush()
    stage = streams.attach_video(session=session, actor=organizer, upload=upload)
    assert stage.video_hls and private_storage().size(stage.video_file) == video.stat().st_size


def test_text_subtitles_become_webvtt_renditions(session, organizer, tmp_path):
    source = make_video(tmp_path / "subtitled.mp4", seconds=4, subtitles=("eng", "chi"))
    stage = streams.attach_video(session=session, actor=organizer, upload=upload_of(source))
    master = private_storage().open(stage.video_hls).read().decode()
    subtitles = [line for line in master.splitlines() if line.startswith("#EXT-X-MEDIA:TYPE=SUBTITLES")]
    assert sorted(re.search(r'LANGUAGE="([^"]+)"', line).group(1) for line in subtitles) == ["chi", "eng"]
    assert all(
        'SUBTITLES="subs"' in line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF")
    )
    folder = stage.video_hls.rsplit("/", 1)[0]
    vtt = private_storage().open(f"{folder}/subs0/subs.vtt").read().decode()
    mapping = re.match(r"WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:(\d+),LOCAL:00:00:00.000\n", vtt)
    assert mapping and int(mapping.group(1)) > 0  # where the video's segments start
    assert re.search(r"(00:)?00:01.000 --> (00:)?00:01.900\neng 1", vtt)


def test_an_uploaded_video_is_removed_with_its_files(
    session, organizer, video, django_capture_on_commit_callbacks
):
    streams.attach_video(session=session, actor=organizer, upload=upload_of(video))
    stored = fresh(session)
    assert private_storage().exists(stored.video_file) and private_storage().exists(stored.video_hls)
    with django_capture_on_commit_callbacks(execute=True):
        streams.remove_video(session=session, actor=organizer)
    after = fresh(session)
    assert (after.video_file, after.video_hls, after.video_seconds) == ("", "", None)
    assert not private_storage().exists(stored.video_file)
    assert not private_storage().exists(stored.video_hls)
    entry = AuditEntry.objects.get(action="stage.video_removed")
    assert entry.data == {"video": stored.video_file.rsplit("/", 1)[1]}
    with pytest.raises(ValidationFailed) as none_left:
        streams.remove_video(session=session, actor=organizer)
    assert none_left.value.code == "no_video"


def test_the_video_of_a_scheduled_broadcast_stays_until_it_has_another(session, organizer, video):
    scheduled_broadcast(session, organizer, video)
    with pytest.raises(ValidationFailed) as refused:
        streams.remove_video(session=session, actor=organizer)
    assert (refused.value.code, refused.value.field) == ("video_in_use", "video")
    assert fresh(session).video_hls  # nothing lost
    streams.save_stage(session=session, actor=organizer, video_url="https://cdn.example.org/talk.mp4")
    streams.remove_video(session=session, actor=organizer)
    assert fresh(session).video_file == ""
