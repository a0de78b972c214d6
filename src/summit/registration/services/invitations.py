"""Invitation codes: creating, checking and ending them."""

from __future__ import annotations

import re
import secrets

from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from summit.core import audit
from summit.core.errors import NotFound, ValidationFailed, as_id
from summit.core.locking import lock_one, write_transaction
from summit.core.models import AuditEntry
from summit.core.text import clean_text
from summit.events.models import Event
from summit.registration.models import (
    Category,
    InvitationCode,
    Organization,
)
from summit.registration.services.people import FieldError, raise_if_errors


def check_invitation(event: Event, code: str) -> InvitationCode:
    """The invitation for ``code`` if it can still be used; raise a clear error otherwise. Read-only."""
    code = (code or "").strip()
    invitation = (
        InvitationCode.objects.select_related("category", "organization")
        .filter(event=event, code__iexact=code)
        .first()
    )
    if invitation is None:
        raise ValidationFailed(
            _("This invitation code is not valid for this event."),
            code="invitation_invalid",
            field="invitation_code",
        )
    if invitation.is_expired:
        raise ValidationFailed(
            _("This invitation code has expired."), code="invitation_expired", field="invitation_code"
        )
    if invitation.is_used_up:
        raise ValidationFailed(
            _("This invitation code has already been used."), code="invitation_used", field="invitation_code"
        )
    return invitation


INVITATION_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


MAX_INVITATION_USES = 100_000


# Invitation states, as shown in the back office and the API.
INVITATION_ACTIVE = "active"


INVITATION_EXPIRED = "expired"


INVITATION_USED_UP = "used_up"


INVITATION_REVOKED = "revoked"


def invitation_state_labels() -> dict[str, str]:
    return {
        INVITATION_ACTIVE: _("Active"),
        INVITATION_EXPIRED: _("Expired"),
        INVITATION_USED_UP: _("Used up"),
        INVITATION_REVOKED: _("Expired by hand"),
    }


def revoked_invitation_ids(event: Event) -> set[int]:
    """Invitations of ``event`` that staff ended early with :func:`expire_invitation` (from the audit log)."""
    ids = AuditEntry.objects.filter(
        event=event,
        action="invitation.expired",
        object_type=InvitationCode._meta.label_lower,
    ).values_list("object_id", flat=True)
    return {pk for i in ids if (pk := as_id(i)) is not None}


def invitation_state(invitation: InvitationCode, *, revoked: bool = False) -> str:
    """active, expired, used_up or revoked (expired by hand); the order follows :func:`check_invitation`."""
    if invitation.is_expired:
        return INVITATION_REVOKED if revoked else INVITATION_EXPIRED
    if invitation.is_used_up:
        return INVITATION_USED_UP
    return INVITATION_ACTIVE


def invitation_link(event: Event, code: str, base_url: str) -> str:
    """The full registration link of an invitation; ``base_url`` is the site root (``https://host/``)."""
    path = reverse("registration:register", args=[event.slug]) + "?code=" + code
    return base_url.rstrip("/") + path


def create_invitation(
    *,
    event: Event,
    category: Category,
    actor,
    max_uses: int = 1,
    expires_at=None,
    organization: Organization | None = None,
    note: str = "",
    code: str | None = None,
) -> InvitationCode:
    """Create an invitation code of ``event``. Every bad field is reported (``errors``), nothing is stored.

    ``code`` may be chosen (letters, digits, ``-`` and ``_``, at most 64); empty means a random one. Codes
    are unique per event regardless of case, as :func:`check_invitation` looks them up case-insensitively.
    """
    if category.event_id != event.pk:
        raise NotFound()
    errors: list[FieldError] = []
    if organization is not None and organization.event_id != event.pk:
        errors.append(
            FieldError("organization", "unknown_organization", _("Unknown organization for this event."))
        )
    if isinstance(max_uses, bool) or not isinstance(max_uses, int) or max_uses < 1:
        errors.append(FieldError("max_uses", "min_value", _("An invitation must allow at least one use.")))
    elif max_uses > MAX_INVITATION_USES:
        errors.append(
            FieldError(
                "max_uses",
                "max_value",
                _("An invitation may allow at most %(max)d uses.") % {"max": MAX_INVITATION_USES},
            )
        )
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            expires_at = timezone.make_aware(expires_at, event.tz)
        if expires_at <= timezone.now():
            errors.append(FieldError("expires_at", "in_past", _("The expiry must be in the future.")))
    note = clean_text(note)
    if len(note) > 200:
        errors.append(FieldError("note", "too_long", _("The note is too long (at most 200 characters).")))
    code = (code or "").strip()
    if code:
        if not INVITATION_CODE_RE.fullmatch(code):
            errors.append(
                FieldError(
                    "code",
                    "bad_code",
                    _("A code may only contain letters, digits, “-” and “_” (at most 64 characters)."),
                )
            )
        elif InvitationCode.objects.filter(event=event, code__iexact=code).exists():
            errors.append(FieldError("code", "duplicate_code", _duplicate_code_message(code)))
    raise_if_errors(errors)
    try:
        with write_transaction():
            invitation = InvitationCode.objects.create(
                event=event,
                category=category,
                organization=organization,
                max_uses=max_uses,
                expires_at=expires_at,
                note=note,
                code=code or secrets.token_urlsafe(9),
            )
            audit.record(
                actor=actor,
                action="invitation.created",
                obj=invitation,
                data={"category": category.code, "max_uses": max_uses},
            )
    except IntegrityError as exc:
        # Two people chose the same code at the same moment: the unique constraint decides.
        raise ValidationFailed(_duplicate_code_message(code), code="duplicate_code", field="code") from exc
    return invitation


def _duplicate_code_message(code: str) -> str:
    return _("The code “%(code)s” is already used for this event.") % {"code": code}


def expire_invitation(*, invitation: InvitationCode, actor) -> InvitationCode:
    """End an invitation now: its link shows the "expired" page from then on. Idempotent."""
    with write_transaction():
        invitation = lock_one(InvitationCode.objects.filter(pk=invitation.pk).select_related("event"))
        if invitation is None:
            raise NotFound()
        if not invitation.is_expired:
            previous = invitation.expires_at
            invitation.expires_at = timezone.now()
            invitation.save(update_fields=["expires_at"])
            audit.record(
                actor=actor,
                action="invitation.expired",
                obj=invitation,
                data={"previous_expires_at": previous.isoformat() if previous else None},
            )
    return invitation
