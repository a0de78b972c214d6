"""The program back office: forums, sessions, speakers and talks, and who holds a place in each session.

Like the accreditation back office, every view starts with the event and the role check, and a person
without the role gets 404. Organizers edit the program; accreditation officers may look at the sessions
and their booking lists, nothing else. Every change goes through :mod:`summit.program.services`; a
service's error shows on the form (or as a message), never as a 500.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from summit.core.errors import NotFound, SummitError, as_id
from summit.core.http import base_url
from summit.events import roles
from summit.events.services import get_event
from summit.program import services
from summit.program.forms import CancelSessionForm, ForumForm, SessionForm, SpeakerForm, TalkForm
from summit.program.models import Booking, Forum, Session, Speaker, Talk
from summit.registration import services as registration_services
from summit.registration.models import InvitationCode, Participant
from summit.registration.services import filter_participants

SEARCH_LIMIT = 20
REASON_MAX = 2000


def _viewer_event(request, slug):
    """Organizers and accreditation officers: the sessions and their booking lists."""
    event = get_event(slug)
    roles.require(roles.can_accredit(request.user, event))
    return event


def _context(request, event, page: str, **extra) -> dict:
    return {
        "event": event,
        "section": "program",
        "program_page": page,
        "is_organizer": roles.is_organizer(request.user, event),
        **extra,
    }


def _get(queryset, pk):
    obj = queryset.filter(pk=as_id(pk)).first() if as_id(pk) else None
    if obj is None:
        raise NotFound()
    return obj


def _post(request):
    return request.POST if request.method == "POST" else None


def _files(request):
    return request.FILES if request.method == "POST" else None


def _maybe_url(name: str, **kwargs) -> str | None:
    """The address of a page that may not exist (yet): None instead of an error."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _local_day_bounds(day: date, tz) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


# --- back-office home ----------------------------------------------------------------------------------------


def home(request, slug):
    """``/events/<slug>/manage/``: the event's figures and a link to every back-office area the viewer may use.

    Organizers and accreditation officers (who see the participants and the sessions, not the program's
    editing pages nor the API tokens); anyone else gets 404 like every back-office page.
    """
    event = _viewer_event(request, slug)
    is_organizer = roles.is_organizer(request.user, event)
    people = registration_services.overview(event)
    labels = dict(Participant.STATUS_CHOICES)
    modes = dict(Participant.MODE_CHOICES)
    return render(
        request,
        "program/manage/home.html",
        {
            "event": event,
            "section": "home",
            "is_organizer": is_organizer,
            "people": people,
            "status_rows": [
                {"code": code, "label": labels[code], "count": n} for code, n in people["status"].items()
            ],
            "mode_rows": [
                {"code": code, "label": modes[code], "count": n} for code, n in people["by_mode"].items()
            ],
            "program": services.overview(event),
            "invitations": InvitationCode.objects.filter(event=event).count(),
            "forums": Forum.objects.filter(event=event).count() if is_organizer else None,
            "speakers": Speaker.objects.filter(event=event).count() if is_organizer else None,
        },
    )


# --- sessions overview ----------------------------------------------------------------------------------------


