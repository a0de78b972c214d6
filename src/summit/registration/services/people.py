"""A participant's data: checking and normalising it (form, API and CSV import alike), organizations, categories."""

from __future__ import annotations

from dataclasses import dataclass

from anyascii import anyascii
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django_countries import countries

from summit.core import names
from summit.core.errors import ValidationFailed, as_id
from summit.core.text import UnsafeEmail, clean_email, clean_text
from summit.events.models import Event
from summit.registration.models import (
    Category,
    Organization,
    Participant,
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
    "latin_given",
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
        # Names and the like lose invisible characters here; the e-mail address is checked below.
        value = str(value or "").strip() if field == "email" else clean_text(value)
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
        try:
            data["email"] = clean_email(data["email"])
        except UnsafeEmail as exc:
            errors.append(FieldError("email", exc.code, exc.detail))
        else:
            try:
                if data["email"]:
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

    errors += _latin_forms(data, raw, partial_from)
    return data, errors


def _latin_forms(data: dict, raw: dict, partial_from) -> list[FieldError]:
    """Fill the Latin name and organization name: as the person wrote them, or derived where the script's
    romanization is reliable (``core.names``); otherwise a field error asks for the passport spelling."""
    errors = []
    country = data.get("country") or ""
    name_fields = (("given_name_latin", "given_name"), ("family_name_latin", "family_name"))
    if partial_from is not None and not partial_from.latin_given:
        for field, _native in name_fields:
            if raw.get(field) is None:
                data[field] = ""  # derived before: derive it again from the name as it is now
    data["latin_given"] = bool(data["given_name_latin"] or data["family_name_latin"])
    for field, native_field in (*name_fields, ("organization_name_latin", "organization_name")):
        native = data[native_field]
        if data[field] or not native:
            continue
        organization = field == "organization_name_latin"
        why = names.why_latin_needed(native, "" if organization else country, organization=organization)
        if why:
            errors.append(FieldError(field, "latin_required", why))
        elif field == "organization_name_latin":
            data[field] = to_latin(native)
        else:
            data[field] = names.automatic_latin(native, family=native_field == "family_name")
    return errors


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
