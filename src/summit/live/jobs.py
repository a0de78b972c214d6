"""The live app's background job: packaging an uploaded video to HLS for its scheduled broadcast.

ffmpeg re-encodes the video to H.264 with a key frame every segment and writes a master playlist with one
video rendition and every audio stream of the file as its own audio rendition (``EXT-X-MEDIA TYPE=AUDIO``
with the stream's ``LANGUAGE``), so the interpretation channels of a recording can be chosen in the player
like those of a live stream. Progress comes from ffmpeg's ``-progress`` output (the time written so far
against the video's length). The package lands in private storage under ``live/<session guid>/hls-…/``,
served by ``stream_views.media`` to viewers who may watch; a run that fails or is run again starts over in
a new folder and leaves nothing half-written in use.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import tempfile

from django.conf import settings
from django.utils.translation import gettext as _

from summit.core import jobs
from summit.core.errors import SummitError
from summit.core.storage import private_storage
from summit.events import roles
from summit.events.models import Event
from summit.live import streams
from summit.live.access import stage_of
from summit.program.models import Session

SEGMENT_SECONDS = 4
#: Subtitle formats ffmpeg turns into WebVTT (bitmap subtitles, DVD or Blu-ray, cannot be).
TEXT_SUBTITLES = {"mov_text", "subrip", "srt", "ass", "ssa", "webvtt", "text"}
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


class PackagingFailed(SummitError):
    code = "packaging_failed"


def organizer_of_the_event(job, user) -> bool:
    event = Event.objects.filter(pk=(job.args or {}).get("event")).first()
    return event is not None and roles.is_organizer(user, event)


def ffmpeg_command(source: str, folder: str, found: streams.Probe) -> list[str]:
    """The ffmpeg call that packages ``source`` into ``folder`` (master.m3u8, one folder per rendition)."""
    maps = ["-map", "0:v:0"]
    variants = ["v:0,agroup:audio,name:video" if found.audio else "v:0,name:video"]
    for n, track in enumerate(found.audio):
        maps += ["-map", f"0:a:{track['index']}"]
        spec = f"a:{n},agroup:audio,name:audio{n}"
        if LANGUAGE.match(track["language"] or ""):
            spec += f",language:{track['language']}"
        if n == 0:
            spec += ",default:yes"
        variants.append(spec)
    return [
        settings.FFMPEG,
        "-nostdin",
        "-v",
        "error",
        "-nostats",
        "-y",
        "-i",
        source,
        *maps,
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-force_key_frames",
        f"expr:gte(t,n_forced*{SEGMENT_SECONDS})",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-ac",
        "2",
        "-f",
        "hls",
        "-hls_time",
        str(SEGMENT_SECONDS),
        "-hls_playlist_type",
        "vod",
        "-hls_segment_filename",
        os.path.join(folder, "%v", "seg%05d.ts"),
        "-master_pl_name",
        "master.m3u8",
        "-var_stream_map",
        " ".join(variants),
        "-progress",
        "pipe:1",
        os.path.join(folder, "%v", "index.m3u8"),
    ]


def _add_subtitles(source: str, folder: str, found: streams.Probe) -> int:
    """Each text subtitle track of the video as a WebVTT rendition of the master playlist
    (``EXT-X-MEDIA TYPE=SUBTITLES`` with its language), one file per track; returns how many. A track
    ffmpeg cannot convert is left out."""
    tracks = [t for t in found.subtitles if t["codec"] in TEXT_SUBTITLES]
    if not tracks:
        return 0
    # Cue times count from the start of the video; the segments' clock starts where ffmpeg put it.
    start = _first_pts(os.path.join(folder, "video"))
    media = []
    for n, track in enumerate(tracks):
        sub = os.path.join(folder, f"subs{n}")
        os.makedirs(sub, exist_ok=True)
        vtt = os.path.join(sub, "subs.vtt")
        done = subprocess.run(
            [settings.FFMPEG, "-nostdin", "-v", "error", "-y", "-i", source]
            + ["-map", f"0:s:{track['index']}", "-c:s", "webvtt", "-f", "webvtt", vtt],
            capture_output=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0 or not os.path.exists(vtt):
            shutil.rmtree(sub, ignore_errors=True)
            continue
        with open(vtt, encoding="utf-8") as fh:
            text = fh.read()
        header, _sep, rest = text.partition("\n")
        with open(vtt, "w", encoding="utf-8") as fh:
            fh.write(f"{header}\nX-TIMESTAMP-MAP=MPEGTS:{start},LOCAL:00:00:00.000\n{rest}")
        seconds = max(1.0, found.seconds)
        with open(os.path.join(sub, "index.m3u8"), "w", encoding="utf-8") as fh:
            fh.write(
                "#EXTM3U\n#EXT-X-VERSION:3\n"
                f"#EXT-X-TARGETDURATION:{int(seconds) + 1}\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
                f"#EXTINF:{seconds:.3f},\nsubs.vtt\n#EXT-X-ENDLIST\n"
            )
        language = track["language"] if LANGUAGE.match(track["language"] or "") else ""
        attributes = f'TYPE=SUBTITLES,GROUP-ID="subs",NAME="{language or f"subtitles {n + 1}"}"'
        if language:
            attributes += f',LANGUAGE="{language}"'
        media.append(f'#EXT-X-MEDIA:{attributes},DEFAULT=NO,AUTOSELECT=YES,URI="subs{n}/index.m3u8"')
    if not media:
        return 0
    path = os.path.join(folder, "master.m3u8")
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    out, placed = [], False
    for line in lines:
        if line.startswith("#EXT-X-STREAM-INF:"):
            if not placed:
                out.extend(media)
                placed = True
            line += ',SUBTITLES="subs"'
        out.append(line)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out) + "\n")
    return len(media)


def _first_pts(video_folder: str) -> int:
    """The presentation time (90 kHz) at which the first video segment starts."""
    first = sorted(f for f in os.listdir(video_folder) if f.endswith(".ts"))[:1]
    if not first:
        return 0
    done = subprocess.run(
        [settings.FFPROBE, "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=start_pts"]
        + ["-of", "csv=p=0", os.path.join(video_folder, first[0])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = (done.stdout or "").split()
    value = lines[0].split(",")[0] if lines else ""
    return int(value) if value.isdigit() else 0


@jobs.job("live.package_video", access=organizer_of_the_event, max_attempts=2)
def package_video(ctx, *, session, source, event=None):
    session = Session.objects.select_related("event").filter(pk=session).first()
    if session is None or stage_of(session).video_file != source:
        # The session is gone, or another video was uploaded since: nothing to do.
        return {"counts": {_("Videos prepared"): 0}}
    storage = private_storage()
    found = streams.probe(storage.path(source))
    total = max(1, int(found.seconds))
    ctx.progress(0, total, message=_("Preparing the video for streaming"))
    name = f"live/{session.guid}/hls-{secrets.token_hex(6)}"
    folder = storage.path(name)
    os.makedirs(folder, exist_ok=True)
    taken = False
    try:
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(
                ffmpeg_command(storage.path(source), folder, found),
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
            try:
                for line in process.stdout:
                    key, _sep, value = line.strip().partition("=")
                    if key == "out_time_us" and value.lstrip("-").isdigit():
                        ctx.progress(min(total, max(0, int(value) // 1_000_000)), total)
                code = process.wait()
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            if code != 0 or not os.path.exists(os.path.join(folder, "master.m3u8")):
                errors.seek(0)
                last = errors.read().decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
                raise PackagingFailed(
                    _("The video could not be prepared for streaming (ffmpeg: %(error)s).")
                    % {"error": last[0][:200] or code}
                )
        _add_subtitles(storage.path(source), folder, found)
        master = f"{name}/master.m3u8"
        taken = streams.package_done(
            session_id=session.pk, source=source, master=master, seconds=found.seconds
        )
    finally:
        if not taken:
            shutil.rmtree(folder, ignore_errors=True)
    if taken:
        streams.remove_old_media(session, keep=(source, master))
    ctx.progress(total, total)
    return {
        "counts": {
            _("Videos prepared"): 1 if taken else 0,
            _("Minutes"): round(found.seconds / 60, 1),
            _("Audio tracks"): len(found.audio),
        }
    }
