"""REST API of entry: gates (check, scan, offline package and upload), rules, proofs and their review, and a
participant's own entry status, badge and data.

Who may call what (``events/roles.py``): gate staff scan at their own zones (organizers at every zone);
entry officers review proofs and open their documents; organizers set the rules and see occupancy; a
participant's token reads and changes their own proofs only. Anything else is 404, which names nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from summit.core import ratelimit
from summit.core.errors import NotFound
from summit.core.schemas import errors
from summit.entry.models import EntryRule, Proof
from summit.entry.presenters import proof_document, verdict_out
from summit.entry.schemas import (
    DecisionIn,
    EntryStatusOut,
    OccupancyOut,
    OfflineUploadIn,
    OfflineUploadOut,
    ProofOut,
    ReviewItemOut,
    RuleIn,
    RuleOut,
    ScanIn,
    TokenIn,
    VerdictOut,
)
from summit.entry.services import badges, gates, privacy, proofs
from summit.events import roles
from summit.events.models import Zone
from summit.registration.models import Category

router = Router(tags=["entry"])


# --- shapes ------------------------------------------------------------------------------------------------


def proof_out(proof: Proof) -> dict:
    return {
        "id": proof.pk,
        "kind": proof.kind,
        "taken_at": proof.taken_at,
        "status": proof.status,
        "reason": proof.reason or None,
        "reason_detail": proofs.reason_text(proof),
        "note": proof.reason_note,
        "valid_until": proof.valid_until,
        "decided_at": proof.decided_at,
        "uploaded_at": proof.created_at,
    }


def rule_out(rule: EntryRule) -> dict:
    return {
        "id": rule.pk,
        "category": rule.category.code if rule.category_id else None,
        "zone": rule.zone.code if rule.zone_id else None,
        "stage": rule.stage,
        "accepted": rule.accepted,
    }


def status_out(participant) -> dict:
    status = proofs.status_of(participant)
    shown = badges.shown_badge(participant, status, actor=participant.user)
    return {
        "allowed": status.allowed,
        "valid_until": status.valid_until,
        "requirements": [
            {
                "rule": r.rule.pk,
                "zone": r.rule.zone.code if r.rule.zone_id else None,
                "stage": r.rule.stage,
                "kinds": r.rule.kinds,
                "met": r.met,
                "pending": r.pending,
                "valid_until": r.valid_until,
            }
            for r in status.requirements
        ],
        "proofs": [proof_out(p) for p in participant.proofs.order_by("created_at")],
        "badge": badges.token_for(shown) if shown else None,
    }


# --- who is asking -----------------------------------------------------------------------------------------


def _gate(request, slug: str, zone_code: str):
    event = roles.token_event(request, slug)
    return event, gates.staffed_zone(request.auth.user, event, zone_code)


def _participant(request, slug: str):
    roles.token_event(request, slug)
    participant = getattr(request.auth, "participant", None)
    if participant is None:
        raise NotFound()
    return participant


def _officer(request, slug: str):
    event = roles.token_event(request, slug)
    roles.require(roles.can_review_proofs(request.auth.user, event))
    return event


# --- gates -------------------------------------------------------------------------------------------------


@router.post("{slug}/entry/check", response={200: VerdictOut, **errors(404, 422)}, summary="Check a badge")
def check_token(request: HttpRequest, slug: str, payload: TokenIn):
    """What the gate of ``zone`` would say about the badge now, without recording a scan."""
    event, zone = _gate(request, slug, payload.zone)
    return verdict_out(
        gates.check(event=event, zone=zone, token=payload.token, direction=payload.direction), event
    )


@router.post("{slug}/entry/scans", response={200: VerdictOut, **errors(404, 422)}, summary="Record a scan")
def record_scan(request: HttpRequest, slug: str, payload: ScanIn):
    """Check the badge and record the scan, admitted or refused (with its ``reason``). An entry flips the
    person's presence in the zone, so a second entry without an exit is refused (``already_inside``). With
    ``device`` and ``client_id``, a scan sent again is recorded once (``duplicate``)."""
    event, zone = _gate(request, slug, payload.zone)
    verdict = gates.scan(
        event=event,
        zone=zone,
        token=payload.token,
        direction=payload.direction,
        staff=request.auth.user,
        gate=payload.gate,
        device=payload.device,
        client_id=payload.client_id,
    )
    return verdict_out(verdict, event)


@router.get(
    "{slug}/entry/offline-package",
    response={200: dict, **errors(404, 422)},
    summary="A gate's offline package",
)
def offline_package(
    request: HttpRequest, slug: str, zone: Annotated[str, Query(max_length=40)], photos: bool = False
):
    """The event's public key (raw Ed25519, base64url), every badge holder who may enter the zone with their
    entry status, the revocation list (``[participant, revision]``) and the server's time; with
    ``photos=true``, each holder's photo thumbnail as a ``data:`` address (about 4 KB each)."""
    event, zone_obj = _gate(request, slug, zone)
    return gates.offline_package(event=event, zone=zone_obj, photos=photos)


