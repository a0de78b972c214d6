"""The REST API: Django Ninja, OpenAPI at /api/docs. Each app keeps its own routes in ``<app>/api.py``.

Every error, whatever raised it, leaves here as JSON ``{"code": ..., "detail": ...}`` (design.md §2): the
``ErrorOut`` schema (``core/schemas.py``) that every operation declares for each error status it can answer
(``errors(...)``); ``tests/test_openapi_contract.py`` checks the answers against the document.
"""

from __future__ import annotations

import functools

from django.http import Http404, HttpResponseNotAllowed, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, URLPattern, re_path, resolve
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from summit.accounts.auth import TokenInvalid
from summit.api.auth import token_auth
from summit.api.docs import SummitSwagger
from summit.core.errors import SummitError
from summit.core.ratelimit import RateLimited, retry_after_header


class JsonParser(Parser):
    """Ninja's JSON parser, remembering why a body could not be parsed (Ninja itself answers a bare 400)."""

    def parse_body(self, request):
        try:
            return super().parse_body(request)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
            request._summit_body_error = str(exc)
            raise


class SummitAPI(NinjaAPI):
    """Ninja's API whose URL map answers JSON errors outside the operations too: an unknown address is 404
    ``not_found`` and a method a path does not have is 405 ``method_not_allowed`` (with ``Allow``)."""

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        patterns = [_json_not_allowed(p) if isinstance(p, URLPattern) else p for p in patterns]
        patterns.append(re_path(r"^(?P<rest>.*)$", unknown_address))
        return patterns, app_name, namespace


def _json_not_allowed(pattern: URLPattern) -> URLPattern:
    view = pattern.callback

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = JsonResponse(
                {
                    "code": "method_not_allowed",
                    "detail": _("This address does not take %(method)s; it takes %(allowed)s.")
                    % {"method": request.method, "allowed": allowed},
                },
                status=405,
            )
            response["Allow"] = allowed
        return response

    return URLPattern(pattern.pattern, answer, pattern.default_args, pattern.name)


api = SummitAPI(
    parser=JsonParser(),
    title="Summit API",
    version="1",
    urls_namespace="api",
    auth=token_auth,
    docs=SummitSwagger(),
    description="Events, categories and participants of one event. Authenticate with `Authorization: Bearer <token>`.",
)


@api.exception_handler(SummitError)
def summit_error(request, exc: SummitError):
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, RateLimited):
        retry_after_header(response, exc)
    return response


def _error_item(error: dict) -> dict:
    loc = [str(part) for part in error.get("loc", ())]
    # ("body", "payload", "email") → "email"; ("query", "limit") → "limit"
    parts = [p for p in loc if p not in {"body", "query", "path", "form", "file", "payload"}]
    field = ".".join(parts) if parts else (loc[-1] if loc else "")
    kind = str(error.get("type", "invalid"))
    code = {
        "string_too_long": "too_long",
        "missing": "required",
        "extra_forbidden": "unknown_field",
        "json_invalid": "bad_json",
        "greater_than_equal": "min_value",
        "greater_than": "min_value",
        "less_than_equal": "max_value",
        "less_than": "max_value",
        "too_short": "too_few",
        "too_long": "too_many",
    }.get(kind, kind)
    return {"field": field, "code": code, "detail": str(error.get("msg", ""))}


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors = [_error_item(e) for e in exc.errors]
    summary = "; ".join(f"{e['field']}: {e['detail']}" if e["field"] else e["detail"] for e in errors[:5])
    if len(errors) > 5:
        summary += "; …"
    detail = (
        _("The request is not valid: %(summary)s") % {"summary": summary}
        if summary
        else _("The request is not valid.")
    )
    body = {"code": "validation_failed", "detail": detail, "errors": errors}
    fields = {e["field"] for e in errors}
    if len(fields) == 1 and "" not in fields:
        body["field"] = fields.pop()  # as a service's ValidationFailed names its one field
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc: AuthenticationError):
    if isinstance(exc, TokenInvalid):
        body = {"code": exc.code, "detail": exc.message}
    else:
        body = {
            "code": "not_authenticated",
            "detail": _("Send an API token: “Authorization: Bearer <token>”."),
        }
    response = api.create_response(request, body, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"code": "not_found", "detail": _("Not found.")}, status=404)


def unknown_address(request, rest: str = ""):
    """Any other address under ``/api/`` (``/api/events/wic/sessions/abc``: ids are numbers) is a JSON 404 too;
    a GET that only lacks its final slash is sent on to it, as ``APPEND_SLASH`` did before."""
    if request.method in ("GET", "HEAD") and not request.path.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not unknown_address:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    return JsonResponse({"code": "not_found", "detail": _("Not found.")}, status=404)


_HTTP_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "rate_limited",
}


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    reason = getattr(request, "_summit_body_error", None)
    if exc.status_code == 400 and reason is not None:
        detail = _("The request body is not valid JSON: %(reason)s") % {"reason": reason}
        return api.create_response(
            request,
            {
                "code": "validation_failed",
                "detail": detail,
                "errors": [{"field": "body", "code": "bad_json", "detail": reason}],
            },
            status=422,
        )
    return api.create_response(
        request,
        {"code": _HTTP_CODES.get(exc.status_code, "error"), "detail": exc.message},
        status=exc.status_code,
    )


def _add_routers() -> None:
    from summit.api.jobs import router as jobs_router
    from summit.entry.api import router as entry_router
    from summit.events.api import router as events_router
    from summit.live.api import router as live_attendance_router
    from summit.live.room_api import router as live_router
    from summit.live.stream_api import router as live_stream_router
    from summit.program.api import router as program_router
    from summit.registration.api import router as registration_router

    api.add_router("/events/", events_router)
    api.add_router("/events/", registration_router)
    api.add_router("/events/", program_router)
    api.add_router("/events/", live_router)
    api.add_router("/events/", live_attendance_router)
    api.add_router("/events/", live_stream_router)
    api.add_router("/events/", entry_router)
    api.add_router("/", jobs_router)


_add_routers()
