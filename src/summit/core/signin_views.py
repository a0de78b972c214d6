"""The password sign-in, its second step (a TOTP code when the account has a second factor) and the page where
a staff account turns its second factor on or off (``core/two_factor.py``).

django-axes watches the password step (repeated wrong passwords lock it, settings.AXES_*); code attempts are
limited per account and per client address (``RATE_LIMITS["otp"]``). A password that is right for an account
with a second factor only remembers "password checked for user X" in the session for a few minutes; the
sign-in happens once the code is right.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from summit.core import ratelimit, two_factor
from summit.core.errors import SummitError
from summit.core.http import safe_next

#: Session key: the account whose password was right, waiting for its code.
PENDING = "summit_2fa_pending"
PENDING_SECONDS = 300
#: Session key: the slugs of the events whose sign-in links this session used (a link session is scoped to
#: those events' pages, accounts/middleware.py).
LINK_EVENTS = "summit_link_events"


def _sign_in(request, user, backend: str, device=None) -> None:
    if LINK_EVENTS in request.session:
        request.session.flush()  # a password sign-in never inherits a link session's scope
    login(request, user, backend=backend)
    if device is not None:
        otp_login(request, device)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = AuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        if two_factor.confirmed_device(user) is not None:
            request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "at": int(time.time()),
                "next": next_url,
            }
            return redirect("core:login_code")
        _sign_in(request, user, user.backend)
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    return render(request, "core/login.html", {"form": form, "next": next_url})


def _code_subject(request):
    """Who the code page is for: the account whose password was just right, or the signed-in account that
    must confirm its second factor before a back office (events/middleware.py). (user, backend, next)."""
    pending = request.session.get(PENDING)
    if isinstance(pending, dict) and time.time() - pending.get("at", 0) < PENDING_SECONDS:
        user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
        if user is not None:
            return user, pending.get("backend"), pending.get("next") or ""
    user = request.user
    if user.is_authenticated and not user.is_verified() and two_factor.confirmed_device(user) is not None:
        return user, None, ""
    return None, None, ""


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request):
    user, backend, pending_next = _code_subject(request)
    if user is None:
        request.session.pop(PENDING, None)
        return redirect("core:login")
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next")) or pending_next
    error = None
    if request.method == "POST":
        ratelimit.check(request, "otp", str(user.pk))
        try:
            device = two_factor.verify(user=user, code=request.POST.get("code", ""))
        except SummitError as exc:
            error = exc.detail
        else:
            request.session.pop(PENDING, None)
            if backend is not None:
                _sign_in(request, user, backend, device)
            else:
                otp_login(request, device)
            return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    return render(
        request,
        "core/login_code.html",
        {"error": error, "next": next_url},
        status=422 if error else 200,
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_page(request):
    """Turn the second factor on (QR code and secret, confirmed with a code) or off (with a code)."""
    user = request.user
    if not two_factor.can_use(user):
        raise Http404()
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "start":
                two_factor.start_enrollment(user=user)
            elif action == "confirm":
                ratelimit.check(request, "otp", str(user.pk))
                device = two_factor.confirm_enrollment(user=user, code=request.POST.get("code", ""))
                otp_login(request, device)
                messages.success(request, _("The second factor is on. Sign-ins now ask for a code."))
                return redirect(next_url or "core:two_factor")
            elif action == "disable":
                ratelimit.check(request, "otp", str(user.pk))
                two_factor.disable(user=user, code=request.POST.get("code", ""))
                messages.success(request, _("The second factor is off."))
                return redirect("core:two_factor")
            else:
                raise Http404()
        except ratelimit.RateLimited:
            raise
        except SummitError as exc:
            error = exc.detail
        else:
            url = resolve_url("core:two_factor")
            return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)
    device = two_factor.confirmed_device(user)
    pending = None if device is not None else two_factor.pending_device(user)
    return render(
        request,
        "core/two_factor.html",
        {
            "device": device,
            "pending": pending,
            "qr": two_factor.qr_svg(pending) if pending is not None else "",
            "secret": two_factor.secret_text(pending) if pending is not None else "",
            "error": error,
            "next": next_url,
        },
        status=422 if error else 200,
    )


def admin_login(request):
    """The admin's own sign-in form would skip the second factor: send it to the site's form."""
    target = safe_next(request, request.GET.get("next")) or "/admin/"
    return redirect(f"{resolve_url('core:login')}?{urlencode({'next': target})}")
