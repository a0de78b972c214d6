"""Public registration pages: register (optionally by invitation), sign in by e-mail link, self-service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from summit.accounts import services as accounts
from summit.accounts import views as token_pages
from summit.accounts.middleware import remember_link_event
from summit.core import ratelimit
from summit.core.errors import NotFound, SummitError
from summit.core.http import base_url, site_url
from summit.core.storage import file_response
from summit.events import roles
from summit.events.services import get_event
from summit.registration import services
from summit.registration.forms import EditForm, RegistrationForm, SignInForm
from summit.registration.models import Participant


def posted(request):
    """Form data and files for a POST (even an empty one, so that it shows its errors), else None."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


def register(request, slug):
    event = get_event(slug)
    code = (request.GET.get("code") or request.POST.get("invitation_code") or "").strip()
    invitation, invitation_error = None, None
    if code:
        try:
            invitation = services.check_invitation(event, code)
        except SummitError as exc:
            invitation_error = exc
    if invitation_error is not None:
        return render(
            request,
            "registration/invitation_invalid.html",
            {"event": event, "error": invitation_error},
            status=410,
        )
    if not event.registration_open:
        return render(
            request,
            "core/error.html",
            {"error": SummitError(_("Registration for this event is closed."))},
            status=409,
        )

    categories = list(event.categories.filter(needs_invitation=False)) if invitation is None else []
    form = RegistrationForm(
        *posted(request),
        categories=categories,
        invitation=invitation,
        initial={
            "invitation_code": code,
            "language": "zh-hans" if request.LANGUAGE_CODE.startswith("zh") else "en",
        },
    )
    if request.method == "POST" and form.is_valid():
        # Every registration that would be stored or mailed counts (429 past the limit: core/ratelimit.py);
        # a form sent back with mistakes does not, so a delegate fixing typos is never locked out.
        ratelimit.check(request, "register", f"{event.pk}:{form.cleaned_data['email']}")
        try:
            services.register(
                event=event,
                data={
                    **form.person_data(),
                    "email": form.cleaned_data["email"],
                    "attendance_mode": form.cleaned_data["attendance_mode"],
                },
                category=form.chosen_category(),
                invitation_code=code or None,
                press_card=request.FILES.get("press_card_file"),
                actor=request.user,
                base_url=base_url(request),
                # An address already registered gets a mail, the visitor the same page as a new one.
                if_registered="notify",
            )
        except SummitError as exc:
            form.apply_error(exc)
        else:
            request.session[f"registered:{event.pk}"] = form.cleaned_data["email"]
            return redirect("registration:done", slug=event.slug)
    required = {str(c.pk): c.required_fields for c in form.categories.values()}
    online_only = [str(c.pk) for c in form.categories.values() if not c.allows_onsite]
    return render(
        request,
        "registration/register.html",
        {
            "event": event,
            "form": form,
            "invitation": invitation,
            "required": required,
            "online_only": online_only,
        },
    )


def done(request, slug):
    event = get_event(slug)
    # The same page whether the address was new or already registered: it shows nothing of the registration.
    email = request.session.get(f"registered:{event.pk}")
    if not isinstance(email, str) or not email:
        return redirect("events:home", slug=event.slug)
    return render(request, "registration/done.html", {"event": event, "email": email})


def signin(request, slug):
    event = get_event(slug)
    form = SignInForm(posted(request)[0])
    if request.method == "POST":
        ratelimit.check(request, "signin_link", f"{event.pk}:{request.POST.get('email', '')}")
    if request.method == "POST" and form.is_valid():
        services.request_magic_link(
            event=event,
            email=form.cleaned_data["email"],
            base_url=base_url(request),
            next_path=request.GET.get("next", ""),
        )
        # Same answer whether or not the address is registered: nothing leaks.
        messages.info(
            request,
            _("If %(email)s is registered for this event, a sign-in link is on its way.")
            % {"email": form.cleaned_data["email"]},
        )
        return redirect(request.get_full_path())
    return render(request, "registration/signin.html", {"event": event, "form": form})


