"""Domain errors raised in page views become a friendly page with the right status, never a 500."""

from __future__ import annotations

from django.shortcuts import render

from summit.core.errors import SummitError


class SummitErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, SummitError):
            return render(request, "core/error.html", {"error": exception}, status=exception.status)
        return None
