"""Every state change of registration goes through one function here (design.md §2).

Views, the REST API, management commands and tests call these functions; each completes inside one
transaction or raises a :class:`summit.core.errors.SummitError`.

On-site quota rules (per category):
- the quota counts *approved on-site* participants;
- an on-site applicant who registers while the quota is full lands on the waitlist (FIFO position);
- approving someone on-site past the quota is refused;
- when an approved on-site participant leaves that state (cancels, switches online, is rejected or
  waitlisted) the first waitlisted person of the category is promoted in the same transaction: to
  *approved* when the category needs no approval, otherwise to *submitted* (back to the review queue).
"""

from __future__ import annotations

import re
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from anyascii import anyascii
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from summit.core import audit, mail, rows
from summit.core.errors import Conflict, NotFound, ValidationFailed, as_id
from summit.core.locking import lock, lock_one, write_transaction
from summit.core.models import AuditEntry
from summit.core.storage import private_storage, random_name
from summit.core.uploads import check_document
from summit.events.models import Event
from summit.registration import token_use
from summit.registration.models import (
    ApiToken,
    Category,
    InvitationCode,
    MagicLink,
    Organization,
    Participant,
    hash_token,
)

User = get_user_model()

# Fields every registration has; max lengths mirror the model.
PERSON_FIELDS = {
    "email": 254,
    "given_name": 100,
    "family_name": 100,
    "given_name_latin": 100,
    "family_name_latin": 100,
    "title": 50,
    "position": 200,
    "phone": 40,
    "outlet": 200,
    "press_card_number": 64,
    "organization_name": 200,
    "organization_name_latin": 200,
}
REQUIRED_ALWAYS = ["email", "given_name", "family_name", "country"]
# Cleaned values stored as they are on a Participant (organization and category are resolved separately).
PARTICIPANT_FIELDS = (
    "email",
    "given_name",
    "family_name",
    "given_name_latin",
    "family_name_latin",
    "name_order",
    "title",
    "position",
    "country",
    "phone",
    "attendance_mode",
    "language",
    "outlet",
    "press_card_number",
)
DECISION_STATUSES = {Participant.APPROVED, Participant.REJECTED, Participant.WAITLISTED}


def field_label(field: str) -> str:
    labels = {
        "email": _("E-mail"),
        "given_name": _("Given name"),
        "family_name": _("Family name"),
        "given_name_latin": _("Given name (Latin letters)"),
        "family_name_latin": _("Family name (Latin letters)"),
        "title": _("Title"),
        "position": _("Position"),
        "phone": _("Phone"),
        "outlet": _("Media outlet"),
        "press_card_number": _("Press card number"),
        "press_card_file": _("Press card"),
        "organization": _("Organization"),
        "organization_name": _("Organization"),
        "organization_name_latin": _("Organization (Latin letters)"),
        "organization_type": _("Organization type"),
        "country": _("Country"),
        "category": _("Category"),
        "attendance_mode": _("Attendance"),
        "language": _("Preferred language"),
        "name_order": _("Name order"),
    }
    return str(labels.get(field, field))


@dataclass
class FieldError:
    field: str
    code: str
    detail: str

    def as_dict(self) -> dict:
        return {"field": self.field, "code": self.code, "detail": self.detail}


def to_latin(text: str) -> str:
    return anyascii(text).strip() if text else ""


def resolve_country(value: str) -> str | None:
    """An ISO 3166 alpha-2/alpha-3 code or an English country name → alpha-2 code, or None."""
    value = (value or "").strip()
    if not value:
        return None
    code = countries.alpha2(value)
    if code:
        return code
    by_name = countries.by_name(value)
    return by_name or None


