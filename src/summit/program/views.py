"""Public program pages and the participant's own agenda.

Every change goes through :mod:`summit.program.services`; these views only read, call a service, and show
its answer. Booking forms carry an idempotency key made when the page is rendered, so a double click or a
re-sent POST books once. Times are shown in the event's time zone; ``program.js`` adds the viewer's own.
"""

from __future__ import annotations

import uuid
from itertools import groupby

from django import forms
from django.contrib import messages
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_POST

from summit.core.errors import NotFound, SummitError, as_id
from summit.core.http import base_url, posted_next, site_url
from summit.core.storage import file_response, private_storage
from summit.events.services import get_event
from summit.program import services
from summit.program.models import LANGUAGE_CHOICES, LANGUAGE_CODES, Booking, Forum, Session, Speaker, Talk
from summit.registration.models import Participant

MAX_POLLED_SESSIONS = 500
MODE_FILTERS = ("onsite", "online")


# --- helpers ------------------------------------------------------------------------------------------------


def _viewer(request, event) -> Participant | None:
    """The signed-in person's registration for this event, or None."""
    if not request.user.is_authenticated:
        return None
    return Participant.objects.filter(event=event, user=request.user).select_related("category").first()


def _own_participant(request, event) -> Participant:
    participant = _viewer(request, event)
    if participant is None:
        if not request.user.is_authenticated:
            raise NotFound(_("Please sign in with the link from your e-mail."))
        raise NotFound(_("You are not registered for this event."))
    return participant


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 11th ... (the suffix is translated: in Chinese 第1, 第2 ...)."""
    if number % 100 in (11, 12, 13):
        pattern = pgettext("ordinal 11, 12, 13", "{}th")
    else:
        pattern = [
            pgettext("ordinal 0", "{}th"),
            pgettext("ordinal 1", "{}st"),
            pgettext("ordinal 2", "{}nd"),
            pgettext("ordinal 3", "{}rd"),
            pgettext("ordinal 4", "{}th"),
            pgettext("ordinal 5", "{}th"),
            pgettext("ordinal 6", "{}th"),
            pgettext("ordinal 7", "{}th"),
            pgettext("ordinal 8", "{}th"),
            pgettext("ordinal 9", "{}th"),
        ][number % 10]
    return pattern.format(number)


def _with_ranks(bookings):
    """Annotate bookings with ``ahead``: how many are before them on their session's waitlist (one query)."""
    ahead = (
        Booking.objects.filter(
            session_id=OuterRef("session_id"),
            status=Booking.WAITLISTED,
            waitlist_position__lt=OuterRef("waitlist_position"),
        )
        .order_by()
        .values("session_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return bookings.annotate(ahead=Coalesce(Subquery(ahead, output_field=IntegerField()), 0))


def _describe(booking: Booking) -> None:
    """Add ``rank`` and ``rank_label`` ("3rd") to a booking annotated by :func:`_with_ranks`."""
    booking.rank = booking.ahead + 1 if booking.status == Booking.WAITLISTED else None
    booking.rank_label = ordinal(booking.rank) if booking.rank else ""


def _seat_info(session: Session) -> Session:
    """Free seats and full flags for a session annotated by ``services.with_counts``."""
    session.free = max(session.capacity - session.seats_taken, 0)
    session.is_full = session.capacity > 0 and session.free == 0
    session.online_full = (
        session.online and session.online_limit is not None and session.online_count >= session.online_limit
    )
    return session


def _language_labels(session: Session) -> list[str]:
    labels = dict(LANGUAGE_CHOICES)
    return [str(labels.get(code, code)) for code in session.languages or []]


def _feed_path(event, token: str) -> str:
    return reverse("schedule:agenda_feed", args=[event.slug, token])


def _tokens_url(event) -> str:
    return reverse("registration:my_tokens", args=[event.slug])


# On a phone the program's forums start folded (program.js) when it lists at least this many sessions.
COLLAPSE_FROM = 12


# --- the program --------------------------------------------------------------------------------------------


def _program_sessions(event):
    return (
        services.with_counts(Session.objects.filter(event=event))
        .select_related("forum", "forum__room", "room")
        .prefetch_related(
            Prefetch("talks", queryset=Talk.objects.order_by("order", "id").prefetch_related("speakers"))
        )
        .order_by("start", "forum__order", "forum_id", "id")
    )


def _filters(request) -> dict:
    topic = request.GET.get("topic", "")
    language = request.GET.get("language", "")
    mode = request.GET.get("mode", "")
    return {
        "topic": topic if topic in Forum.TOPIC_CODES else "",
        "language": language if language in LANGUAGE_CODES else "",
        "mode": mode if mode in MODE_FILTERS else "",
    }


@require_GET
def index(request, slug):
    event = get_event(slug)
    chosen = _filters(request)
    queryset = _program_sessions(event)
    if chosen["topic"]:
        queryset = queryset.filter(forum__topic=chosen["topic"])
    if chosen["mode"] == "onsite":
        queryset = queryset.filter(capacity__gt=0)
    elif chosen["mode"] == "online":
        queryset = queryset.filter(online=True)
    sessions = list(queryset)
    if chosen["language"]:  # a JSON list: filtered here, the same way on every database
        sessions = [s for s in sessions if chosen["language"] in (s.languages or [])]

    participant = _viewer(request, event)
    mine = {}
    if participant is not None:
        for booking in _with_ranks(
            Booking.objects.filter(
                participant=participant,
                status__in=Booking.ACTIVE,
                session_id__in=[s.pk for s in sessions],
            )
        ):
            _describe(booking)
            mine[booking.session_id] = booking

    tz = event.tz
    days = []
    for day, day_sessions in groupby(sessions, key=lambda s: timezone.localtime(s.start, tz).date()):
        forums: dict[int, dict] = {}
        for session in day_sessions:
            _seat_info(session)
            session.language_labels = _language_labels(session)
            session.my_booking = mine.get(session.pk)
            speakers = {}
            for talk in session.talks.all():
                for speaker in talk.speakers.all():
                    speakers.setdefault(speaker.pk, speaker)
            session.speaker_list = list(speakers.values())
            forums.setdefault(session.forum_id, {"forum": session.forum, "sessions": []})["sessions"].append(
                session
            )
        anchor = f"day-{day.isoformat()}"
        for group in forums.values():
            group["anchor"] = f"{anchor}-forum-{group['forum'].pk}"
        days.append(
            {
                "date": day,
                "anchor": anchor,
                "forums": sorted(forums.values(), key=lambda f: (f["forum"].order, f["forum"].pk)),
            }
        )

    return render(
        request,
        "program/index.html",
        {
            "event": event,
            "participant": participant,
            "days": days,
            "count": len(sessions),
            "collapse_from": COLLAPSE_FROM,
            "session_ids": ",".join(str(s.pk) for s in sessions[:MAX_POLLED_SESSIONS]),
            "chosen": chosen,
            "filtered": any(chosen.values()),
            "topic_choices": Forum.TOPIC_CHOICES,
            "language_choices": LANGUAGE_CHOICES,
        },
    )


@require_GET
def seats(request, slug):
    """Out-of-band fragments with the live seat counts of the listed sessions (one query). Opened as a page
    (not by htmx), it leads to the program, where the counts are shown."""
    if request.headers.get("HX-Request") != "true":
        return redirect("program:index", slug=slug)
    ids = []
    for raw in request.GET.get("ids", "").split(",")[:MAX_POLLED_SESSIONS]:
        pk = as_id(raw)
        if pk is not None:
            ids.append(pk)
    sessions = []
    if ids:
        sessions = [
            _seat_info(s)
            for s in services.with_counts(
                Session.objects.filter(event__slug=slug, pk__in=ids).only(
                    "pk", "capacity", "online", "online_limit", "status"
                )
            ).order_by("pk")
        ]
    response = render(request, "program/seats.html", {"sessions": sessions})
    response["Cache-Control"] = "no-store"
    return response


# --- one session --------------------------------------------------------------------------------------------


def _key() -> str:
    return uuid.uuid4().hex


@require_GET
def session_detail(request, slug, pk):
    event = get_event(slug)
    session = (
        services.with_counts(Session.objects.filter(event=event, pk=as_id(pk)))
        .select_related("event", "forum", "forum__room", "forum__host_organization", "room")
        .first()
    )
    if session is None:
        raise NotFound(_("There is no such session in this event."), code="session_not_found")
    _seat_info(session)
    session.language_labels = _language_labels(session)
    talks = list(
        Talk.objects.filter(session=session)
        .order_by("order", "id")
        .prefetch_related(Prefetch("speakers", queryset=Speaker.objects.order_by("name_latin", "name", "id")))
    )
    moderators = list(session.forum.moderators.all())

    participant = _viewer(request, event)
    booking = conflict = None
    cannot_book = ""
    if participant is not None:
        held = list(_with_ranks(services.active_bookings(participant)))
        for item in held:
            _describe(item)
            if item.session_id == session.pk:
                booking = item
        if booking is None:
            conflict = next((b for b in held if b.session.overlaps(session)), None)
        if participant.status != Participant.APPROVED:
            cannot_book = _(
                "Only approved participants can book sessions; your registration is “%(status)s”."
            ) % {"status": participant.get_status_display()}
    now = timezone.now()
    if session.is_cancelled:
        cannot_book = _("This session has been cancelled.")
    elif session.end <= now:
        cannot_book = _("This session is over.")

    can_seat = (
        participant is not None and participant.attendance_mode == Participant.ONSITE and session.capacity > 0
    )
    can_online = session.online and not session.online_full
    return render(
        request,
        "program/session.html",
        {
            "event": event,
            "session": session,
            "talks": talks,
            "moderators": moderators,
            "participant": participant,
            "booking": booking,
            "conflict": conflict,
            "cannot_book": cannot_book,
            "can_seat": can_seat,
            "can_online": can_online,
            "keys": {"seat": _key(), "waitlist": _key(), "online": _key()},
        },
    )


def _booked_message(booking: Booking, session: Session) -> str:
    if booking.status == Booking.WAITLISTED:
        return _(
            "You are %(rank)s on the waitlist of “%(session)s”. You get an e-mail if a seat frees up."
        ) % {
            "rank": ordinal(services.waitlist_rank(booking)),
            "session": session.tr_title,
        }
    if booking.mode == Booking.ONLINE:
        return _("You will join “%(session)s” online.") % {"session": session.tr_title}
    return _("Your seat in “%(session)s” is booked.") % {"session": session.tr_title}


@require_POST
def book(request, slug, pk):
    event = get_event(slug)
    session = services.get_session(event, pk)
    here = reverse("program:session", args=[event.slug, session.pk])
    if not request.user.is_authenticated:
        messages.error(request, _("Please sign in to book a session."))
        return redirect("registration:signin", slug=event.slug)
    participant = _viewer(request, event)
    if participant is None:
        messages.error(request, _("You are not registered for this event."))
        return redirect(here)
    replace = None
    if request.POST.get("replace"):
        # Even a place given up already: the same form sent again is answered with the switch it made
        # (the service refuses a switch from a place no longer held, unless it is that repeat).
        replace = Booking.objects.filter(pk=as_id(request.POST["replace"]), participant=participant).first()
        if replace is None:
            messages.error(request, _("The booking to switch from is no longer active."))
            return redirect(here)
    try:
        outcome = services.book(
            session=session,
            participant=participant,
            mode=request.POST.get("mode", ""),
            idempotency_key=request.POST.get("idempotency_key", ""),
            actor=request.user,
            join_waitlist=request.POST.get("join_waitlist") == "1",
            replace=replace,
            base_url=base_url(request),
        )
    except SummitError as exc:
        messages.error(request, exc.detail)
    else:
        booking = outcome.booking
        if outcome.replaced is not None:
            messages.info(
                request,
                _("You gave up your place in “%(session)s”.")
                % {"session": outcome.replaced.session.tr_title},
            )
        if booking.status in Booking.ACTIVE:
            messages.success(request, _booked_message(booking, session))
    return redirect(posted_next(request, here))


@require_POST
def cancel(request, slug, pk):
    event = get_event(slug)
    session = services.get_session(event, pk)
    here = reverse("program:session", args=[event.slug, session.pk])
    if not request.user.is_authenticated:
        return redirect("registration:signin", slug=event.slug)
    participant = _viewer(request, event)
    booking = (
        Booking.objects.filter(session=session, participant=participant, status__in=Booking.ACTIVE).first()
        if participant is not None
        else None
    )
    if booking is None:
        messages.info(request, _("You hold no place in this session."))
        return redirect(posted_next(request, here))
    try:
        services.cancel_booking(booking=booking, actor=request.user, base_url=base_url(request))
    except SummitError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            (
                _("You left the waitlist of “%(session)s”.")
                if booking.status == Booking.WAITLISTED  # the status before cancelling
                else _("Your place in “%(session)s” is cancelled.")
            )
            % {"session": session.tr_title},
        )
    return redirect(posted_next(request, here))


# --- my agenda ----------------------------------------------------------------------------------------------


@require_GET
def agenda(request, slug):
    event = get_event(slug)
    if not request.user.is_authenticated:
        return redirect("registration:signin", slug=event.slug)
    participant = _own_participant(request, event)
    bookings = list(_with_ranks(services.active_bookings(participant)))
    tz = event.tz
    days = []
    for day, items in groupby(bookings, key=lambda b: timezone.localtime(b.session.start, tz).date()):
        items = list(items)
        for booking in items:
            _describe(booking)
        days.append({"date": day, "bookings": items})
    feed = services.agenda_feed(participant=participant)
    feed_url = site_url(_feed_path(event, feed.token))
    return render(
        request,
        "program/agenda.html",
        {
            "event": event,
            "participant": participant,
            "days": days,
            "feed": feed,
            "feed_url": feed_url,
            "webcal_url": "webcal://" + feed_url.split("://", 1)[-1],
            "tokens_url": _tokens_url(event),
            "is_speaker": Speaker.objects.filter(event=event, participant=participant).exists(),
        },
    )


@require_POST
def renew_feed(request, slug):
    event = get_event(slug)
    participant = _own_participant(request, event)
    services.renew_agenda_feed(participant=participant, actor=request.user)
    messages.success(request, _("Your calendar link has been renewed. The old link no longer works."))
    return redirect("program:agenda", slug=event.slug)


# --- speakers -----------------------------------------------------------------------------------------------


class SpeakerProfileForm(forms.Form):
    bio_en = forms.CharField(
        label=gettext_lazy("Biography (English)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    bio_zh = forms.CharField(
        label=gettext_lazy("Biography (Chinese)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    photo = forms.FileField(
        label=gettext_lazy("Photo"),
        required=False,
        help_text=gettext_lazy("A JPEG or PNG image. Leave empty to keep the current photo."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


def speaker_profile(request, slug):
    event = get_event(slug)
    if not request.user.is_authenticated:
        return redirect("registration:signin", slug=event.slug)
    participant = _own_participant(request, event)
    speaker = (
        Speaker.objects.filter(event=event, participant=participant).select_related("participant").first()
    )
    if speaker is None:
        raise NotFound(_("You have no speaker profile at this event."))
    if request.method == "POST":
        form = SpeakerProfileForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.update_own_profile(
                    speaker=speaker,
                    actor=request.user,
                    bio_en=form.cleaned_data["bio_en"],
                    bio_zh=form.cleaned_data["bio_zh"],
                    photo=form.cleaned_data["photo"] or None,
                )
            except SummitError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
            else:
                messages.success(request, _("Your speaker profile has been saved."))
                return redirect("program:speaker_profile", slug=event.slug)
    else:
        form = SpeakerProfileForm(initial={"bio_en": speaker.bio_en, "bio_zh": speaker.bio_zh})
    talks = list(
        Talk.objects.filter(speakers=speaker).select_related("session").order_by("session__start", "order")
    )
    return render(
        request,
        "program/speaker_profile.html",
        {"event": event, "participant": participant, "speaker": speaker, "form": form, "talks": talks},
    )


@require_GET
def speaker_photo(request, slug, pk):
    """A speaker's photo, from private storage (public: session pages show it)."""
    speaker = Speaker.objects.filter(event__slug=slug, pk=pk).only("photo").first()
    if speaker is None or not speaker.photo:
        raise NotFound()
    try:
        handle = private_storage().open(speaker.photo, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise NotFound() from exc
    extension = speaker.photo.rsplit(".", 1)[-1].lower()
    content_type = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}.get(extension)
    if content_type is None:
        handle.close()
        raise NotFound()
    return file_response(
        handle, filename=f"speaker-{pk}.{extension}", content_type=content_type, cache="public, max-age=3600"
    )
