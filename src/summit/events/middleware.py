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


class TwoFactorRequiredMiddleware:
    """After the authentication and django-otp middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        parts = request.path_info.split("/")
        if len(parts) > 3 and parts[1] == "events" and parts[3] == "manage" and request.user.is_authenticated:
            user = request.user
            event = Event.objects.filter(slug=parts[2], staff_two_factor=True).first()
            if (
                event is not None
                and roles.is_staff_of(user, event)
                and not roles.passed_second_factor(user, event)
            ):
                step = "core:login_code" if two_factor.confirmed_device(user) else "core:two_factor"
                return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
