"""What a session streams or broadcasts: the stage's settings, the uploaded video, and what a viewer's
player is given.

Every change goes through :func:`save_stage` (the back office, the API); :func:`attach_video` takes an
uploaded video: checked by its content with ffprobe (a file that is not a video is refused, whatever its
name), stored in private storage and packaged to HLS by the ``live.package_video`` job (``live/jobs.py``).

A packaged video is served by ``stream_views.media`` under a signed address (:func:`media_token`) that is
handed only to viewers who may watch; playlists name their segments relatively, so the one token covers
them all. A new upload gives new folder names, so older addresses stop working.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from summit.core import audit, jobs
from summit.core.errors import ValidationFailed
from summit.core.locking import write_transaction
from summit.core.storage import private_storage
from summit.live.access import stage_of
from summit.live.models import Stage
from summit.program.models import Session

#: The fields ``save_stage`` takes (the packaged video's fields are the job's).
FIELDS = (
    "access",
    "stream_kind",
    "stream_url",
    "embed_url",
    "video_url",
    "broadcast_start",
    "replay",
    "qa",
    "qa_moderated",
    "chat",
)
BOOLEANS = ("replay", "qa", "qa_moderated", "chat")
URL_MAX = 500
#: Formats ffprobe reads from a still image: a picture is not a video even though it has a "video" stream.
IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "gif", "webp_pipe", "bmp_pipe", "svg_pipe", "tiff_pipe"}
PROBE_SECONDS = 120
MEDIA_SALT = "summit.live.media"


# --- checking --------------------------------------------------------------------------------------------


def _http_url(value, field: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > URL_MAX:
        raise ValidationFailed(
            _("The address is too long (at most %(max)d characters).") % {"max": URL_MAX},
            code="too_long",
            field=field,
        )
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(
            _("Enter an address that starts with https:// (or http://)."), code="bad_url", field=field
        )
    if any(ch.isspace() for ch in value) or parts.username or parts.password:
        raise ValidationFailed(_("This address is not valid."), code="bad_url", field=field)
    return value


def embed_host_allowed(host: str) -> bool:
    host = (host or "").lower().rstrip(".")
    return any(host == allowed or host.endswith("." + allowed) for allowed in settings.EMBED_HOSTS)


def origin_of(url: str) -> str:
    """``https://host[:port]`` of an address (what a Content-Security-Policy names)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _check(stage: Stage, data: dict, *, video_coming: bool) -> dict:
    """The cleaned changes, or ValidationFailed naming the field (several fields: ``errors``)."""
    clean: dict = {}
    problems: list[ValidationFailed] = []

    def attempt(field, fn):
        if field not in data:
            return
        try:
            clean[field] = fn(data[field])
        except ValidationFailed as exc:
            problems.append(exc)

    def choice(field, choices):
        def check(value):
            if value not in {c[0] for c in choices}:
                raise ValidationFailed(_("Choose one of the offered values."), code="bad_choice", field=field)
            return value

        return check

    def embed(value):
        url = _http_url(value, "embed_url")
        if url and not embed_host_allowed(urlsplit(url).hostname or ""):
            raise ValidationFailed(
                _("Videos from %(host)s cannot be embedded. Allowed platforms: %(hosts)s.")
                % {"host": urlsplit(url).hostname, "hosts": ", ".join(settings.EMBED_HOSTS)},
                code="embed_host",
                field="embed_url",
            )
        return url

    def video(value):
        url = _http_url(value, "video_url")
        if url and not urlsplit(url).path.lower().endswith((".m3u8", ".mp4")):
            raise ValidationFailed(
                _("The video address must end in .m3u8 (HLS) or .mp4."), code="video_url", field="video_url"
            )
        return url

    def start(value):
        if value in (None, ""):
            return None
        if not isinstance(value, datetime):
            raise ValidationFailed(_("Enter a date and time."), code="bad_datetime", field="broadcast_start")
        if timezone.is_naive(value):
            value = timezone.make_aware(value, stage.session.event.tz)
        return value

    def boolean(field):
        def check(value):
            if not isinstance(value, bool):
                raise ValidationFailed(_("Enter yes or no."), code="bad_boolean", field=field)
            return value

        return check

    attempt("access", choice("access", Stage.ACCESS_CHOICES))
    attempt("stream_kind", choice("stream_kind", Stage.STREAM_CHOICES))
    attempt("stream_url", lambda v: _http_url(v, "stream_url"))
    attempt("embed_url", embed)
    attempt("video_url", video)
    attempt("broadcast_start", start)
    for name in BOOLEANS:
        attempt(name, boolean(name))

    if not problems:
        merged = {name: clean.get(name, getattr(stage, name)) for name in FIELDS}
        kind = merged["stream_kind"]
        if kind == Stage.HLS and not merged["stream_url"]:
            problems.append(
                ValidationFailed(
                    _("Enter the address of the HLS stream (.m3u8)."), code="required", field="stream_url"
                )
            )
        if kind == Stage.EMBED and not merged["embed_url"]:
            problems.append(
                ValidationFailed(
                    _("Enter the address of the player to embed."), code="required", field="embed_url"
                )
            )
        if kind == Stage.BROADCAST:
            if not merged["broadcast_start"]:
                problems.append(
                    ValidationFailed(
                        _("Enter when the broadcast starts."), code="required", field="broadcast_start"
                    )
                )
            if not (merged["video_url"] or stage.video_file or video_coming):
                problems.append(
                    ValidationFailed(
                        _("Upload a video or enter its address."), code="required", field="video_url"
                    )
                )
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ValidationFailed(
            problems[0].detail,
            code=problems[0].code,
            field=problems[0].field,
            errors=[{"field": p.field, "code": p.code, "detail": str(p.detail)} for p in problems],
        )
    return clean