def clean_person(
    event: Event, raw: dict, *, category: Category | None, has_press_card: bool, partial_from=None
) -> tuple[dict, list[FieldError]]:
    """Check and normalise a participant's data. Pure: reads, never writes.

    ``raw`` holds strings (from a form, the API or a CSV row). ``partial_from`` is the participant being
    edited: fields missing from ``raw`` keep their stored value and the e-mail is not re-checked.
    """
    errors: list[FieldError] = []
    data: dict = {}
    for field, limit in PERSON_FIELDS.items():
        value = raw.get(field)
        if value is None and partial_from is not None:
            value = _stored_value(partial_from, field)
        value = "" if value is None else str(value).strip()
        if len(value) > limit:
            errors.append(
                FieldError(
                    field,
                    "too_long",
                    _("%(field)s is too long (%(length)d characters; at most %(limit)d).")
                    % {"field": field_label(field), "length": len(value), "limit": limit},
                )
            )
        data[field] = value

    if partial_from is None:
        data["email"] = data["email"].lower()
        if data["email"]:
            try:
                validate_email(data["email"])
            except ValidationError:
                errors.append(
                    FieldError(
                        "email",
                        "bad_email",
                        _("“%(value)s” is not a valid e-mail address.") % {"value": data["email"]},
                    )
                )
    else:
        data["email"] = partial_from.email

    country_raw = raw.get("country")
    if country_raw is None and partial_from is not None:
        data["country"] = str(partial_from.country)
    else:
        country_raw = (country_raw or "").strip()
        data["country"] = resolve_country(country_raw)
        if country_raw and not data["country"]:
            errors.append(
                FieldError(
                    "country", "unknown_country", _("Unknown country: “%(value)s”.") % {"value": country_raw}
                )
            )
        elif not country_raw:
            data["country"] = ""

    for field, choices, default in (
        ("attendance_mode", dict(Participant.MODE_CHOICES), Participant.ONSITE),
        ("language", dict(Participant.LANGUAGE_CHOICES), "en"),
        ("name_order", dict(Participant.NAME_ORDER_CHOICES), Participant.GIVEN_FIRST),
        ("organization_type", dict(Organization.TYPE_CHOICES), Organization.OTHER),
    ):
        value = raw.get(field)
        if value is None and partial_from is not None:
            value = _stored_value(partial_from, field)
        value = (value or "").strip().lower() or default
        if field == "language" and value in {"zh", "zh-cn", "zh_hans", "zh-hans-cn"}:
            value = "zh-hans"
        if field == "attendance_mode" and value in {"on-site", "on_site", "offline"}:
            value = Participant.ONSITE
        if value not in choices:
            errors.append(
                FieldError(
                    field,
                    "bad_choice",
                    _("“%(value)s” is not a valid choice for %(field)s (allowed: %(allowed)s).")
                    % {"value": value, "field": field_label(field), "allowed": ", ".join(choices)},
                )
            )
        data[field] = value

    for field in REQUIRED_ALWAYS:
        if not data.get(field):
            if not any(e.field == field for e in errors):
                errors.append(
                    FieldError(field, "required", _("%(field)s is required.") % {"field": field_label(field)})
                )

    if category is not None:
        data["category"] = category
        for field in category.required_fields or []:
            present = (
                has_press_card
                if field == "press_card_file"
                else bool(data.get("organization_name" if field == "organization" else field))
            )
            if not present:
                errors.append(
                    FieldError(
                        field,
                        "required",
                        _("%(field)s is required for the category %(category)s.")
                        % {"field": field_label(field), "category": category},
                    )
                )
        if data.get("attendance_mode") == Participant.ONSITE and not category.allows_onsite:
            errors.append(
                FieldError(
                    "attendance_mode",
                    "onsite_not_allowed",
                    _("The category %(category)s attends online only.") % {"category": category},
                )
            )

    data["given_name_latin"] = data["given_name_latin"] or to_latin(data["given_name"])
    data["family_name_latin"] = data["family_name_latin"] or to_latin(data["family_name"])
    data["organization_name_latin"] = data["organization_name_latin"] or to_latin(data["organization_name"])
    return data, errors


def _stored_value(participant: Participant, field: str):
    if field == "organization_name":
        return participant.organization.name if participant.organization_id else ""
    if field == "organization_name_latin":
        return participant.organization.name_latin if participant.organization_id else ""
    if field == "organization_type":
        return participant.organization.type if participant.organization_id else ""
    return getattr(participant, field, "")


def raise_if_errors(errors: list[FieldError]) -> None:
    if errors:
        first = errors[0]
        message = (
            first.detail
            if len(errors) == 1
            else _("%(count)d fields need attention.") % {"count": len(errors)}
        )
        raise ValidationFailed(
            message, field=first.field if len(errors) == 1 else None, errors=[e.as_dict() for e in errors]
        )


# --- categories, organizations ----------------------------------------------------------------------------


