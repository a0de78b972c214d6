"""REST API: categories, participants and invitation codes of an event.

Every rule lives in ``services``; this only translates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict

from summit.core import jobs as core_jobs
from summit.core import ratelimit
from summit.core.errors import MAX_ID, ValidationFailed, as_id
from summit.core.http import base_url
from summit.core.schemas import JobOut, choice_in, errors, one_of
from summit.events.roles import token_event
from summit.registration import jobs, services
from summit.registration.models import Category, InvitationCode, Organization, Participant

router = Router(tags=["participants"])

MAX_PAGE = 500

STATUSES = Participant.STATUS_CHOICES
MODES = Participant.MODE_CHOICES


# --- output ------------------------------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    code: str
    name_en: str
    name_zh: str
    required_fields: list[one_of(Category.REQUIRABLE_FIELDS)]
    onsite_quota: int | None = Field(..., description="null: no limit")
    onsite_taken: int
    needs_approval: bool
    needs_invitation: bool
    allows_onsite: bool


class OrganizationOut(Schema):
    id: int
    name: str
    name_latin: str
    type: one_of(Organization.TYPE_CHOICES)
    country: str = Field(..., description="ISO 3166 code")

    @staticmethod
    def resolve_country(obj) -> str:
        return str(obj.country or "")


class ParticipantOut(Schema):
    id: int
    email: str
    given_name: str
    family_name: str
    given_name_latin: str = Field(..., description="Empty when no trustworthy Latin form is known")
    family_name_latin: str
    latin_given: bool = Field(..., description="The Latin name was written by the person, not derived")
    display_name: str
    name_order: one_of(Participant.NAME_ORDER_CHOICES)
    title: str
    position: str
    phone: str
    organization: OrganizationOut | None
    country: str = Field(..., description="ISO 3166 code")
    category: str = Field(..., description="The category's code")
    attendance_mode: one_of(MODES)
    language: one_of(Participant.LANGUAGE_CHOICES)
    status: one_of(STATUSES)
    waitlist_position: int | None
    decision_reason: str
    outlet: str
    press_card_number: str
    has_press_card: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_country(obj) -> str:
        return str(obj.country or "")

    @staticmethod
    def resolve_given_name_latin(obj) -> str:
        return obj.shown_given_name_latin

    @staticmethod
    def resolve_family_name_latin(obj) -> str:
        return obj.shown_family_name_latin

    @staticmethod
    def resolve_category(obj) -> str:
        return obj.category.code

    @staticmethod
    def resolve_has_press_card(obj) -> bool:
        return bool(obj.press_card_file)


class StatusCounts(Schema):
    """How many participants have each status."""

    submitted: int
    approved: int
    waitlisted: int
    rejected: int
    cancelled: int


class ParticipantListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[ParticipantOut]
    status_counts: StatusCounts = Field(..., description="Under every filter except status")


class StatusCountsOut(Schema):
    status_counts: StatusCounts


class InvitationOut(Schema):
    id: int
    code: str
    category: str
    organization: OrganizationOut | None
    max_uses: int
    uses: int
    expires_at: datetime | None
    note: str
    state: one_of(
        [
            services.INVITATION_ACTIVE,
            services.INVITATION_EXPIRED,
            services.INVITATION_USED_UP,
            services.INVITATION_REVOKED,
        ]
    ) = Field(..., description="revoked: expired by hand")
    link: str
    created_at: datetime


class InvitationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    category: str | int = Field(..., description="Category code or id")
    max_uses: int = Field(1, ge=1, le=services.MAX_INVITATION_USES)
    expires_at: datetime | None = Field(
        None, description="ISO 8601; without an offset, the event's time zone"
    )
    organization: int | None = Field(None, description="Organization id of this event")
    note: str = Field("", max_length=200)
    code: str | None = Field(
        None, max_length=64, description="Letters, digits, - and _; empty: a random code"
    )


class ImportOut(Schema):
    created: int
    status_counts: StatusCounts


# --- input -------------------------------------------------------------------------------------------------


def _text(limit: int):
    return Field(None, max_length=limit)


class _PersonFields(Schema):
    model_config = ConfigDict(extra="forbid")

    given_name: str | None = _text(100)
    family_name: str | None = _text(100)
    given_name_latin: str | None = _text(100)
    family_name_latin: str | None = _text(100)
    title: str | None = _text(50)
    position: str | None = _text(200)
    phone: str | None = _text(40)
    outlet: str | None = _text(200)
    press_card_number: str | None = _text(64)
    organization_name: str | None = _text(200)
    organization_name_latin: str | None = _text(200)
    organization_type: choice_in(Organization.TYPE_CHOICES, max_length=20) | None = None
    country: str | None = Field(None, max_length=100, description="ISO 3166 code or English name")
    language: choice_in(Participant.LANGUAGE_CHOICES, max_length=10) | None = None
    name_order: choice_in(Participant.NAME_ORDER_CHOICES, max_length=20) | None = None


class ParticipantIn(_PersonFields):
    email: str = Field(..., max_length=254)
    given_name: str = Field(..., max_length=100)
    family_name: str = Field(..., max_length=100)
    country: str = Field(..., max_length=100, description="ISO 3166 code or English name")
    category: str = Field(..., max_length=40, description="The category's code")
    attendance_mode: choice_in(MODES, max_length=10, description="Default: onsite") | None = None
    invitation_code: str | None = _text(64)
    notify: bool = True


class ParticipantPatch(_PersonFields):
    """Partial update: only the fields sent change. E-mail, category, status and attendance have their own calls."""


class StatusIn(Schema):
    model_config = ConfigDict(extra="forbid")

    status: choice_in(
        [Participant.APPROVED, Participant.REJECTED, Participant.WAITLISTED, Participant.CANCELLED],
        max_length=20,
    )
    reason: str = Field("", max_length=2000)
    notify: bool = True


class BulkStatusIn(StatusIn):
    status: choice_in([Participant.APPROVED, Participant.REJECTED, Participant.WAITLISTED], max_length=20)
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(..., min_length=1, max_length=5000)


class ModeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    attendance_mode: choice_in(MODES, max_length=10)


class ParticipantFilters(Schema):
    category: str | None = Field(None, max_length=40)
    country: str | None = Field(None, max_length=100)
    status: choice_in(STATUSES, max_length=20) | None = None
    mode: choice_in(MODES, max_length=10) | None = None
    organization: str | None = Field(None, max_length=200)
    q: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_ID)


# --- helpers -----------------------------------------------------------------------------------------------


def _participant(event, participant_id: int) -> Participant:
    return get_object_or_404(
        Participant.objects.select_related("event", "category", "organization"),
        event=event,
        pk=as_id(participant_id) or 0,
    )


def _reload(participant: Participant) -> Participant:
    return Participant.objects.select_related("category", "organization").get(pk=participant.pk)


def _event_counts(event) -> dict[str, int]:
    return services.status_counts(Participant.objects.filter(event=event))


# --- categories --------------------------------------------------------------------------------------------


@router.get(
    "{slug}/categories",
    response={200: list[CategoryOut], **errors(404)},
    summary="Participant categories with on-site quota use",
)
def list_categories(request: HttpRequest, slug: str):
    event = token_event(request, slug)
    taken = Count(
        "participants",
        filter=Q(participants__status=Participant.APPROVED, participants__attendance_mode=Participant.ONSITE),
    )
    return list(event.categories.annotate(onsite_taken=taken))


# --- participants ------------------------------------------------------------------------------------------


@router.get(
    "{slug}/participants",
    response={200: ParticipantListOut, **errors(404, 422)},
    summary="Filtered, paginated participant list",
)
def list_participants(request: HttpRequest, slug: str, filters: Query[ParticipantFilters]):
    """The same filters as the back office. ``status_counts`` counts every status under the *other* filters,
    so a client can show one tab per status."""
    event = token_event(request, slug, staff=True)
    params = filters.dict(exclude={"limit", "offset"}, exclude_none=True)
    qs, _applied = services.filter_participants(event, params)
    without_status, _ = services.filter_participants(
        event, {k: v for k, v in params.items() if k != "status"}
    )
    items = list(qs[filters.offset : filters.offset + filters.limit])
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": items,
        "status_counts": services.status_counts(without_status),
    }


@router.post(
    "{slug}/participants",
    response={201: ParticipantOut, **errors(404, 409, 422, 429)},
    summary="Register a participant",
)
def create_participant(request: HttpRequest, slug: str, payload: ParticipantIn):
    """Staff registration: any category of the event, invitation-only ones without a code; the press card
    *file* required by some categories cannot come through JSON and is not required here."""
    event = token_event(request, slug, staff=True)
    ratelimit.check(request, "api_register", f"{event.pk}:{payload.email or ''}")
    data = payload.dict(exclude={"category", "invitation_code", "notify"}, exclude_none=True)
    participant = services.register(
        event=event,
        data=data,
        category=payload.category or None,
        invitation_code=payload.invitation_code or None,
        actor=request.auth.user,
        notify=payload.notify,
        base_url=base_url(request),
        staff=True,
    )
    return Status(201, _reload(participant))


@router.post(
    "{slug}/participants/status",
    response={200: StatusCountsOut, 202: JobOut, **errors(404, 409, 422)},
    summary="Decide on many participants at once",
)
def bulk_status(request: HttpRequest, slug: str, payload: BulkStatusIn):
    """All or nothing: when one participant cannot be changed (unknown id, quota) nothing changes.

    A decision on ``BULK_JOB_THRESHOLD`` (200) or more participants runs in the background: the answer is 202
    with the job; poll ``GET /api/jobs/{id}`` until it has succeeded or failed."""
    event = token_event(request, slug, staff=True)
    if len(set(payload.ids)) >= settings.BULK_JOB_THRESHOLD:
        job = jobs.start_decision(
            event=event,
            ids=payload.ids,
            status=payload.status,
            reason=payload.reason,
            notify=payload.notify,
            actor=request.auth.user,
            base_url=base_url(request),
        )
        return Status(202, core_jobs.as_dict(job))
    services.decide_many(
        event=event,
        participant_ids=payload.ids,
        status=payload.status,
        actor=request.auth.user,
        reason=payload.reason,
        notify=payload.notify,
        base_url=base_url(request),
    )
    return {"status_counts": _event_counts(event)}


@router.get(
    "{slug}/participants/{int:participant_id}",
    response={200: ParticipantOut, **errors(404)},
    summary="One participant",
)
def get_participant(request: HttpRequest, slug: str, participant_id: int):
    event = token_event(request, slug, staff=True)
    return _participant(event, participant_id)


@router.patch(
    "{slug}/participants/{int:participant_id}",
    response={200: ParticipantOut, **errors(404, 409, 422)},
    summary="Change a participant's data",
)
def update_participant(request: HttpRequest, slug: str, participant_id: int, payload: ParticipantPatch):
    event = token_event(request, slug, staff=True)
    participant = _participant(event, participant_id)
    data = payload.dict(exclude_unset=True, exclude_none=True)
    participant = services.update_participant(
        participant=participant, data=data, actor=request.auth.user, staff=True
    )
    return _reload(participant)


@router.post(
    "{slug}/participants/{int:participant_id}/status",
    response={200: ParticipantOut, **errors(404, 409, 422)},
    summary="Approve, reject, waitlist or cancel",
)
def change_status(request: HttpRequest, slug: str, participant_id: int, payload: StatusIn):
    event = token_event(request, slug, staff=True)
    participant = _participant(event, participant_id)
    if payload.status == Participant.CANCELLED:
        participant = services.cancel(
            participant=participant,
            actor=request.auth.user,
            reason=payload.reason,
            base_url=base_url(request),
        )
    else:
        participant = services.decide(
            participant=participant,
            status=payload.status,
            actor=request.auth.user,
            reason=payload.reason,
            notify=payload.notify,
            base_url=base_url(request),
        )
    return _reload(participant)


@router.post(
    "{slug}/participants/{int:participant_id}/mode",
    response={200: ParticipantOut, **errors(404, 409, 422)},
    summary="Switch on-site / online",
)
def change_mode(request: HttpRequest, slug: str, participant_id: int, payload: ModeIn):
    event = token_event(request, slug, staff=True)
    participant = _participant(event, participant_id)
    participant = services.switch_mode(
        participant=participant,
        mode=payload.attendance_mode.strip().lower(),
        actor=request.auth.user,
        base_url=base_url(request),
    )
    return _reload(participant)


# --- invitation codes --------------------------------------------------------------------------------------


def _invitation_out(request: HttpRequest, event, invitation: InvitationCode, revoked: set[int]) -> dict:
    return {
        "id": invitation.pk,
        "code": invitation.code,
        "category": invitation.category.code,
        "organization": invitation.organization,
        "max_uses": invitation.max_uses,
        "uses": invitation.uses,
        "expires_at": invitation.expires_at,
        "note": invitation.note,
        "state": services.invitation_state(invitation, revoked=invitation.pk in revoked),
        "link": services.invitation_link(event, invitation.code, base_url(request)),
        "created_at": invitation.created_at,
    }


@router.get(
    "{slug}/invitations",
    response={200: list[InvitationOut], **errors(404)},
    summary="Invitation codes with their links",
)
def list_invitations(request: HttpRequest, slug: str):
    event = token_event(request, slug, staff=True)
    revoked = services.revoked_invitation_ids(event)
    invitations = (
        InvitationCode.objects.filter(event=event)
        .select_related("category", "organization")
        .order_by("-created_at", "-pk")
    )
    return [_invitation_out(request, event, invitation, revoked) for invitation in invitations]


@router.post(
    "{slug}/invitations",
    response={201: InvitationOut, **errors(404, 409, 422)},
    summary="Create an invitation code",
)
def create_invitation(request: HttpRequest, slug: str, payload: InvitationIn):
    """A duplicate code, ``max_uses`` below 1 or an expiry in the past → 422 with the ``field``."""
    event = token_event(request, slug, staff=True)
    category = services.get_category(event, payload.category)
    organization = None
    if payload.organization is not None:
        organization = event.organizations.filter(pk=payload.organization).first()
        if organization is None:
            raise ValidationFailed(
                _("Unknown organization for this event."), code="unknown_organization", field="organization"
            )
    invitation = services.create_invitation(
        event=event,
        category=category,
        actor=request.auth.user,
        max_uses=payload.max_uses,
        expires_at=payload.expires_at,
        organization=organization,
        note=payload.note,
        code=payload.code,
    )
    return Status(201, _invitation_out(request, event, invitation, set()))


# --- import ------------------------------------------------------------------------------------------------


@router.post(
    "{slug}/import",
    response={201: ImportOut, **errors(404, 409, 422)},
    summary="Import participants from a CSV/Excel file",
)
def import_file(
    request: HttpRequest,
    slug: str,
    file: File[UploadedFile],
    category: Annotated[str | None, Form(max_length=40)] = None,
    notify: Annotated[bool, Form()] = False,
):
    """All or nothing: any bad row → 422 ``import_invalid`` with ``errors`` listing row, column, code, detail."""
    from summit.registration.imports import import_participants

    event = token_event(request, slug, staff=True)
    if file.size is not None and file.size > settings.MAX_IMPORT_BYTES:
        raise ValidationFailed(
            _("The file is too large; the limit is %(limit)s.")
            % {"limit": filesizeformat(settings.MAX_IMPORT_BYTES)},
            code="file_too_large",
            field="file",
        )
    default_category = services.get_category(event, category) if category else None
    result = import_participants(
        event=event,
        data=file.read(),
        actor=request.auth.user,
        default_category=default_category,
        notify=notify,
        base_url=base_url(request),
    )
    return Status(201, {"created": len(result.created), "status_counts": _event_counts(event)})