def session_list(request, slug):
    event = _viewer_event(request, slug)
    tz = event.tz
    forums = list(Forum.objects.filter(event=event))
    days = sorted(
        {
            timezone.localtime(start, tz).date()
            for start in Session.objects.filter(event=event).values_list("start", flat=True)
        }
    )
    queryset = services.with_counts(Session.objects.filter(event=event).select_related("forum", "room"))
    # A filter that names no forum or no date (an old link, a deleted forum) is dropped with a note, so
    # the selects always show what the list is filtered by.
    errors = []
    chosen_forum = (request.GET.get("forum") or "").strip()
    if chosen_forum:
        forum = next((f for f in forums if str(f.pk) == chosen_forum), None)
        if forum is None:
            errors.append(
                _("There is no such forum (it may have been deleted), so sessions of all forums are shown.")
            )
            chosen_forum = ""
        else:
            queryset = queryset.filter(forum=forum)
    chosen_day = (request.GET.get("day") or "").strip()
    if chosen_day:
        try:
            day = date.fromisoformat(chosen_day)
        except ValueError:
            errors.append(
                _("“%(value)s” is not a date, so sessions of all days are shown.")
                % {"value": chosen_day[:40]}
            )
            chosen_day = ""
        else:
            chosen_day = day.isoformat()
            if day not in days:  # a day without sessions: still the one the select shows
                days = sorted([*days, day])
            start, end = _local_day_bounds(day, tz)
            queryset = queryset.filter(start__gte=start, start__lt=end)
    sessions = list(queryset.order_by("start", "forum__order", "forum_id", "id"))

    by_day: dict[date, dict[int, list[Session]]] = {}
    for session in sessions:
        session.bookings_csv = _maybe_url("schedule:bookings_csv", slug=event.slug, pk=session.pk)
        session.bookings_xlsx = _maybe_url("schedule:bookings_xlsx", slug=event.slug, pk=session.pk)
        local_day = timezone.localtime(session.start, tz).date()
        by_day.setdefault(local_day, {}).setdefault(session.forum_id, []).append(session)
    groups = [
        {
            "day": day,
            "forums": [
                {"forum": rows[0].forum, "sessions": rows}
                for rows in sorted(
                    forum_rows.values(), key=lambda rows: (rows[0].forum.order, rows[0].forum_id)
                )
            ],
        }
        for day, forum_rows in sorted(by_day.items())
    ]
    return render(
        request,
        "program/manage/sessions.html",
        _context(
            request,
            event,
            "sessions",
            groups=groups,
            count=len(sessions),
            forums=forums,
            days=days,
            chosen_forum=chosen_forum,
            chosen_day=chosen_day,
            errors=errors,
            sessions_csv=_maybe_url("schedule:sessions_csv", slug=event.slug),
            sessions_xlsx=_maybe_url("schedule:sessions_xlsx", slug=event.slug),
        ),
    )


# --- who holds a place in a session ---------------------------------------------------------------------------


def session_people(request, slug, pk):
    event = _viewer_event(request, slug)
    session = services.get_session(event, pk)
    counted = services.with_counts(Session.objects.filter(pk=session.pk)).get()
    bookings = list(
        Booking.objects.filter(session=session, status__in=Booking.ACTIVE)
        .select_related("participant", "participant__organization")
        .order_by("created_at", "id")
    )
    onsite = [b for b in bookings if b.status == Booking.BOOKED and b.mode == Booking.ONSITE]
    online = [b for b in bookings if b.status == Booking.BOOKED and b.mode == Booking.ONLINE]
    waitlist = sorted(
        (b for b in bookings if b.status == Booking.WAITLISTED),
        key=lambda b: (b.waitlist_position or 0, b.pk),
    )
    for rank, booking in enumerate(waitlist, start=1):
        booking.rank = rank
    lists = [{"key": "onsite", "title": _("On-site seats"), "bookings": onsite}]
    if session.online or online:  # no empty online list for a session that offers no online places
        lists.append({"key": "online", "title": _("Online"), "bookings": online})
    lists.append({"key": "waitlist", "title": _("Waitlist"), "bookings": waitlist})
    return render(
        request,
        "program/manage/session.html",
        _context(
            request,
            event,
            "sessions",
            session=session,
            counted=counted,
            lists=lists,
            bookings_csv=_maybe_url("schedule:bookings_csv", slug=event.slug, pk=session.pk),
            bookings_xlsx=_maybe_url("schedule:bookings_xlsx", slug=event.slug, pk=session.pk),
        ),
    )


@require_POST
def remove_booking(request, slug, pk, booking_pk):
    event = roles.organizer_event(request, slug)
    session = services.get_session(event, pk)
    booking = _get(Booking.objects.filter(session=session).select_related("participant"), booking_pk)
    target = reverse("program_manage:session", args=[event.slug, session.pk])
    reason = (request.POST.get("reason") or "").strip()
    if not reason:
        messages.error(request, _("Give a reason for removing a booking."))
        return redirect(target)
    if len(reason) > REASON_MAX:
        messages.error(request, _("The reason is too long (at most 2,000 characters)."))
        return redirect(target)
    try:
        cancelled = services.cancel_booking(
            booking=booking, actor=request.user, reason=reason, base_url=base_url(request)
        )
    except SummitError as exc:
        messages.error(request, exc.detail)
        return redirect(target)
    messages.success(
        request,
        _("%(name)s no longer holds a place in this session.") % {"name": booking.participant.display_name},
    )
    for promoted in cancelled.promoted:
        messages.success(
            request,
            _("%(name)s moved up from the waitlist and now has a seat (they have been e-mailed).")
            % {"name": promoted.participant.display_name},
        )
    return redirect(target)