def get_category(event: Event, code_or_id) -> Category:
    qs = event.categories.all()
    category = None
    if (pk := as_id(code_or_id)) is not None:
        category = qs.filter(pk=pk).first()
    if category is None and isinstance(code_or_id, str):
        category = qs.filter(code=code_or_id.strip()).first()
    if category is None:
        raise ValidationFailed(
            _("Unknown category: “%(value)s”.") % {"value": code_or_id},
            code="unknown_category",
            field="category",
        )
    return category


def get_or_create_organization(
    event: Event, *, name: str, name_latin: str, type: str, country: str
) -> Organization | None:
    if not (name or name_latin):
        return None
    name_latin = name_latin or to_latin(name)
    org, _created = Organization.objects.get_or_create(
        event=event,
        name_latin=name_latin,
        country=country,
        defaults={"name": name or name_latin, "type": type},
    )
    return org


def onsite_taken(category: Category, *, exclude: Participant | None = None) -> int:
    qs = Participant.objects.filter(
        category=category, status=Participant.APPROVED, attendance_mode=Participant.ONSITE
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.count()


def onsite_full(category: Category, *, exclude: Participant | None = None, extra: int = 0) -> bool:
    if category.onsite_quota is None:
        return False
    return onsite_taken(category, exclude=exclude) + extra >= category.onsite_quota


def _next_waitlist_position(category: Category) -> int:
    category.waitlist_seq += 1
    Category.objects.filter(pk=category.pk).update(waitlist_seq=category.waitlist_seq)
    return category.waitlist_seq


def _lock_category(category: Category) -> Category:
    return lock_one(Category.objects.filter(pk=category.pk))


# --- invitations -------------------------------------------------------------------------------------------


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
    note = (note or "").strip()
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


# --- registration ------------------------------------------------------------------------------------------


def register(
    *,
    event: Event,
    data: dict,
    category=None,
    invitation_code: str | None = None,
    press_card=None,
    actor=None,
    notify: bool = True,
    base_url: str | None = None,
    staff: bool = False,
) -> Participant:
    """Register one person for ``event``. ``data`` holds raw strings (form, API); see :func:`clean_person`.

    ``staff=True`` is for back-office callers (the REST API) who were already checked with
    ``roles.can_accredit``: they may use invitation-only categories without a code, and the press card
    *file* requirement does not apply (files cannot come through JSON); every other rule still does.
    """
    if not event.registration_open:
        raise Conflict(_("Registration for this event is closed."), code="registration_closed")
    invitation = check_invitation(event, invitation_code) if invitation_code else None
    if invitation is not None:
        category = invitation.category
    elif category is not None and not isinstance(category, Category):
        category = get_category(event, category)
    if category is None:
        raise ValidationFailed(_("Please choose a category."), code="required", field="category")
    if category.event_id != event.pk:
        raise ValidationFailed(
            _("Unknown category: “%(value)s”.") % {"value": category.code},
            code="unknown_category",
            field="category",
        )
    if category.needs_invitation and invitation is None and not staff:
        raise ValidationFailed(
            _("The category %(category)s needs an invitation code.") % {"category": category},
            code="invitation_required",
            field="invitation_code",
        )
    raw = dict(data)
    if invitation is not None and invitation.organization_id and not raw.get("organization_name"):
        raw["organization_name"] = invitation.organization.name
        raw["organization_name_latin"] = invitation.organization.name_latin
        raw["organization_type"] = invitation.organization.type
    cleaned, errors = clean_person(
        event, raw, category=category, has_press_card=press_card is not None or staff
    )
    press_kind = None
    if press_card is not None:
        try:
            press_kind = check_document(press_card, field="press_card_file")
        except ValidationFailed as exc:
            errors.append(FieldError("press_card_file", exc.code, exc.detail))
    if cleaned.get("email") and Participant.objects.filter(event=event, email=cleaned["email"]).exists():
        errors.insert(
            0,
            FieldError(
                "email",
                "email_taken",
                _("The e-mail address %(email)s is already registered for this event.")
                % {"email": cleaned["email"]},
            ),
        )
    raise_if_errors(errors)

    stored: list[str] = []
    try:
        with _removing_files_on_failure(stored), write_transaction():
            if invitation is not None:
                invitation = lock_one(InvitationCode.objects.filter(pk=invitation.pk))
                if invitation.is_used_up:
                    raise ValidationFailed(
                        _("This invitation code has already been used."),
                        code="invitation_used",
                        field="invitation_code",
                    )
                InvitationCode.objects.filter(pk=invitation.pk).update(uses=invitation.uses + 1)
            category = _lock_category(category)
            participant = _create_participant(event, category, cleaned, invitation=invitation)
            if press_card is not None:
                _store_press_card(participant, press_card, press_kind, stored)
                participant.save(update_fields=["press_card_file"])
            audit.record(
                actor=actor,
                action="participant.registered",
                obj=participant,
                data={
                    "status": participant.status,
                    "category": category.code,
                    "mode": participant.attendance_mode,
                },
            )
    except IntegrityError as exc:
        raise ValidationFailed(
            _("The e-mail address %(email)s is already registered for this event.")
            % {"email": cleaned["email"]},
            code="email_taken",
            field="email",
        ) from exc
    if notify:
        send_status_mail(participant, template="registration/mail/registered", base_url=base_url)
    return participant


def initial_status(category: Category, mode: str, *, onsite_full: bool) -> str:
    """The status a new registration starts in (form, API and import alike)."""
    if mode == Participant.ONSITE and onsite_full:
        return Participant.WAITLISTED
    return Participant.SUBMITTED if category.needs_approval else Participant.APPROVED


def _create_participant(event: Event, category: Category, cleaned: dict, *, invitation=None) -> Participant:
    user = User.objects.filter(email=cleaned["email"]).first() or User.objects.create_user(
        cleaned["email"], name=f"{cleaned['given_name']} {cleaned['family_name']}"
    )
    org = get_or_create_organization(
        event,
        name=cleaned["organization_name"],
        name_latin=cleaned["organization_name_latin"],
        type=cleaned["organization_type"],
        country=cleaned["country"],
    )
    status = initial_status(category, cleaned["attendance_mode"], onsite_full=onsite_full(category))
    participant = Participant(
        event=event,
        user=user,
        category=category,
        organization=org,
        invitation=invitation,
        status=status,
        **{k: cleaned[k] for k in PARTICIPANT_FIELDS},
    )
    if status == Participant.WAITLISTED:
        participant.waitlist_position = _next_waitlist_position(category)
    if status == Participant.APPROVED:
        participant.decided_at = timezone.now()
    participant.save()
    return participant


@contextmanager
def _removing_files_on_failure(stored: list[str]):
    """Files saved inside a transaction that then fails are deleted again: no orphaned uploads."""
    try:
        yield
    except BaseException:
        for name in stored:
            private_storage().delete(name)
        raise


def _store_press_card(participant: Participant, upload, kind: tuple[str, str], stored: list[str]) -> None:
    participant.press_card_file.save(random_name(kind[1]), upload, save=False)
    stored.append(participant.press_card_file.name)


def update_participant(
    *, participant: Participant, data: dict, actor, press_card=None, staff: bool = False
) -> Participant:
    """Edit a participant's data (self-service or back office). Category, e-mail and status do not change here.

    ``staff`` edits (back office, API) do not require the press card file, as staff registrations do not.
    """
    if participant.status == Participant.CANCELLED:
        raise Conflict(_("This registration has been cancelled."), code="cancelled")
    cleaned, errors = clean_person(
        participant.event,
        data,
        category=participant.category,
        has_press_card=staff or press_card is not None or bool(participant.press_card_file),
        partial_from=participant,
    )
    if cleaned["attendance_mode"] != participant.attendance_mode:
        errors.append(
            FieldError(
                "attendance_mode",
                "use_switch",
                _("Use “switch attendance” to change between on-site and online."),
            )
        )
    press_kind = None
    if press_card is not None:
        try:
            press_kind = check_document(press_card, field="press_card_file")
        except ValidationFailed as exc:
            errors.append(FieldError("press_card_file", exc.code, exc.detail))
    raise_if_errors(errors)
    stored: list[str] = []
    with _removing_files_on_failure(stored), write_transaction():
        participant = lock_one(
            Participant.objects.filter(pk=participant.pk).select_related("event", "category")
        )
        before = {
            f: str(getattr(participant, f))
            for f in (
                "given_name",
                "family_name",
                "given_name_latin",
                "family_name_latin",
                "title",
                "position",
                "country",
                "phone",
                "language",
                "outlet",
                "press_card_number",
                "name_order",
            )
        }
        for field in before:
            setattr(participant, field, cleaned[field])
        participant.organization = get_or_create_organization(
            participant.event,
            name=cleaned["organization_name"],
            name_latin=cleaned["organization_name_latin"],
            type=cleaned["organization_type"],
            country=cleaned["country"],
        )
        if press_card is not None:
            previous = participant.press_card_file.name
            _store_press_card(participant, press_card, press_kind, stored)
            if previous:
                # The replaced identity document is deleted once the new one is committed.
                transaction.on_commit(lambda: private_storage().delete(previous))
        participant.save()
        changed = {
            f: {"from": v, "to": str(getattr(participant, f))}
            for f, v in before.items()
            if v != str(getattr(participant, f))
        }
        if press_card is not None:
            changed["press_card_file"] = {"from": "", "to": "uploaded"}
        audit.record(actor=actor, action="participant.updated", obj=participant, data=changed)
    return participant


# --- decisions ---------------------------------------------------------------------------------------------


def decide(
    *, participant: Participant, status: str, actor, reason: str = "", notify: bool = True, base_url=None
) -> Participant:
    """Approve, reject or waitlist one participant."""
    return decide_many(
        event=participant.event,
        participant_ids=[participant.pk],
        status=status,
        actor=actor,
        reason=reason,
        notify=notify,
        base_url=base_url,
    )[0]


def decide_many(
    *,
    event: Event,
    participant_ids: list[int],
    status: str,
    actor,
    reason: str = "",
    notify: bool = True,
    base_url=None,
) -> list[Participant]:
    """Apply one decision to many participants, all or nothing.

    Refused as a whole when approving them would take a category past its on-site quota.
    """
    if status not in DECISION_STATUSES:
        raise ValidationFailed(
            _("Unknown decision “%(value)s”.") % {"value": status}, code="bad_status", field="status"
        )
    parsed = [as_id(i) for i in participant_ids]
    if None in parsed:
        raise ValidationFailed(_("The selection is not valid."), code="bad_ids", field="ids")
    ids = sorted(set(parsed))
    if not ids:
        raise ValidationFailed(_("Select at least one participant."), code="nothing_selected")
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise ValidationFailed(
            _("The reason is too long (at most 2000 characters)."), code="too_long", field="reason"
        )
    changed: list[Participant] = []
    with write_transaction():
        participants = lock(
            Participant.objects.filter(event=event, pk__in=ids).select_related("category", "event")
        )
        if len(participants) != len(ids):
            raise NotFound(_("Some of the selected participants do not exist in this event."))
        for p in participants:
            if p.status == Participant.CANCELLED:
                raise Conflict(
                    _("%(name)s has cancelled their registration; it cannot be decided on.")
                    % {"name": p.display_name},
                    code="cancelled",
                )
            if status == Participant.WAITLISTED and p.attendance_mode == Participant.ONLINE:
                raise Conflict(
                    _("%(name)s attends online, where places are not limited: there is no waitlist to join.")
                    % {"name": p.display_name},
                    code="online_no_waitlist",
                )
        categories = {p.category_id: p.category for p in participants}
        for cid in sorted(categories):
            categories[cid] = _lock_category(categories[cid])
        # Quota check for the whole batch first, so nothing is half-done.
        if status == Participant.APPROVED:
            for cid, category in categories.items():
                if category.onsite_quota is None:
                    continue
                newcomers = [
                    p
                    for p in participants
                    if p.category_id == cid
                    and p.attendance_mode == Participant.ONSITE
                    and p.status != Participant.APPROVED
                ]
                taken = onsite_taken(category)
                if newcomers and taken + len(newcomers) > category.onsite_quota:
                    raise Conflict(
                        _(
                            "Approving %(count)d on-site participant(s) of %(category)s would exceed its on-site quota: "
                            "%(taken)d of %(quota)d places are taken."
                        )
                        % {
                            "count": len(newcomers),
                            "category": category,
                            "taken": taken,
                            "quota": category.onsite_quota,
                        },
                        code="quota_full",
                    )
        now = timezone.now()
        for p in participants:
            if p.status == status:
                continue
            p.category = categories[p.category_id]
            freed = p.holds_onsite_place
            old = p.status
            p.status = status
            p.decision_reason = reason
            p.decided_at = now
            p.waitlist_position = (
                _next_waitlist_position(p.category) if status == Participant.WAITLISTED else None
            )
            p.save(
                update_fields=["status", "decision_reason", "decided_at", "waitlist_position", "updated_at"]
            )
            audit.record(
                actor=actor,
                action=f"participant.{status}",
                obj=p,
                reason=reason,
                data={"from": old, "to": status},
            )
            changed.append(p)
            if old == Participant.APPROVED:
                _release_bookings(p, actor=actor, base_url=base_url)
            if freed:
                _promote_waitlisted(p.category, actor=actor, base_url=base_url, exclude=ids)
        if notify:
            for p in changed:
                send_status_mail(p, template="registration/mail/decision", base_url=base_url)
    return participants


def _promote_waitlisted(category: Category, *, actor, base_url=None, exclude=()) -> Participant | None:
    """Give a freed on-site place to the first person on the category's waitlist (caller holds the lock).

    ``exclude`` are participants just decided in the same batch: an officer who waitlists someone does not
    want them promoted straight back.
    """
    if onsite_full(category):
        return None
    first = lock_one(
        Participant.objects.filter(
            category=category, status=Participant.WAITLISTED, attendance_mode=Participant.ONSITE
        )
        .exclude(pk__in=list(exclude))
        .select_related("event", "category"),
        order_by=("waitlist_position", "pk"),
    )
    if first is None:
        return None
    old = first.status
    first.status = Participant.SUBMITTED if category.needs_approval else Participant.APPROVED
    first.waitlist_position = None
    first.decided_at = timezone.now()
    first.decision_reason = ""
    first.save(update_fields=["status", "waitlist_position", "decided_at", "decision_reason", "updated_at"])
    audit.record(
        actor=actor, action="participant.promoted", obj=first, data={"from": old, "to": first.status}
    )
    send_status_mail(first, template="registration/mail/promoted", base_url=base_url)
    return first


def cancel(*, participant: Participant, actor, reason: str = "", base_url=None) -> Participant:
    """Cancel a registration (by the participant or the back office). Frees an on-site place."""
    with write_transaction():
        participant = lock_one(
            Participant.objects.filter(pk=participant.pk).select_related("event", "category")
        )
        if participant.status == Participant.CANCELLED:
            raise Conflict(_("This registration is already cancelled."), code="already_cancelled")
        category = _lock_category(participant.category)
        freed = participant.holds_onsite_place
        old = participant.status
        participant.status = Participant.CANCELLED
        participant.waitlist_position = None
        participant.decided_at = timezone.now()
        participant.save(update_fields=["status", "waitlist_position", "decided_at", "updated_at"])
        audit.record(
            actor=actor, action="participant.cancelled", obj=participant, reason=reason, data={"from": old}
        )
        _release_bookings(participant, actor=actor, base_url=base_url)
        if freed:
            _promote_waitlisted(category, actor=actor, base_url=base_url)
    return participant


def _release_bookings(participant: Participant, *, actor, online_only: bool = False, base_url=None) -> None:
    """Seats and waitlist spots in sessions go with the registration (only approved people hold them)."""
    from summit.program.services import release_participant

    release_participant(participant=participant, actor=actor, online_only=online_only, base_url=base_url)


def switch_mode(*, participant: Participant, mode: str, actor, base_url=None) -> Participant:
    """Switch between on-site and online. Going on-site is subject to the category's quota."""
    if mode not in dict(Participant.MODE_CHOICES):
        raise ValidationFailed(
            _("Unknown attendance mode “%(value)s”.") % {"value": mode},
            code="bad_choice",
            field="attendance_mode",
        )
    with write_transaction():
        participant = lock_one(
            Participant.objects.filter(pk=participant.pk).select_related("event", "category")
        )
        if participant.status in (Participant.CANCELLED, Participant.REJECTED):
            raise Conflict(
                _("This registration is %(status)s; it cannot be changed.")
                % {"status": participant.get_status_display()},
                code="closed",
            )
        if participant.attendance_mode == mode:
            return participant
        category = _lock_category(participant.category)
        old_status = participant.status
        if mode == Participant.ONSITE:
            if not category.allows_onsite:
                raise Conflict(
                    _("The category %(category)s attends online only.") % {"category": category},
                    code="onsite_not_allowed",
                )
            if participant.status == Participant.APPROVED and onsite_full(category):
                raise Conflict(
                    _("All %(quota)d on-site places of %(category)s are taken; you stay online.")
                    % {"quota": category.onsite_quota, "category": category},
                    code="quota_full",
                )
            if participant.status == Participant.SUBMITTED and onsite_full(category):
                participant.status = Participant.WAITLISTED
                participant.waitlist_position = _next_waitlist_position(category)
            participant.attendance_mode = Participant.ONSITE
            freed = False
        else:
            freed = participant.holds_onsite_place
            participant.attendance_mode = Participant.ONLINE
            if participant.status == Participant.WAITLISTED:
                # Online places are not limited: leave the waitlist.
                participant.status = (
                    Participant.SUBMITTED if category.needs_approval else Participant.APPROVED
                )
                participant.waitlist_position = None
        participant.save(update_fields=["attendance_mode", "status", "waitlist_position", "updated_at"])
        audit.record(
            actor=actor,
            action="participant.mode_switched",
            obj=participant,
            data={"to": mode, "status_from": old_status, "status_to": participant.status},
        )
        if mode == Participant.ONLINE:
            _release_bookings(participant, actor=actor, online_only=True, base_url=base_url)
        if freed:
            _promote_waitlisted(category, actor=actor, base_url=base_url)
    return participant


def status_counts(queryset) -> dict[str, int]:
    counts = dict(queryset.order_by().values_list("status").annotate(n=Count("id")))
    return {code: counts.get(code, 0) for code, _label in Participant.STATUS_CHOICES}


# --- listing -----------------------------------------------------------------------------------------------


def filter_participants(event: Event, params) -> tuple:
    """The participant list of the back office, the export and the API, with the same filters.

    Returns ``(queryset, filters)``; ``filters`` are the applied values. Unknown values filter nothing out
    silently: they raise a ValidationFailed naming the filter.
    """
    qs = Participant.objects.filter(event=event)
    applied: dict = {}
    get = params.get
    if value := (get("category") or "").strip():
        pk = as_id(value)
        category = event.categories.filter(Q(code=value) | Q(pk=pk) if pk else Q(code=value)).first()
        if category is None:
            raise ValidationFailed(
                _("Unknown category: “%(value)s”.") % {"value": value}, code="bad_filter", field="category"
            )
        qs = qs.filter(category=category)
        applied["category"] = value
    if value := (get("status") or "").strip():
        if value not in dict(Participant.STATUS_CHOICES):
            raise ValidationFailed(
                _("Unknown status “%(value)s”.") % {"value": value}, code="bad_filter", field="status"
            )
        qs = qs.filter(status=value)
        applied["status"] = value
    if value := (get("mode") or get("attendance_mode") or "").strip():
        if value not in dict(Participant.MODE_CHOICES):
            raise ValidationFailed(
                _("Unknown attendance mode “%(value)s”.") % {"value": value}, code="bad_filter", field="mode"
            )
        qs = qs.filter(attendance_mode=value)
        applied["mode"] = value
    if value := (get("country") or "").strip():
        code = resolve_country(value)
        if not code:
            raise ValidationFailed(
                _("Unknown country: “%(value)s”.") % {"value": value}, code="bad_filter", field="country"
            )
        qs = qs.filter(country=code)
        applied["country"] = code
    if value := (get("organization") or "").strip():
        if (pk := as_id(value)) is not None:
            qs = qs.filter(organization_id=pk)
        else:
            qs = qs.filter(
                Q(organization__name_latin__icontains=value) | Q(organization__name__icontains=value)
            )
        applied["organization"] = value
    if value := (get("q") or "").strip():
        for term in value.casefold().split():
            qs = qs.filter(search_text__contains=term)
        applied["q"] = value
    return qs.select_related("category", "organization"), applied


# --- magic links -------------------------------------------------------------------------------------------


def issue_magic_link(*, participant: Participant, base_url: str | None = None, next_path: str = "") -> str:
    """Create a one-time sign-in link for ``participant`` and return its full URL.

    ``next_path`` (a page of the participant's event) is where the link lands after signing in.
    """
    raw = secrets.token_urlsafe(32)
    MagicLink.objects.create(
        user=participant.user,
        participant=participant,
        token_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(hours=settings.MAGIC_LINK_HOURS),
    )
    link = (base_url or settings.SITE_URL).rstrip("/") + reverse("magic", args=[raw])
    if next_path and safe_next_path(participant.event, next_path):
        link += "?" + urlencode({"next": next_path})
    return link


def safe_next_path(event: Event, path: str) -> bool:
    """Only a page of the same event, on this site, may follow a sign-in."""
    return (
        isinstance(path, str)
        and len(path) <= 500
        and path.startswith(f"/events/{event.slug}/")
        and "//" not in path
        and "\\" not in path
        and all(ch.isprintable() and not ch.isspace() for ch in path)
    )


def check_magic_link(raw: str, *, queryset=None) -> MagicLink:
    """The usable magic link for ``raw``; expired, used or unknown links raise a clear error. Read-only."""
    queryset = queryset if queryset is not None else MagicLink.objects.all()
    link = (
        queryset.filter(token_hash=hash_token(raw or "")).select_related("user", "participant__event").first()
    )
    if link is None:
        raise NotFound(_("This sign-in link is not valid. Please request a new one."), code="link_invalid")
    if link.used_at is not None:
        raise Conflict(
            _("This sign-in link has already been used. Please request a new one."), code="link_used"
        )
    if link.expires_at <= timezone.now():
        raise Conflict(_("This sign-in link has expired. Please request a new one."), code="link_expired")
    return link


def consume_magic_link(raw: str) -> MagicLink:
    """Use a magic link once (the row is locked, so two clicks cannot both sign in)."""
    with write_transaction():
        link = check_magic_link(raw, queryset=MagicLink.objects.select_for_update(of=("self",)))
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    return link


def request_magic_link(*, event: Event, email: str, base_url: str | None = None, next_path: str = "") -> bool:
    """E-mail a sign-in link to a registered address. Returns whether one was sent (never shown to the visitor)."""
    participant = (
        Participant.objects.filter(event=event, email=(email or "").strip().lower())
        .select_related("event")
        .first()
    )
    if participant is None:
        return False
    with write_transaction():
        send_status_mail(
            participant, template="registration/mail/magic_link", base_url=base_url, next_path=next_path
        )
    return True


def send_status_mail(
    participant: Participant, *, template: str, base_url: str | None = None, next_path: str = ""
) -> None:
    """Send one of the participant mails in their language, with a fresh sign-in link."""
    link = issue_magic_link(participant=participant, base_url=base_url, next_path=next_path)
    mail.send(
        to=participant.email,
        template=template,
        language=participant.language,
        context={
            "participant": participant,
            "event": participant.event,
            "link": link,
            "hours": settings.MAGIC_LINK_HOURS,
            "status": participant.status,
        },
    )


# --- API tokens --------------------------------------------------------------------------------------------


def create_api_token(*, event: Event, user, name: str) -> tuple[ApiToken, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the token a name."), code="required", field="name")
    if len(name) > 100:
        raise ValidationFailed(
            _("The name is too long (at most 100 characters)."), code="too_long", field="name"
        )
    raw = "smt_" + secrets.token_urlsafe(30)
    with write_transaction():
        token = ApiToken.objects.create(
            event=event, user=user, name=name, prefix=raw[:10], token_hash=hash_token(raw)
        )
        audit.record(actor=user, action="api_token.created", obj=token, event=event, data={"name": name})
    return token, raw


def revoke_api_token(*, token: ApiToken, actor) -> ApiToken:
    with write_transaction():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit.record(actor=actor, action="api_token.revoked", obj=token, event=token.event)
    return token


def authenticate_token(raw: str) -> ApiToken | None:
    """The active token whose hash matches ``raw``, with its user, its event and ``participant`` (the user's
    participant record in that event, or None), all in one query: every API request runs this, so it is plain
    SQL (see ``core.rows``). Its use is recorded by ``token_use``."""
    found = rows.fetch(
        _token_sql(),
        [hash_token(raw or "")],
        ApiToken,
        "t",
        get_user_model(),
        "u",
        Event,
        "e",
        Participant,
        "p",
    )
    if not found:
        return None
    token, user, event, participant = found[0]
    if token.revoked_at is not None or not user.is_active:
        return None
    token.user, token.event = user, event
    token.participant = participant if participant.pk is not None else None
    if token.participant is not None:
        token.participant.event = event
    token_use.note(token)
    return token


def _token_sql() -> str:
    return (
        f"SELECT {{columns}} FROM {ApiToken._meta.db_table} t"
        f" JOIN {get_user_model()._meta.db_table} u ON u.id = t.user_id"
        f" JOIN {Event._meta.db_table} e ON e.id = t.event_id"
        f" LEFT JOIN {Participant._meta.db_table} p ON p.event_id = t.event_id AND p.user_id = t.user_id"
        " WHERE t.token_hash = %s ORDER BY p.id LIMIT 1"
    )