def magic(request, token):
    """A sign-in link: GET shows a button, POST signs in. Mail scanners that follow links (GET) do not use it up."""
    try:
        if request.method == "POST":
            link = accounts.consume_link(token)
        else:
            link = accounts.check_link(token)
    except SummitError as exc:
        return render(request, "registration/link_invalid.html", {"error": exc}, status=exc.status)
    participant = services.link_participant(link)
    if participant is None:
        error = NotFound(_("This sign-in link is not valid. Please request a new one."), code="link_invalid")
        return render(request, "registration/link_invalid.html", {"error": error}, status=404)
    if request.method != "POST":
        return render(request, "registration/magic.html", {"link": link, "participant": participant})
    # A link signs its participant in for the link's event only (accounts/middleware.py); check_link has
    # refused staff and password accounts.
    login(request, link.user, backend="django.contrib.auth.backends.ModelBackend")
    remember_link_event(request, participant.event)
    event = participant.event
    target = request.GET.get("next", "")
    if target and services.safe_next_path(event, target):
        return redirect(target)
    return redirect("registration:me", slug=event.slug)


def _own_participant(request, event) -> Participant:
    return services.own_registration(request.user, event)


def me(request, slug):
    event = get_event(slug)
    if not request.user.is_authenticated:
        return redirect("registration:signin", slug=event.slug)
    participant = _own_participant(request, event)
    category = participant.category
    onsite_full = services.onsite_full(category)
    return render(
        request,
        "registration/me.html",
        {
            "event": event,
            "participant": participant,
            "category": category,
            "onsite_full": onsite_full,
        },
    )


def edit(request, slug):
    event = get_event(slug)
    participant = _own_participant(request, event)
    form = EditForm(*posted(request), participant=participant)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_participant(
                participant=participant,
                data=form.person_data(),
                actor=request.user,
                press_card=request.FILES.get("press_card_file") if "press_card_file" in form.fields else None,
            )
        except SummitError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("Your details have been saved."))
            return redirect("registration:me", slug=event.slug)
    return render(
        request, "registration/edit.html", {"event": event, "participant": participant, "form": form}
    )


@require_POST
def switch(request, slug):
    event = get_event(slug)
    participant = _own_participant(request, event)
    try:
        participant = services.switch_mode(
            participant=participant,
            mode=request.POST.get("mode", ""),
            actor=request.user,
            base_url=base_url(request),
        )
    except SummitError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request, _("You now attend: %(mode)s.") % {"mode": participant.get_attendance_mode_display()}
        )
    return redirect("registration:me", slug=event.slug)


@require_POST
def cancel(request, slug):
    event = get_event(slug)
    participant = _own_participant(request, event)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that you want to cancel."))
        return redirect("registration:me", slug=event.slug)
    try:
        services.cancel(participant=participant, actor=request.user, base_url=base_url(request))
    except SummitError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Your registration has been cancelled."))
    return redirect("registration:me", slug=event.slug)


def press_card(request, slug, pk):
    """The press card file: only for its owner and the event's accreditation staff."""
    event = get_event(slug)
    participant = Participant.objects.filter(event=event, pk=pk).first()
    if participant is None or not participant.press_card_file:
        raise NotFound()
    if not (
        roles.can_accredit(request.user, event)
        or (request.user.is_authenticated and participant.user_id == request.user.pk)
    ):
        raise NotFound()
    name = participant.press_card_file.name
    content_type = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}.get(
        name.rsplit(".", 1)[-1], "application/octet-stream"
    )
    try:
        handle = participant.press_card_file.open("rb")
    except FileNotFoundError as exc:
        raise NotFound() from exc
    return file_response(
        handle, filename=f"press-card-{participant.pk}.{name.rsplit('.', 1)[-1]}", content_type=content_type
    )


# --- personal API tokens -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def my_tokens(request, slug):
    """A participant's own API tokens for this event (to book sessions from an app); a new one is shown once."""
    event = get_event(slug)
    if not request.user.is_authenticated:
        return redirect("registration:signin", slug=event.slug)
    participant = _own_participant(request, event)
    return token_pages.token_page(
        request,
        event,
        template="registration/my_tokens.html",
        context={
            "event": event,
            "participant": participant,
            "api_base": site_url(f"/api/events/{event.slug}/"),
        },
    )


@require_POST
def revoke_my_token(request, slug, pk):
    event = get_event(slug)
    _own_participant(request, event)
    return token_pages.revoke(request, event, pk, back="registration:my_tokens")
