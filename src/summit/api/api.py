"""The REST API: Django Ninja, OpenAPI at /api/docs. Each app keeps its own routes in ``<app>/api.py``.

Every error, whatever raised it, leaves here as JSON ``{"code": ..., "detail": ...}`` (design.md §2).
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from summit.accounts.auth import TokenInvalid
from summit.api.auth import token_auth
from summit.api.docs import SummitSwagger
from summit.core.errors import SummitError


class JsonParser(Parser):
    """Ninja's JSON parser, remembering why a body could not be parsed (Ninja itself answers a bare 400)."""

    def parse_body(self, request):
        try:
            return super().parse_body(request)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
            request._summit_body_error = str(exc)
            raise


api = NinjaAPI(
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
    return api.create_response(request, exc.as_dict(), status=exc.status)


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
    return api.create_response(
        request, {"code": "validation_failed", "detail": detail, "errors": errors}, status=422
    )


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


_HTTP_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "throttled",
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
    from summit.events.api import router as events_router
    from summit.program.api import router as program_router
    from summit.registration.api import router as registration_router

    api.add_router("/events/", events_router)
    api.add_router("/events/", registration_router)
    api.add_router("/events/", program_router)
    api.add_router("/", jobs_router)


_add_routers()