@router.post(
    "{slug}/entry/scans/offline",
    response={200: OfflineUploadOut, **errors(404, 422)},
    summary="Upload scans made offline",
)
def upload_offline(request: HttpRequest, slug: str, payload: OfflineUploadIn):
    """Idempotent: scans already recorded (same ``device`` and scan ``id``) count as ``duplicates``. A scan
    that contradicts the server's records is kept and listed in ``conflicts``. Refused whole (404) if the
    caller may not scan at one of the scans' zones, e.g. because their gate role was removed."""
    event = roles.token_event(request, slug)
    return gates.merge_offline(
        event=event,
        staff=request.auth.user,
        device=payload.device,
        gate=payload.gate,
        device_time=payload.device_time,
        scans=[item.dict() for item in payload.scans],
    )


@router.get("{slug}/entry/occupancy", response={200: list[OccupancyOut], **errors(404)}, summary="Occupancy")
def occupancy(request: HttpRequest, slug: str):
    """How many people are inside each zone now (organizers)."""
    event = roles.token_event(request, slug, organizer=True)
    return [{"zone": z.code, "name": z.tr_name, "inside": n} for z, n in gates.occupancy(event)]


# --- rules -------------------------------------------------------------------------------------------------


def _rule_fields(event, payload: RuleIn) -> dict:
    category = zone = None
    if payload.category:
        category = Category.objects.filter(event=event, code=payload.category).first()
        if category is None:
            raise NotFound(_("This category was not found."), code="category_not_found")
    if payload.zone:
        zone = Zone.objects.filter(event=event, code=payload.zone).first()
        if zone is None:
            raise NotFound(_("This zone was not found."), code="zone_not_found")
    accepted = [
        {"kind": a.kind, **({"seconds": a.seconds} if a.seconds is not None else {})}
        for a in payload.accepted
    ]
    return {"category": category, "zone": zone, "stage": payload.stage, "accepted": accepted}


@router.get("{slug}/entry/rules", response={200: list[RuleOut], **errors(404)}, summary="Entry rules")
def list_rules(request: HttpRequest, slug: str):
    event = roles.token_event(request, slug, organizer=True)
    return [rule_out(r) for r in proofs.event_rules(event)]


@router.post("{slug}/entry/rules", response={201: RuleOut, **errors(404, 422)}, summary="Add an entry rule")
def create_rule(request: HttpRequest, slug: str, payload: RuleIn):
    """A window (``seconds``) omitted takes the kind's default: PCR 72 h, antigen 48 h, any test 7 days."""
    event = roles.token_event(request, slug, organizer=True)
    rule = proofs.save_rule(event=event, actor=request.auth.user, **_rule_fields(event, payload))
    return Status(201, rule_out(rule))


def _rule(event, rule_id: int) -> EntryRule:
    rule = EntryRule.objects.filter(event=event, pk=rule_id).select_related("category", "zone").first()
    if rule is None:
        raise NotFound(_("This entry rule was not found."), code="not_found")
    return rule


@router.put(
    "{slug}/entry/rules/{int:rule_id}", response={200: RuleOut, **errors(404, 422)}, summary="Change a rule"
)
def update_rule(request: HttpRequest, slug: str, rule_id: int, payload: RuleIn):
    event = roles.token_event(request, slug, organizer=True)
    rule = proofs.save_rule(
        event=event, actor=request.auth.user, rule=_rule(event, rule_id), **_rule_fields(event, payload)
    )
    return rule_out(rule)


@router.delete(
    "{slug}/entry/rules/{int:rule_id}", response={204: None, **errors(404)}, summary="Delete a rule"
)
def delete_rule(request: HttpRequest, slug: str, rule_id: int):
    event = roles.token_event(request, slug, organizer=True)
    proofs.delete_rule(event=event, actor=request.auth.user, rule=_rule(event, rule_id))
    return Status(204, None)


# --- proofs: the participant -------------------------------------------------------------------------------


@router.get("{slug}/entry/me", response={200: EntryStatusOut, **errors(404)}, summary="My entry status")
def my_status(request: HttpRequest, slug: str):
    """The participant's entry rules, what meets them and until when, their proofs, and their badge's QR text
    once they hold an on-site place and meet the rules."""
    return status_out(_participant(request, slug))


