"""Watching a session: the live room page with its player, the server clock the players synchronize a
broadcast to, the packaged video's files (for viewers who may watch only), and the organizers' "Live"
settings page of a session.

Changes go through :mod:`summit.live.streams`; its refusals show on the settings form's fields.
"""

from __future__ import annotations

import mimetypes
import os
import re
import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from summit.core.errors import SummitError
from summit.core.middleware import large_upload
from summit.core.storage import FILE_CSP, private_storage
from summit.events import roles
from summit.events.services import get_event
from summit.live import streams
from summit.live.access import stage_of
from summit.live.models import Stage
from summit.program import services as program_services
from summit.program.forms import EventDateTimeField, ServiceErrorsMixin
from summit.program.models import Session

#: A file of a package: folders and names made of safe characters, never ``..``.
MEDIA_PATH = re.compile(r"^(?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_-]+\.(?:m3u8|ts|m4s|mp4|aac|vtt)$")
MEDIA_TYPES = {
    "m3u8": "application/vnd.apple.mpegurl",
    "ts": "video/mp2t",
    "m4s": "video/iso.segment",
    "mp4": "video/mp4",
    "aac": "audio/aac",
    "vtt": "text/vtt",
}


def _session(event, pk) -> Session:
    return program_services.get_session(event, pk)


# --- the live room ---------------------------------------------------------------------------------------


def _media_url(event, session):
    def url(token: str, path: str) -> str:
        return reverse("live_stream:media", args=[event.slug, session.pk, token, path])

    return url


def _why_not(event, session, person) -> str:
    """Why ``person`` may not watch, for the message in place of the player."""
    if session.is_cancelled:
        return "cancelled"
    if person.user is None:
        return "signin"
    if person.participant is None:
        return "not_registered"
    if not person.approved:
        return "not_approved"
    return "book"


def csp_for(playback: streams.Playback) -> dict:
    """The additions to the page's Content-Security-Policy its player needs: the embedded platform's
    origin as a frame; an outside stream's origin for loading and playing (nothing for our own files);
    for HLS, ``data:`` media, the empty caption tracks hls.js adds to the video."""
    if not playback.source:
        return {}
    update: dict[str, list[str]] = {}
    if playback.source_type == "hls":
        update["media-src"] = ["data:"]
    if playback.source.startswith("/"):
        return update
    origin = streams.origin_of(playback.source)
    if playback.source_type == "embed":
        return {"frame-src": [origin]}
    update["connect-src"] = [origin]
    update["media-src"] = [*update.get("media-src", []), origin]
    return update


def player_context(event, session, person) -> tuple[dict, dict]:
    """What the live room page (``live.views.room``) needs for its player, and the additions to the page's
    Content-Security-Policy that player needs."""
    stage = stage_of(session)
    playback = (
        streams.playback(session, stage, media_url=_media_url(event, session)) if person.can_watch else None
    )
    context = {
        "stage": stage,
        "playback": playback,
        "why_not": None if person.can_watch else _why_not(event, session, person),
        "is_organizer": person.organizer,
    }
    return context, (csp_for(playback) if playback else {})


@never_cache
@require_GET
def clock(request):
    """The server's time in milliseconds since the epoch: players measure their clock against it."""
    return JsonResponse({"now": int(time.time() * 1000)})


