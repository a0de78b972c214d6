"""Requests refused at the door (too large, NUL characters) and domain errors raised in page views: a clear
answer with the right status, never a 500."""

from __future__ import annotations

import re

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from summit.core.errors import SummitError, ValidationFailed
from summit.core.http import error_answer
from summit.core.ratelimit import RateLimited, retry_after_header


class SummitErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, SummitError):
            response = render(request, "core/error.html", {"error": exception}, status=exception.status)
            if isinstance(exception, RateLimited):
                retry_after_header(response, exception)
            return response
        return None


class RequestTooLarge(SummitError):
    status = 413
    code = "too_large"


class LimitRequestSizeMiddleware:
    """A request body larger than Summit ever takes is refused with 413 from its Content-Length, before a
    byte of it is read (so a 100 MB anonymous POST is never spooled to disk).

    File uploads (``multipart/form-data``) may carry up to ``MAX_REQUEST_BYTES``: the largest file Summit
    accepts plus the form around it; any other body (forms, JSON) at most ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
    A view marked with :func:`large_upload` takes a multipart body up to its own setting (a video of
    ``MAX_VIDEO_BYTES``) plus ``UPLOAD_FORM_BYTES``: only that address, so no other form can be made to
    spool a video-sized body. A body sent without a Content-Length (chunked) is bounded by the proxy in
    front (docs/operations.md); Django's own ``DATA_UPLOAD_MAX_MEMORY_SIZE`` check still applies when it is
    read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > 0:
            multipart = (request.META.get("CONTENT_TYPE") or "").lower().startswith("multipart/")
            limit = settings.MAX_REQUEST_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if length > limit and multipart:
                limit = max(limit, _large_upload_limit(request))
            if length > limit:
                return error_answer(
                    request,
                    RequestTooLarge(
                        _("The request is too large (%(size)s; at most %(limit)s).")
                        % {"size": filesizeformat(length), "limit": filesizeformat(limit)}
                    ),
                )
        return self.get_response(request)


def large_upload(setting: str):
    """Mark a view that takes one large file: its multipart requests may carry up to ``settings.<setting>``
    bytes plus ``UPLOAD_FORM_BYTES`` (:class:`LimitRequestSizeMiddleware`)."""

    def mark(view):
        view.large_upload_setting = setting
        return view

    return mark


def _large_upload_limit(request) -> int:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return 0
    setting = getattr(match.func, "large_upload_setting", None)
    if not setting:
        return 0
    return int(getattr(settings, setting)) + settings.UPLOAD_FORM_BYTES


#: A JSON ``\u0000`` escape (not an escaped backslash followed by "u0000").
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class RejectNulMiddleware:
    """Text with NUL characters is refused at the door with a clear 400: no database stores it (PostgreSQL
    refuses it outright), so it must never reach a query.

    The body is checked whatever its declared content type (the API reads JSON sent as ``text/plain`` too):
    form fields once decoded, any other body as raw bytes, where a NUL byte or a JSON ``\\u0000`` escape is
    refused. Files in a multipart upload are binary and are not looked at (only the form's text fields).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            has_nul = self._has_nul(request)
        except RequestDataTooBig:
            if not request.path.startswith("/api/"):
                raise  # Django's own 400 page
            return error_answer(request, RequestTooLarge(_("The request is too large.")))
        if has_nul:
            error = ValidationFailed(
                _("The request contains a NUL character, which is not allowed."), code="bad_input"
            )
            error.status = 400
            return error_answer(request, error)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path or any(
            "\x00" in v for values in request.GET.lists() for v in values[1] + [values[0]]
        ):
            return True
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        content_type = (request.content_type or "").lower()
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            if any("\x00" in v for values in request.POST.lists() for v in values[1] + [values[0]]):
                return True
            return any("\x00" in (f.name or "") for f in request.FILES.values())
        body = request.body
        return b"\x00" in body or JSON_NUL.search(body) is not None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the policy written once instead of built for every response.

    Every page has the same policy (``CONTENT_SECURITY_POLICY``, no nonces), so a response that no view
    changed (``csp.decorators``) and whose request used no nonce gets the header built the first time; any
    other response goes through django-csp as it is. Building it cost more than the rest of a small API
    answer (the seat rush's booking calls).
    """

    #: (policy setting, report-only setting, header, report-only header)
    _built: tuple = (None, None, None, None)

    def process_response(self, request, response):
        special = any(
            getattr(response, name, None) is not None
            for name in ("_csp_config", "_csp_update", "_csp_replace")
            + ("_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")
        )
        special = (
            special or getattr(response, "_csp_exempt", False) or getattr(response, "_csp_exempt_ro", False)
        )
        if special or isinstance(getattr(request, "_csp_nonce", None), str) or settings.DEBUG:
            return super().process_response(request, response)
        config = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        config_ro = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = ContentSecurityPolicyMiddleware._built
        if built[0] is not config or built[1] is not config_ro:  # settings changed (tests)
            built = (config, config_ro, build_policy(), build_policy(report_only=True))
            ContentSecurityPolicyMiddleware._built = built
        for name, value, policy in ((HEADER, built[2], config), (HEADER_REPORT_ONLY, built[3], config_ro)):
            prefixes = tuple((policy or {}).get("EXCLUDE_URL_PREFIXES", None) or ())
            if value and name not in response and not request.path_info.startswith(prefixes):
                response[name] = value
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
