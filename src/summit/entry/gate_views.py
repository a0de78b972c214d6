"""The gate scanner: the zones a person may scan at, the scanner page of one zone, and the JSON endpoints its
script (``static/summit/gate.js``) calls with the signed-in session and the CSRF token.

Who may scan where is ``events.roles.can_scan`` (gate staff at their own zones, organizers everywhere);
anyone else signed in gets 404, so nothing about the event's zones leaks. Someone signed out is sent to the
sign-in form from the pages, and gets 401 from the endpoints. The endpoints call the same services as the
REST API (``gates.scan``, ``gates.offline_package``, ``gates.merge_offline``) and answer the same shapes
(``entry.presenters``); a refused request is JSON ``{"code", "detail"}`` with its 4xx status, never a 500.
"""

from __future__ import annotations

import json
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from pydantic import ValidationError

from summit.core.errors import SummitError
from summit.core.i18n import sort_localized
from summit.entry.presenters import verdict_out
from summit.entry.schemas import OfflineUploadIn, ScanIn
from summit.entry.services import gates
from summit.events import roles
from summit.events.middleware import second_factor_step
from summit.events.models import Zone
from summit.events.services import get_event

#: How many offline scans the page sends in one upload (each request stays far below the body limit).
UPLOAD_BATCH = 500


#: What the page's script writes, in the page's language (``%(name)s`` parts are filled in by the script).
PAGE_TEXTS = {
    "ready": gettext_lazy("Ready to scan"),
    "checking": gettext_lazy("Checking…"),
    "admitted": gettext_lazy("Admitted"),
    "refused": gettext_lazy("Refused"),
    "error": gettext_lazy("Not checked"),
    "exit": gettext_lazy("Exit recorded"),
    "valid_until": gettext_lazy("Valid until %(time)s"),
    "to_check": gettext_lazy("Check at the gate:"),
    "offline_decision": gettext_lazy("Decided on this device without the server; it will be uploaded."),
    "duplicate": gettext_lazy("This scan was already recorded."),
    "online": pgettext_lazy("network connection", "Online"),
    "offline": pgettext_lazy("network connection", "Offline"),
    "package": gettext_lazy("Badges in the offline data: %(count)s, updated %(time)s."),
    "no_package": gettext_lazy("No offline data yet: without a connection, badges cannot be checked."),
    "uploaded": gettext_lazy("Scans uploaded: %(count)s."),
    "upload_waiting": gettext_lazy("Offline: the scans are uploaded when the connection returns."),
    "upload_refused": gettext_lazy("The upload was refused: %(detail)s"),
    "signed_out": gettext_lazy("Your session has ended: sign in again, then reload this page."),
    "session_expired": gettext_lazy("The page has expired: reload it."),
    "no_verifier": gettext_lazy("This browser cannot check badge signatures without the server."),
    "camera_start": gettext_lazy("Start camera"),
    "camera_stop": gettext_lazy("Stop camera"),
    "camera_on": gettext_lazy("Point the camera at the badge's QR code."),
    "camera_unavailable": gettext_lazy("The camera cannot be used: %(detail)s"),
    "conflict": gettext_lazy("%(name)s: %(conflict)s"),
    "unknown_person": gettext_lazy("Unknown badge"),
}


class SecondFactorRequired(SummitError):
    status = 403
    code = "second_factor_required"


def _gate_event(request: HttpRequest, slug: str):
    """The event and the zones the user may scan at there (None: every zone); 404 without a gate role."""
    event = get_event(slug)
    zone_ids = roles.gate_zone_ids(request.user, event)
    roles.require(zone_ids is None or bool(zone_ids))
    return event, zone_ids


def _gate_zone(request: HttpRequest, slug: str, zone_code: str):
    """The event and the zone ``zone_code`` if the user may scan there; 404 otherwise."""
    event = get_event(slug)
    return event, gates.staffed_zone(request.user, event, zone_code)


