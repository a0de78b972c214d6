"""Registering people and changing their details. One write path stores new registrations, whether one
person registers (form, API) or a delegation list is imported (``registration/imports.py``):
:func:`add_participants`."""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from summit.core import audit, capacity
from summit.core.errors import Conflict, ValidationFailed
from summit.core.locking import lock, lock_one, unit_of_work, write_transaction
from summit.core.models import AuditEntry
from summit.core.storage import private_storage, random_name
from summit.core.uploads import check_document
from summit.events.models import Event
from summit.registration.models import Category, InvitationCode, Organization, Participant
from summit.registration.services.invitations import check_invitation
from summit.registration.services.links import send_status_mail
from summit.registration.services.people import (
    PARTICIPANT_FIELDS,
    FieldError,
    User,
    clean_person,
    get_category,
    raise_if_errors,
    to_latin,
)
from summit.registration.services.quota import CATEGORY_QUOTA, initial_status
from summit.registration.signals import participant_details_changed, participants_registered

BATCH = 500


@unit_of_work
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
    if_registered: str = "error",
) -> Participant | None:
    """Register one person for ``event``. ``data`` holds raw strings (form, API); see :func:`clean_person`.

    An address already registered for the event is a field error (``email_taken``) for staff callers. The
    public form passes ``if_registered="notify"``: then, once everything else is valid, the owner of the
    address is told by mail (:func:`notify_already_registered`) and None is returned, so the visitor gets
    the same answer as for a new registration and learns nothing about who is registered.

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
    press_kind = _check_press_card(press_card, errors)
    taken = bool(cleaned.get("email")) and (
        Participant.objects.filter(event=event, email=cleaned["email"]).exists()
    )
    if taken and if_registered == "notify":
        raise_if_errors(errors)
        notify_already_registered(event=event, email=cleaned["email"], base_url=base_url)
        return None
    if taken:
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
            card = _save_press_card(press_card, press_kind, stored) if press_card is not None else ""
            [participant] = add_participants(
                event=event,
                entries=[Entry(category, cleaned, invitation=invitation, press_card_file=card)],
                actor=actor,
            )
    except IntegrityError as exc:
        if if_registered == "notify":
            notify_already_registered(event=event, email=cleaned["email"], base_url=base_url)
            return None
        raise ValidationFailed(
            _("The e-mail address %(email)s is already registered for this event.")
            % {"email": cleaned["email"]},
            code="email_taken",
            field="email",
        ) from exc
    if notify:
        send_status_mail(participant, template="registration/mail/registered", base_url=base_url)
    return participant


def notify_already_registered(*, event: Event, email: str, base_url: str | None = None) -> None:
    """Tell the owner of ``email`` (in their language) that someone tried to register it for ``event`` again,
    with a way into their registration."""
    participant = Participant.objects.filter(event=event, email=email).select_related("event").first()
    if participant is None:
        return
    with write_transaction():
        send_status_mail(participant, template="registration/mail/already_registered", base_url=base_url)


@dataclass
class Entry:
    """One new registration: its category (locked or not), its cleaned data (``people.clean_person``), the
    invitation it used, and for an imported list the row it came from."""

    category: Category
    cleaned: dict
    invitation: InvitationCode | None = None
    row: int | None = None
    press_card_file: str = ""  # the name of a press card already in private storage


def add_participants(*, event: Event, entries: list[Entry], actor, progress=None) -> list[Participant]:
    """The one write path of new registrations: the form and the API (one entry) and the CSV import (a whole
    file). Runs inside the caller's write transaction.

    Locks the categories (the on-site quota rows) in key order and counts their places once; statuses then
    follow the registration rules in entry order (full on-site quota → waitlist in that order; approval needed →
    submitted; else approved). Accounts and organizations are found or created in bulk, participants and their
    audit entries written in batches, and ``participants_registered`` is sent once (``source`` "import" for
    entries with a row number). ``progress(done)`` is called as participants are written.
    """
    now = timezone.now()
    categories = {c.pk: c for c in lock(Category.objects.filter(pk__in={e.category.pk for e in entries}))}
    taken = CATEGORY_QUOTA.taken(list(categories.values()))
    users = accounts_for([e.cleaned for e in entries])
    orgs = organizations_for(event, [e.cleaned for e in entries])
    participants = []
    for entry in entries:
        c, category = entry.cleaned, categories[entry.category.pk]
        placed = capacity.HELD
        if c["attendance_mode"] == Participant.ONSITE:
            placed = capacity.status_for(
                category.onsite_quota, taken.get(category.pk, 0), join_waitlist=True, full=capacity.Full
            )
        status = initial_status(category, c["attendance_mode"], onsite_full=placed == capacity.WAITLISTED)
        if status == Participant.APPROVED and c["attendance_mode"] == Participant.ONSITE:
            taken[category.pk] = taken.get(category.pk, 0) + 1
        org_key = organization_key(c)
        p = Participant(
            event=event,
            user=users[c["email"]],
            category=category,
            organization=orgs.get(org_key) if org_key else None,
            invitation=entry.invitation,
            press_card_file=entry.press_card_file,
            status=status,
            waitlist_position=capacity.next_position(category, save=False)
            if status == Participant.WAITLISTED
            else None,
            decided_at=now if status == Participant.APPROVED else None,
            created_at=now,
            **{k: c[k] for k in PARTICIPANT_FIELDS},
        )
        p.search_text = p.build_search_text()
        participants.append(p)
    for start in range(0, len(participants), BATCH):
        Participant.objects.bulk_create(participants[start : start + BATCH])
        if progress is not None:
            progress(min(start + BATCH, len(participants)))
    if any(p.pk is None for p in participants):  # backends that cannot return primary keys
        ids = dict(
            Participant.objects.filter(event=event, email__in=[p.email for p in participants]).values_list(
                "email", "pk"
            )
        )
        for p in participants:
            p.pk = ids[p.email]
    capacity.store_positions(categories.values())
    imported = any(e.row is not None for e in entries)
    AuditEntry.objects.bulk_create(
        [
            audit.entry(
                actor=actor,
                action="participant.imported" if imported else "participant.registered",
                obj=p,
                event=event,
                data={"status": p.status, "category": p.category.code, "mode": p.attendance_mode}
                | ({"row": e.row} if imported else {}),
                created_at=now,
            )
            for p, e in zip(participants, entries, strict=True)
        ],
        batch_size=BATCH,
    )
    participants_registered.send(
        event=event, participants=participants, source="import" if imported else "form", actor=actor
    )
    return participants


def accounts_for(people: list[dict]) -> dict:
    """The account of every e-mail in ``people`` (cleaned data); missing ones are created without a password
    (sign-in by link). Safe against the same new address registering at the same moment elsewhere."""
    emails = list(dict.fromkeys(c["email"] for c in people))
    users = _users_by_email(emails)
    new = []
    for c in people:
        email = c["email"]
        if email not in users and all(u.email != email for u in new):
            user = User(email=email, name=f"{c['given_name']} {c['family_name']}"[:200])
            # What set_unusable_password() stores, with one fast random token instead of 40 choice() calls.
            user.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)
            new.append(user)
    if new:
        User.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
        users.update(_users_by_email([u.email for u in new]))
    return users


def _users_by_email(emails: list[str]) -> dict:
    users = {}
    for start in range(0, len(emails), BATCH):
        for user in User.objects.filter(email__in=emails[start : start + BATCH]):
            users[user.email.lower()] = user
    return users


def organization_key(cleaned: dict) -> tuple[str, str] | None:
    name, latin = cleaned["organization_name"], cleaned["organization_name_latin"]
    if not (name or latin):
        return None
    return (latin or to_latin(name), cleaned["country"])


def organizations_for(event: Event, people: list[dict]) -> dict:
    """Organizations by (Latin name, country), found or created (safe against a concurrent creation)."""
    wanted: dict[tuple[str, str], dict] = {}
    for c in people:
        key = organization_key(c)
        if key and key not in wanted:
            wanted[key] = c
    if not wanted:
        return {}
    names = sorted({k[0] for k in wanted})
    orgs = _organizations_named(event, names)
    new = [
        Organization(
            event=event,
            name=c["organization_name"] or key[0],
            name_latin=key[0],
            type=c["organization_type"],
            country=key[1],
        )
        for key, c in wanted.items()
        if key not in orgs
    ]
    if new:
        Organization.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
        orgs = _organizations_named(event, names)
    return orgs


def _organizations_named(event: Event, names: list[str]) -> dict:
    orgs = {}
    for start in range(0, len(names), BATCH):
        for org in Organization.objects.filter(event=event, name_latin__in=names[start : start + BATCH]):
            orgs[(org.name_latin, str(org.country))] = org
    return orgs


@contextmanager
def _removing_files_on_failure(stored: list[str]):
    """Files saved inside a transaction that then fails are deleted again: no orphaned uploads."""
    try:
        yield
    except BaseException:
        for name in stored:
            private_storage().delete(name)
        raise


def _check_press_card(upload, errors: list[FieldError]) -> tuple[str, str] | None:
    """The kind of an uploaded press card (PDF, JPEG or PNG, by content), or None with its problem added to
    ``errors``; None without a problem when there is no upload."""
    if upload is None:
        return None
    try:
        return check_document(upload, field="press_card_file")
    except ValidationFailed as exc:
        errors.append(FieldError("press_card_file", exc.code, exc.detail))
        return None


def _save_press_card(upload, kind: tuple[str, str], stored: list[str]) -> str:
    """Store a checked press card in private storage (``stored`` remembers it, so a failed change removes it)
    and return its name."""
    name = private_storage().save(
        Participant.press_card_file.field.generate_filename(None, random_name(kind[1])), upload
    )
    stored.append(name)
    return name


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
    press_kind = _check_press_card(press_card, errors)
    raise_if_errors(errors)
    stored: list[str] = []
    with _removing_files_on_failure(stored), write_transaction():
        participant = lock_one(
            Participant.objects.filter(pk=participant.pk).select_related("event", "category", "organization")
        )
        before_org = participant.organization
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
        participant.latin_given = cleaned["latin_given"]
        key = organization_key(cleaned)
        participant.organization = organizations_for(participant.event, [cleaned])[key] if key else None
        if press_card is not None:
            previous = participant.press_card_file.name
            participant.press_card_file.name = _save_press_card(press_card, press_kind, stored)
            if previous:
                # The replaced identity document is deleted once the new one is committed.
                transaction.on_commit(lambda: private_storage().delete(previous))
        participant.save()
        changed = {
            f: {"from": v, "to": str(getattr(participant, f))}
            for f, v in before.items()
            if v != str(getattr(participant, f))
        }
        if participant.organization != before_org:
            changed["organization"] = {
                "from": str(before_org) if before_org else "",
                "to": str(participant.organization) if participant.organization else "",
            }
        if press_card is not None:
            changed["press_card_file"] = {"from": "", "to": "uploaded"}
        audit.record(actor=actor, action="participant.updated", obj=participant, data=changed)
        if changed:
            participant_details_changed.send(
                event=participant.event, participant=participant, changed=changed, actor=actor
            )
    return participant
