"""Registering people and changing their details."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from summit.core import audit
from summit.core.errors import Conflict, ValidationFailed
from summit.core.locking import lock_one, write_transaction
from summit.core.storage import private_storage, random_name
from summit.core.uploads import check_document
from summit.events.models import Event
from summit.registration.models import (
    Category,
    InvitationCode,
    Participant,
)
from summit.registration.services.invitations import check_invitation
from summit.registration.services.links import send_status_mail
from summit.registration.services.people import (
    PARTICIPANT_FIELDS,
    FieldError,
    User,
    clean_person,
    get_category,
    get_or_create_organization,
    raise_if_errors,
)
from summit.registration.services.quota import (
    _lock_category,
    _next_waitlist_position,
    initial_status,
    onsite_full,
)


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