# --- creating and editing sessions ----------------------------------------------------------------------------


def _session_page(request, event, *, form, session=None, talk_forms=None, new_talk=None, cancel_form=None):
    talks, counted = [], None
    if session is not None:
        counted = services.with_counts(Session.objects.filter(pk=session.pk)).get()
        talk_forms = talk_forms or {}
        talks = list(
            Talk.objects.filter(session=session).prefetch_related("speakers").order_by("order", "id")
        )
        for talk in talks:
            talk.form = talk_forms.get(talk.pk) or TalkForm(event=event, talk=talk, prefix=f"talk-{talk.pk}")
        new_talk = new_talk or TalkForm(event=event, prefix="new-talk")
        cancel_form = cancel_form or CancelSessionForm(prefix="cancel")
    failed = (
        form.errors
        or any(f.errors for f in (talk_forms or {}).values())
        or (new_talk is not None and new_talk.errors)
        or (cancel_form is not None and cancel_form.errors)
    )
    return render(
        request,
        "program/manage/session_form.html",
        _context(
            request,
            event,
            "sessions",
            form=form,
            session=session,
            counted=counted,
            talks=talks,
            new_talk=new_talk,
            cancel_form=cancel_form,
            has_speakers=Speaker.objects.filter(event=event).exists(),
        ),
        status=422 if failed else 200,
    )


@require_http_methods(["GET", "POST"])
def session_create(request, slug):
    event = roles.organizer_event(request, slug)
    if request.method == "POST":
        form = SessionForm(request.POST, event=event)
        if form.is_valid():
            try:
                session = services.save_session(
                    event=event, data=form.service_data(), actor=request.user, base_url=base_url(request)
                )
            except SummitError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("The session “%(title)s” has been created.") % {"title": session})
                return redirect("program_manage:session_edit", slug=event.slug, pk=session.pk)
    else:
        initial = {"start": event.start, "end": event.start + timedelta(minutes=90)}
        forum_id = as_id(request.GET.get("forum"))
        if forum_id:
            initial["forum"] = forum_id
        form = SessionForm(event=event, initial=initial)
    return _session_page(request, event, form=form)


@require_http_methods(["GET", "POST"])
def session_edit(request, slug, pk):
    event = roles.organizer_event(request, slug)
    session = services.get_session(event, pk)
    if request.method == "POST":
        form = SessionForm(request.POST, event=event, session=session)
        if form.is_valid():
            saved = _through_form(
                form,
                lambda: services.save_session(
                    event=event,
                    data=form.service_data(),
                    actor=request.user,
                    session=session,
                    base_url=base_url(request),
                ),
            )
            if saved is not None:
                messages.success(request, _("The session “%(title)s” has been saved.") % {"title": saved})
                return redirect("program_manage:session_edit", slug=event.slug, pk=saved.pk)
            session = services.get_session(event, pk)  # the stored one, not the half-changed object
    else:
        form = SessionForm(event=event, session=session)
    return _session_page(request, event, form=form, session=session)


@require_POST
def session_cancel(request, slug, pk):
    event = roles.organizer_event(request, slug)
    session = services.get_session(event, pk)
    cancel_form = CancelSessionForm(request.POST, prefix="cancel")
    if cancel_form.is_valid():
        try:
            services.cancel_session(
                session=session, actor=request.user, reason=cancel_form.cleaned_data["reason"]
            )
        except SummitError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(
                request,
                _("The session “%(title)s” has been cancelled, with all its bookings.") % {"title": session},
            )
        return redirect("program_manage:session_edit", slug=event.slug, pk=session.pk)
    return _session_page(
        request,
        event,
        form=SessionForm(event=event, session=session),
        session=session,
        cancel_form=cancel_form,
    )


# --- talks inside a session -----------------------------------------------------------------------------------