@dataclass
class Probe:
    """What ffprobe found in a video file."""

    seconds: float
    video_codec: str
    audio: list[dict]  # {"index": n within the audio streams, "language": "eng" or ""}
    subtitles: list[dict]


def probe(path: str, *, field: str = "video") -> Probe:
    """Read a file with ffprobe; anything that is not a playable video raises ValidationFailed
    (``not_video``)."""
    refused = ValidationFailed(
        _("This file is not a video that can be broadcast (no video track was found in it)."),
        code="not_video",
        field=field,
    )
    try:
        done = subprocess.run(
            [
                settings.FFPROBE,
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
                path,
            ],
            capture_output=True,
            timeout=PROBE_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise refused from None
    except OSError:
        raise ValidationFailed(
            _(
                "Videos cannot be checked on this server (ffprobe is missing). Tell the site's administrators."
            ),
            code="ffprobe_missing",
            field=field,
        ) from None
    if done.returncode != 0:
        raise refused
    try:
        info = json.loads(done.stdout or b"{}")
    except ValueError:
        raise refused from None
    fmt = info.get("format") or {}
    if set((fmt.get("format_name") or "").split(",")) & IMAGE_FORMATS:
        raise refused
    streams = info.get("streams") or []
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    try:
        seconds = float(fmt.get("duration") or 0)
    except ValueError:
        seconds = 0.0
    if not videos or seconds <= 0:
        raise refused

    def language(s):
        return ((s.get("tags") or {}).get("language") or "").strip().lower()[:8]

    audio = [
        {"index": n, "language": "" if language(s) == "und" else language(s)}
        for n, s in enumerate(s for s in streams if s.get("codec_type") == "audio")
    ]
    subtitles = [
        {"index": n, "language": language(s), "codec": s.get("codec_name") or ""}
        for n, s in enumerate(s for s in streams if s.get("codec_type") == "subtitle")
    ]
    return Probe(
        seconds=seconds, video_codec=videos[0].get("codec_name") or "", audio=audio, subtitles=subtitles
    )


def _check_video(upload) -> tuple[str | None, str, Probe]:
    """Size and content of an uploaded video: (a temporary copy the caller removes, or None; the path of
    the video's bytes; what ffprobe found)."""
    limit = settings.MAX_VIDEO_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationFailed(
            _("The video is too large (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="file_too_large",
            field="video",
        )
    if not upload.size:
        raise ValidationFailed(_("The file is empty."), code="file_empty", field="video")
    if hasattr(upload, "temporary_file_path"):
        # A large upload Django already spooled to disk: probe that file, no second copy.
        return None, upload.temporary_file_path(), probe(upload.temporary_file_path())
    handle, path = tempfile.mkstemp(prefix="summit-video-")
    try:
        with os.fdopen(handle, "wb") as out:
            upload.seek(0)
            for chunk in upload.chunks():
                out.write(chunk)
        return path, path, probe(path)
    except BaseException:
        os.unlink(path)
        raise


# --- changing -------------------------------------------------------------------------------------------


def save_stage(*, session: Session, actor, video=None, **fields) -> Stage:
    """Change a session's live settings (any of :data:`FIELDS`); ``video``: an uploaded file to broadcast
    (see :func:`attach_video`). Records ``stage.updated`` with the changed fields."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown field: %(name)s.") % {"name": sorted(unknown)[0]},
            code="unknown_field",
            field=sorted(unknown)[0],
        )
    stage = stage_of(session)
    clean = _check(stage, fields, video_coming=video is not None)
    temporary, source, found = (None, None, None)
    if video is not None:
        temporary, source, found = _check_video(video)
    stored = None
    try:
        if source is not None:
            # Copied before the transaction: a video of gigabytes never holds the stage's lock.
            stored = _store_source(session, source, found)
        with write_transaction():
            stage = Stage.objects.select_for_update().get(pk=stage.pk)
            changed = {name: value for name, value in clean.items() if getattr(stage, name) != value}
            for name, value in changed.items():
                setattr(stage, name, value)
            if source is not None:
                changed["video"] = os.path.basename(stored)
                stage.video_file = stored
                stage.video_hls = ""  # the older package plays no more; the new one once ready
                stage.video_seconds = found.seconds
            if changed:
                stage.save()
                if source is not None:
                    # Started once the stage names its new source (the job checks it still does).
                    stage.package_job = jobs.enqueue(
                        "live.package_video",
                        args={"session": session.pk, "source": stored, "event": session.event_id},
                        owner=actor,
                        scope=f"event:{session.event_id}",
                        label=_("Preparing the video of “%(title)s”") % {"title": session.tr_title},
                    )
                    Stage.objects.filter(pk=stage.pk).update(package_job=stage.package_job)
                audit.record(
                    actor=actor,
                    action="stage.updated",
                    obj=stage,
                    event=session.event,
                    data={"fields": sorted(changed), **{k: _plain(v) for k, v in changed.items()}},
                )
    except BaseException:
        if stored:
            private_storage().delete(stored)
        raise
    finally:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
    if video is not None:
        stage.refresh_from_db()  # the package job may have run already (the eager backend)
    session._live_stage = stage
    return stage


def attach_video(*, session: Session, actor, upload, **fields) -> Stage:
    """Take an uploaded video for the session's broadcast (and any other changes): checked by content,
    stored privately, packaged to HLS in the background (``stage.package_job``)."""
    return save_stage(session=session, actor=actor, video=upload, **fields)


def remove_video(*, session: Session, actor) -> Stage:
    """Remove the session's uploaded video: the stage forgets it and its files (the source and every
    package) are deleted once that is committed. Refused while a scheduled broadcast has no other video
    (its address), and when there is none. Records ``stage.video_removed``."""
    with write_transaction():
        stage = Stage.objects.select_for_update().get(pk=stage_of(session).pk)
        if not stage.video_file:
            raise ValidationFailed(_("There is no uploaded video."), code="no_video", field="video")
        if stage.stream_kind == Stage.BROADCAST and not stage.video_url:
            raise ValidationFailed(
                _(
                    "The broadcast plays this video: enter another video address or choose another stream first."
                ),
                code="video_in_use",
                field="video",
            )
        removed = os.path.basename(stage.video_file)
        stage.video_file = ""
        stage.video_hls = ""  # a package job still running finds the stage no longer names its source
        stage.video_seconds = None
        stage.save()
        audit.record(
            actor=actor, action="stage.video_removed", obj=stage, event=session.event, data={"video": removed}
        )
        transaction.on_commit(lambda: remove_old_media(session, keep=()))
    session._live_stage = stage
    return stage


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _store_source(session: Session, temporary: str, found: Probe) -> str:
    storage = private_storage()
    name = f"live/{session.guid}/source-{os.urandom(6).hex()}"
    path = storage.path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copyfile(temporary, path)
    return name


def remove_old_media(session: Session, keep: tuple[str, ...]) -> None:
    """Delete a session's stored sources and packages other than ``keep`` (names in private storage)."""
    root = private_storage().path(f"live/{session.guid}")
    if not os.path.isdir(root):
        return
    kept = {name.split("/")[2] for name in keep if name.count("/") >= 2}
    for entry in os.listdir(root):
        if entry in kept:
            continue
        target = os.path.join(root, entry)
        if os.path.isdir(target):
            shutil.rmtree(target, ignore_errors=True)
        else:
            os.unlink(target)


# --- what the player is given --------------------------------------------------------------------------


def media_token(session: Session, stage: Stage) -> str:
    """A signed token for the session's packaged video (valid ``LIVE_MEDIA_HOURS``)."""
    folder = stage.video_hls.split("/")[2] if stage.video_hls.count("/") >= 3 else ""
    return signing.TimestampSigner(salt=MEDIA_SALT).sign(f"{session.pk}.{folder}")


def media_folder(session: Session, token: str) -> str | None:
    """The folder a token opens (``live/<guid>/<package>``), or None when it is forged, expired or for an
    older package."""
    try:
        value = signing.TimestampSigner(salt=MEDIA_SALT).unsign(
            token, max_age=settings.LIVE_MEDIA_HOURS * 3600
        )
    except signing.BadSignature:
        return None
    pk, _sep, folder = value.partition(".")
    if pk != str(session.pk) or not folder:
        return None
    stage = stage_of(session)
    if not stage.video_hls.startswith(f"live/{session.guid}/{folder}/"):
        return None
    return f"live/{session.guid}/{folder}"


@dataclass
class Playback:
    """What the player on a page needs (``live/player.html``)."""

    kind: str  # none / hls / embed / broadcast
    source: str  # the address to play or embed
    source_type: str  # hls / mp4 / embed / ""
    start: datetime | None  # a broadcast's instant, else the session's start
    seconds: float | None  # a broadcast's length when known
    preparing: bool  # an uploaded video still being packaged
    failed: bool  # its packaging failed
    replay: bool

    @property
    def start_ms(self) -> int | None:
        return int(self.start.timestamp() * 1000) if self.start else None


def playback(session: Session, stage: Stage, *, media_url) -> Playback:
    """The stream of a session as the player plays it. ``media_url(token, path)`` gives the address of a
    packaged file."""
    kind, source, source_type, preparing, failed = stage.stream_kind, "", "", False, False
    seconds = None
    if kind == Stage.HLS and stage.stream_url:
        source, source_type = stage.stream_url, "hls"
    elif kind == Stage.EMBED and stage.embed_url:
        source, source_type = stage.embed_url, "embed"
    elif kind == Stage.BROADCAST:
        if stage.video_url:
            source = stage.video_url
            source_type = "hls" if urlsplit(source).path.lower().endswith(".m3u8") else "mp4"
        elif stage.video_hls:
            token = media_token(session, stage)
            source, source_type = media_url(token, stage.video_hls.split("/", 3)[3]), "hls"
            seconds = stage.video_seconds
        elif stage.video_file:
            job = stage.package_job
            failed = job is not None and job.state == job.FAILED
            preparing = not failed
    if not source and not preparing and not failed:
        kind = Stage.NONE
    start = stage.broadcast_start if kind == Stage.BROADCAST else session.start
    return Playback(
        kind=kind,
        source=source,
        source_type=source_type,
        start=start,
        seconds=seconds,
        preparing=preparing,
        failed=failed,
        replay=stage.replay,
    )


def package_done(*, session_id: int, source: str, master: str, seconds: float) -> bool:
    """The job's last step: the stage plays the package ``master`` of ``source`` (unless another video
    was uploaded meanwhile, then it is thrown away). Returns whether it was taken."""
    with transaction.atomic():
        stage = Stage.objects.select_for_update().filter(session_id=session_id).first()
        if stage is None or stage.video_file != source:
            return False
        stage.video_hls = master
        stage.video_seconds = seconds
        stage.save(update_fields=["video_hls", "video_seconds", "updated_at"])
    return True
