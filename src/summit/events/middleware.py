"""Back offices of events that require a second factor for their staff (``Event.staff_two_factor``).

A staff member of such an event whose session has not passed a second factor is sent, before any page under
``/events/<slug>/manage/``, to set one up (``core:two_factor``) or, with one set up, to enter a code
(``core:login_code``), then back. People without a staff role get the page's own answer (404).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from summit.core import two_factor
from summit.events import roles
from summit.events.models import Event


def second_factor_step(request, event) -> str | None:
    """Where a staff member of ``event`` goes first when it requires a second factor their session has not
    passed (setting one up, or entering a code, then back to this address); None when nothing is owed. The
    back office (below) and the gate scanner ask here."""
    user = request.user
    if roles.is_staff_of(user, event) and not roles.passed_second_factor(user, event):
        step = "core:login_code" if two_factor.confirmed_device(user) else "core:two_factor"
        return f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}"
    return None


class TwoFactorRequiredMiddleware:
    """After the authentication and django-otp middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        parts = request.path_info.split("/")
        if len(parts) > 3 and parts[1] == "events" and parts[3] == "manage" and request.user.is_authenticated:
            event = Event.objects.filter(slug=parts[2], staff_two_factor=True).first()
            if event is not None and (step := second_factor_step(request, event)):
                return redirect(step)
        return self.get_response(request)