@require_GET
def media(request, slug, pk, token, path):
    """A file of a session's packaged video, under a signed address the room page gave someone who may
    watch (see ``streams.media_token``): anything else is 404."""
    event = get_event(slug)
    session = _session(event, pk)
    folder = streams.media_folder(session, token)
    if folder is None or not MEDIA_PATH.match(path):
        raise Http404
    storage = private_storage()
    full = os.path.realpath(storage.path(f"{folder}/{path}"))
    root = os.path.realpath(storage.path(folder))
    if not full.startswith(root + os.sep) or not os.path.isfile(full):
        raise Http404
    extension = path.rsplit(".", 1)[1]
    response = FileResponse(
        open(full, "rb"), content_type=MEDIA_TYPES.get(extension) or mimetypes.guess_type(full)[0]
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    # A package never changes (a new upload is a new folder): segments may be kept, privately.
    response["Cache-Control"] = "private, max-age=86400"
    return response


# --- the organizers' settings page -----------------------------------------------------------------------


class StageForm(ServiceErrorsMixin, forms.Form):
    access = forms.ChoiceField(label=gettext_lazy("Who may watch"), choices=Stage.ACCESS_CHOICES)
    stream_kind = forms.ChoiceField(
        label=gettext_lazy("Stream"), choices=Stage.STREAM_CHOICES, widget=forms.RadioSelect
    )
    stream_url = forms.CharField(
        label=gettext_lazy("HLS address (.m3u8)"),
        required=False,
        max_length=streams.URL_MAX,
        help_text=gettext_lazy("The address of a live HLS stream, starting with https://."),
        widget=forms.URLInput(attrs={"spellcheck": "false"}),
    )
    embed_url = forms.CharField(
        label=gettext_lazy("Embed address"),
        required=False,
        max_length=streams.URL_MAX,
        help_text=gettext_lazy("The player address a streaming platform gives for embedding."),
        widget=forms.URLInput(attrs={"spellcheck": "false"}),
    )
    video = forms.FileField(
        label=gettext_lazy("Upload a video"),
        required=False,
        help_text=gettext_lazy(
            "A recording to broadcast at the set time. Every audio track is kept as a language to choose."
        ),
    )
    video_url = forms.CharField(
        label=gettext_lazy("…or the video's address (.m3u8 or .mp4)"),
        required=False,
        max_length=streams.URL_MAX,
        widget=forms.URLInput(attrs={"spellcheck": "false"}),
    )
    replay = forms.BooleanField(label=gettext_lazy("Offer a replay after the broadcast"), required=False)
    qa = forms.BooleanField(label=gettext_lazy("Questions"), required=False)
    qa_moderated = forms.BooleanField(label=gettext_lazy("Questions wait for a moderator"), required=False)
    chat = forms.BooleanField(label=gettext_lazy("Chat"), required=False)

    def __init__(self, *args, event, stage, **kwargs):
        kwargs.setdefault(
            "initial",
            {name: getattr(stage, name) for name in streams.FIELDS},
        )
        super().__init__(*args, **kwargs)
        self.fields["broadcast_start"] = EventDateTimeField(
            tz=event.tz,
            label=_("Broadcast starts"),
            required=False,
            help_text=_("In the event's time zone (%(zone)s).") % {"zone": event.tr_time_zone},
        )
        self.order_fields(
            ["access", "stream_kind", "stream_url", "embed_url", "video", "video_url", "broadcast_start"]
        )

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in streams.FIELDS}


@large_upload("MAX_VIDEO_BYTES")
@require_http_methods(["GET", "POST"])
def stage_settings(request, slug, pk):
    event = roles.organizer_event(request, slug)
    session = _session(event, pk)
    stage = stage_of(session)
    if request.method == "POST":
        form = StageForm(request.POST, request.FILES, event=event, stage=stage)
        if form.is_valid():
            try:
                streams.save_stage(
                    session=session,
                    actor=request.user,
                    video=form.cleaned_data.get("video"),
                    **form.service_data(),
                )
            except SummitError as exc:
                if exc.status == 404:
                    raise
                form.apply_error(exc)
            else:
                messages.success(request, _("The live settings have been saved."))
                return redirect("live_stream:settings", slug=event.slug, pk=session.pk)
    else:
        form = StageForm(event=event, stage=stage)
    stage.refresh_from_db()
    return render(
        request,
        "live/stage_form.html",
        {
            "event": event,
            "session": session,
            "stage": stage,
            "form": form,
            "section": "program",
            "program_page": "sessions",
            "is_organizer": True,
            "job": stage.package_job,
            "max_video": settings.MAX_VIDEO_BYTES,
        },
        status=422 if form.errors else 200,
    )


@require_POST
def remove_video(request, slug, pk):
    """The settings page's "Remove the video" (organizers; 404 for anyone else)."""
    event = roles.organizer_event(request, slug)
    session = _session(event, pk)
    try:
        streams.remove_video(session=session, actor=request.user)
    except SummitError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("The uploaded video has been removed."))
    return redirect("live_stream:settings", slug=event.slug, pk=session.pk)