def _talk_target(event, session) -> str:
    return reverse("program_manage:session_edit", args=[event.slug, session.pk]) + "#talks"


@require_POST
def talk_create(request, slug, pk):
    event = roles.organizer_event(request, slug)
    session = services.get_session(event, pk)
    form = TalkForm(request.POST, event=event, prefix="new-talk")
    if form.is_valid():
        try:
            talk = services.save_talk(
                session=session,
                data=form.service_data(),
                actor=request.user,
                speakers=list(form.cleaned_data["speakers"]),
            )
        except SummitError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("The talk “%(title)s” has been added.") % {"title": talk})
            return redirect(_talk_target(event, session))
    return _session_page(
        request, event, form=SessionForm(event=event, session=session), session=session, new_talk=form
    )


@require_POST
def talk_edit(request, slug, pk, talk_pk):
    event = roles.organizer_event(request, slug)
    session = services.get_session(event, pk)
    talk = _get(Talk.objects.filter(session=session), talk_pk)
    form = TalkForm(request.POST, event=event, talk=talk, prefix=f"talk-{talk.pk}")
    if form.is_valid():
        try:
            talk = services.save_talk(
                session=session,
                data=form.service_data(),
                actor=request.user,
                talk=talk,
                speakers=list(form.cleaned_data["speakers"]),
            )
        except SummitError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("The talk “%(title)s” has been saved.") % {"title": talk})
            return redirect(_talk_target(event, session))
    return _session_page(
        request,
        event,
        form=SessionForm(event=event, session=session),
        session=session,
        talk_forms={talk.pk: form},
    )


@require_POST
def talk_delete(request, slug, pk, talk_pk):
    event = roles.organizer_event(request, slug)
    session = services.get_session(event, pk)
    talk = _get(Talk.objects.filter(session=session).select_related("session__event"), talk_pk)
    title = talk.tr_title
    try:
        services.delete_talk(talk=talk, actor=request.user)
    except SummitError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("The talk “%(title)s” has been deleted.") % {"title": title})
    return redirect(_talk_target(event, session))


@require_POST
def talk_move(request, slug, pk, talk_pk):
    event = roles.organizer_event(request, slug)
    session = services.get_session(event, pk)
    talk = _get(Talk.objects.filter(session=session), talk_pk)
    try:
        services.move_talk(talk=talk, direction=request.POST.get("direction") or "", actor=request.user)
    except SummitError as exc:
        messages.error(request, exc.detail)
    return redirect(_talk_target(event, session))


# --- forums ---------------------------------------------------------------------------------------------------


def forum_list(request, slug):
    event = roles.organizer_event(request, slug)
    forums = (
        Forum.objects.filter(event=event)
        .select_related("room", "host_organization")
        .annotate(
            session_count=Count("sessions", distinct=True),
            moderator_count=Count("moderators", distinct=True),
        )
    )
    return render(request, "program/manage/forums.html", _context(request, event, "forums", forums=forums))


def _form_page(request, event, section: str, template: str, form, **objects):
    """A back-office form page: 422 when the form carries errors, so scripts and tests see the refusal."""
    return render(
        request,
        template,
        _context(request, event, section, form=form, **objects),
        status=422 if form.errors else 200,
    )


def _through_form(form, call):
    """Run a service ``call``; a refusal lands on ``form`` (and gives None), a 404 stays a 404."""
    try:
        return call()
    except NotFound:
        raise
    except SummitError as exc:
        form.apply_error(exc)
        return None


def _forum_page(request, event, form, forum=None):
    return _form_page(request, event, "forums", "program/manage/forum_form.html", form, forum=forum)


def _save_forum(request, event, form, forum=None):
    return _through_form(
        form,
        lambda: services.save_forum(
            event=event,
            data=form.service_data(),
            actor=request.user,
            forum=forum,
            moderators=form.cleaned_data["moderators"],
        ),
    )


@require_http_methods(["GET", "POST"])
def forum_create(request, slug):
    event = roles.organizer_event(request, slug)
    form = ForumForm(_post(request), event=event)
    if request.method == "POST" and form.is_valid():
        forum = _save_forum(request, event, form)
        if forum is not None:
            messages.success(request, _("The forum “%(title)s” has been created.") % {"title": forum})
            return redirect("program_manage:forums", slug=event.slug)
    return _forum_page(request, event, form)