@router.post(
    "{slug}/entry/proofs", response={201: ProofOut, **errors(404, 422, 429)}, summary="Upload a proof"
)
def upload_proof(
    request: HttpRequest,
    slug: str,
    file: File[UploadedFile],
    kind: Annotated[str, Form(max_length=20)],
    taken_at: Annotated[datetime, Form()],
):
    """A PDF, JPEG or PNG of at most 5 MB (checked by its content), ``taken_at`` with its offset (without one,
    the event's time zone). Stored encrypted; an entry officer reviews it."""
    participant = _participant(request, slug)
    if timezone.is_naive(taken_at):
        from zoneinfo import ZoneInfo

        taken_at = taken_at.replace(tzinfo=ZoneInfo(participant.event.time_zone))
    proof = proofs.upload_proof(
        participant=participant, kind=kind, taken_at=taken_at, upload=file, actor=request.auth.user
    )
    return Status(201, proof_out(proof))


def _proof_for(request, slug: str, proof_id: int) -> Proof:
    """A proof its owner, or an entry officer of the event, may see."""
    event = roles.token_event(request, slug)
    proof = Proof.objects.filter(event=event, pk=proof_id).select_related("participant", "event").first()
    participant = getattr(request.auth, "participant", None)
    mine = proof is not None and participant is not None and proof.participant_id == participant.pk
    if proof is None or not (mine or roles.can_review_proofs(request.auth.user, event)):
        raise NotFound(_("This proof was not found."), code="not_found")
    return proof


@router.get(
    "{slug}/entry/proofs/{int:proof_id}/file",
    response={200: None, **errors(404)},
    summary="A proof's document",
    openapi_extra={"responses": {200: {"description": "The document", "content": {"application/pdf": {}}}}},
)
def proof_file(request: HttpRequest, slug: str, proof_id: int):
    """For its owner and the event's entry officers; every opening is recorded in the audit log."""
    proof = _proof_for(request, slug, proof_id)
    data, content_type = proofs.open_proof(proof=proof, actor=request.auth.user)
    return proof_document(proof, data, content_type)


@router.delete(
    "{slug}/entry/proofs/{int:proof_id}", response={204: None, **errors(404)}, summary="Delete my proof"
)
def delete_proof(request: HttpRequest, slug: str, proof_id: int):
    proof = _proof_for(request, slug, proof_id)
    participant = getattr(request.auth, "participant", None)
    if participant is None or proof.participant_id != participant.pk:
        raise NotFound(_("This proof was not found."), code="not_found")
    proofs.delete_proof(proof=proof, actor=request.auth.user)
    return Status(204, None)


@router.get("{slug}/entry/me/data", response={200: dict, **errors(404, 429)}, summary="All my data")
def my_data(request: HttpRequest, slug: str):
    """Everything Summit holds about the participant, as JSON."""
    participant = _participant(request, slug)
    ratelimit.hit("export", str(participant.pk))
    return privacy.personal_data(participant)


@router.post("{slug}/entry/me/erasure", response={202: dict, **errors(404)}, summary="Ask for erasure")
def ask_erasure(request: HttpRequest, slug: str):
    """The organizers complete it: the registration and everything attached to it are deleted."""
    request_row = privacy.request_erasure(participant=_participant(request, slug), actor=request.auth.user)
    return Status(202, {"id": request_row.pk, "requested_at": request_row.requested_at.isoformat()})


# --- review ------------------------------------------------------------------------------------------------


@router.get(
    "{slug}/entry/review", response={200: list[ReviewItemOut], **errors(404)}, summary="Proofs to review"
)
def review_queue(request: HttpRequest, slug: str):
    event = _officer(request, slug)
    return [
        {
            **proof_out(p),
            "participant": p.participant_id,
            "name": p.participant.display_name,
            "category": p.participant.category.tr_name,
        }
        for p in proofs.review_queue(event)[:200]
    ]


@router.post(
    "{slug}/entry/proofs/{int:proof_id}/decision",
    response={200: ProofOut, **errors(404, 409, 422)},
    summary="Accept or reject a proof",
)
def decide(request: HttpRequest, slug: str, proof_id: int, payload: DecisionIn):
    """Rejecting needs a ``reason`` (``illegible``, ``wrong_person``, ``wrong_kind``, ``too_old``,
    ``not_negative``, ``date_mismatch``, ``other`` with a ``note``); the participant reads it in their language."""
    event = _officer(request, slug)
    proof = Proof.objects.filter(event=event, pk=proof_id).select_related("participant", "event").first()
    if proof is None:
        raise NotFound(_("This proof was not found."), code="not_found")
    proof = proofs.decide_proof(
        proof=proof, actor=request.auth.user, accept=payload.accept, reason=payload.reason, note=payload.note
    )
    return proof_out(proof)
