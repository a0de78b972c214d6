"""Domain errors raised in page views become a friendly page with the right status, never a 500."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from summit.core.errors import SummitError, ValidationFailed
from summit.core.ratelimit import RateLimited


class SummitErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, SummitError):
            response = render(request, "core/error.html", {"error": exception}, status=exception.status)
            if isinstance(exception, RateLimited):
                response["Retry-After"] = str(exception.retry_after)
            return response
        return None


class RejectNulMiddleware:
    """Text with NUL characters is refused at the door with a clear 400: no database stores it (PostgreSQL
    refuses it outright), so it must never reach a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            has_nul = self._has_nul(request)
        except RequestDataTooBig:
            if not request.path.startswith("/api/"):
                raise  # Django's own 400 page
            error = ValidationFailed(_("The request is too large."), code="too_large")
            return JsonResponse(error.as_dict(), status=400)
        if has_nul:
            error = ValidationFailed(
                _("The request contains a NUL character, which is not allowed."), code="bad_input"
            )
            error.status = 400
            if request.path.startswith("/api/"):
                return JsonResponse(error.as_dict(), status=400)
            return render(request, "core/error.html", {"error": error}, status=400)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path or any(
            "\x00" in v for values in request.GET.lists() for v in values[1] + [values[0]]
        ):
            return True
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        content_type = request.content_type or ""
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            return any("\x00" in v for values in request.POST.lists() for v in values[1] + [values[0]])
        if content_type.startswith("application/json"):
            return b"\\u0000" in request.body or b"\x00" in request.body
        return False