def _signed_in_page(view):
    @wraps(view)
    def page(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return page


@never_cache
@require_GET
@_signed_in_page
def zones(request: HttpRequest, slug: str):
    """``/events/<slug>/gate/``: the zones whose gates the user may scan at; with one, that zone's scanner."""
    event, zone_ids = _gate_event(request, slug)
    if step := second_factor_step(request, event):
        return redirect(step)
    queryset = Zone.objects.filter(event=event)
    if zone_ids is not None:
        queryset = queryset.filter(pk__in=zone_ids)
    zone_list = sort_localized(queryset)
    if len(zone_list) == 1:
        return redirect("gate:scanner", slug=event.slug, zone_code=zone_list[0].code)
    return render(request, "entry/gate_zones.html", {"event": event, "zones": zone_list})


@never_cache
@require_GET
@_signed_in_page
def scanner(request: HttpRequest, slug: str, zone_code: str):
    """``/events/<slug>/gate/<zone>/``: the scanner page (camera, typed codes, online and offline)."""
    event, zone = _gate_zone(request, slug, zone_code)
    if step := second_factor_step(request, event):
        return redirect(step)
    several = roles.gate_zone_ids(request.user, event)
    several = several is None or len(several) > 1
    texts = {
        "reasons": {code: str(text) for code, text in gates.REASONS.items()},
        "conflicts": {code: str(text) for code, text in gates.CONFLICTS.items()},
        "labels": {code: str(text) for code, text in PAGE_TEXTS.items()},
    }
    return render(
        request,
        "entry/gate.html",
        {
            "event": event,
            "zone": zone,
            "several_zones": several,
            "gate_texts": texts,
            "upload_batch": UPLOAD_BATCH,
        },
    )


# --- the page's JSON endpoints -----------------------------------------------------------------------------


def _answer(error: SummitError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=error.status)


def _invalid(exc: ValidationError) -> JsonResponse:
    errors = [
        {
            "field": ".".join(str(part) for part in e.get("loc", ())),
            "code": str(e.get("type", "invalid")),
            "detail": str(e.get("msg", "")),
        }
        for e in exc.errors()
    ]
    body = {"code": "validation_failed", "detail": _("The request is not valid."), "errors": errors}
    if len(errors) == 1 and errors[0]["field"]:
        body["field"] = errors[0]["field"]
    return JsonResponse(body, status=422)


def _json_body(request: HttpRequest) -> dict:
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict):
        error = SummitError(_("The request body is not a JSON object."), code="bad_json")
        error.status = 400
        raise error
    return data


def _endpoint(view):
    """A JSON endpoint of the scanner page: signed in (else 401), allowed to scan at the zone (else 404),
    every refusal as JSON, never cached."""

    @wraps(view)
    def endpoint(request, slug: str, zone_code: str):
        if not request.user.is_authenticated:
            return JsonResponse(
                {"code": "not_authenticated", "detail": _("Sign in again to go on scanning.")}, status=401
            )
        try:
            event, zone = _gate_zone(request, slug, zone_code)
            if second_factor_step(request, event):
                raise SecondFactorRequired(_("Confirm your second factor first."))
            response = view(request, event, zone)
        except SummitError as exc:
            response = _answer(exc)
        except ValidationError as exc:
            response = _invalid(exc)
        response["Cache-Control"] = "no-store"
        return response

    return endpoint


@require_POST
@_endpoint
def scan(request: HttpRequest, event, zone):
    """``POST …/<zone>/scan`` ``{token, direction, device, client_id}``: check and record the scan, as the API's
    ``POST /api/events/{slug}/entry/scans`` does; the answer is the API's verdict."""
    body = _json_body(request)
    payload = ScanIn.model_validate({**body, "zone": zone.code})
    verdict = gates.scan(
        event=event,
        zone=zone,
        token=payload.token,
        direction=payload.direction,
        staff=request.user,
        gate=payload.gate,
        device=payload.device,
        client_id=payload.client_id,
    )
    return JsonResponse(verdict_out(verdict, event))


@require_GET
@_endpoint
def package(request: HttpRequest, event, zone):
    """``GET …/<zone>/package``: what the page needs to decide without the server (``gates.offline_package``)."""
    return JsonResponse(gates.offline_package(event=event, zone=zone))


@require_POST
@_endpoint
def upload(request: HttpRequest, event, zone):
    """``POST …/<zone>/upload``, the API's offline upload ``{device, gate, device_time, scans}``; idempotent."""
    payload = OfflineUploadIn.model_validate(_json_body(request))
    result = gates.merge_offline(
        event=event,
        staff=request.user,
        device=payload.device,
        gate=payload.gate,
        device_time=payload.device_time,
        scans=[item.model_dump() for item in payload.scans],
    )
    return JsonResponse(result)