@require_http_methods(["GET", "POST"])
def forum_edit(request, slug, pk):
    event = roles.organizer_event(request, slug)
    forum = _get(Forum.objects.filter(event=event), pk)
    form = ForumForm(_post(request), event=event, forum=forum)
    if request.method == "POST" and form.is_valid():
        saved = _save_forum(request, event, form, forum=forum)
        if saved is not None:
            messages.success(request, _("The forum “%(title)s” has been saved.") % {"title": saved})
            return redirect("program_manage:forums", slug=event.slug)
        forum = _get(Forum.objects.filter(event=event), pk)  # the stored one, not the half-changed object
    return _forum_page(request, event, form, forum)


# --- speakers -------------------------------------------------------------------------------------------------


def _sort_key(text: str) -> str:
    """Alphabetical order that ignores case and accents ("Ángel" next to "Angela", not after "Zhou")."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def speaker_list(request, slug):
    event = roles.organizer_event(request, slug)
    query = (request.GET.get("q") or "").strip()[:100]
    queryset = Speaker.objects.filter(event=event)
    if query:
        queryset = queryset.filter(
            Q(name__icontains=query)
            | Q(name_latin__icontains=query)
            | Q(affiliation__icontains=query)
            | Q(affiliation_zh__icontains=query)
        )
    total = Speaker.objects.filter(event=event).count() if query else None
    speakers = sorted(
        queryset.select_related("participant").annotate(talk_count=Count("talks", distinct=True)),
        key=lambda s: (_sort_key(s.name_latin or s.name), _sort_key(s.name), s.pk),
    )
    return render(
        request,
        "program/manage/speakers.html",
        _context(request, event, "speakers", speakers=speakers, query=query, total=total),
    )


def _speaker_page(request, event, form, speaker=None):
    return _form_page(request, event, "speakers", "program/manage/speaker_form.html", form, speaker=speaker)


def _save_speaker(request, event, form, speaker=None):
    return _through_form(
        form,
        lambda: services.save_speaker(
            event=event,
            data=form.service_data(),
            actor=request.user,
            speaker=speaker,
            photo=form.cleaned_data.get("photo"),
        ),
    )


@require_http_methods(["GET", "POST"])
def speaker_create(request, slug):
    event = roles.organizer_event(request, slug)
    form = SpeakerForm(_post(request), _files(request), event=event)
    if request.method == "POST" and form.is_valid():
        speaker = _save_speaker(request, event, form)
        if speaker is not None:
            messages.success(request, _("The speaker “%(name)s” has been added.") % {"name": speaker.name})
            return redirect("program_manage:speakers", slug=event.slug)
    return _speaker_page(request, event, form)


@require_http_methods(["GET", "POST"])
def speaker_edit(request, slug, pk):
    event = roles.organizer_event(request, slug)
    speaker = _get(Speaker.objects.filter(event=event).select_related("participant"), pk)
    form = SpeakerForm(_post(request), _files(request), event=event, speaker=speaker)
    if request.method == "POST" and form.is_valid():
        saved = _save_speaker(request, event, form, speaker=speaker)
        if saved is not None:
            messages.success(request, _("The speaker “%(name)s” has been saved.") % {"name": saved.name})
            return redirect("program_manage:speakers", slug=event.slug)
        speaker = _get(Speaker.objects.filter(event=event).select_related("participant"), pk)
    return _speaker_page(request, event, form, speaker)


# --- finding participants (moderators, speakers) --------------------------------------------------------------


@require_GET
def participant_search(request, slug):
    event = roles.organizer_event(request, slug)
    query = (request.GET.get("q") or "").strip()[:100]
    results = []
    if query:
        queryset, _applied = filter_participants(event, {"q": query})
        for participant in queryset.exclude(status=Participant.CANCELLED)[:SEARCH_LIMIT]:
            results.append(
                {
                    "id": participant.pk,
                    "name": participant.display_name,
                    "email": participant.email,
                    "organization": str(participant.organization) if participant.organization else "",
                }
            )
    response = JsonResponse({"results": results})
    response["Cache-Control"] = "private, no-store"
    return response
