"""What the audit log calls this app's actions, in the reader's language (registered in apps.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "participant.registered": _("Registered"),
    "participant.imported": _("Imported from a list"),
    "participant.updated": _("Details changed"),
    "participant.approved": _("Approved"),
    "participant.rejected": _("Rejected"),
    "participant.waitlisted": _("Put on the waitlist"),
    "participant.promoted": _("Moved up from the waitlist"),
    "participant.cancelled": _("Cancelled"),
    "participant.mode_switched": _("Attendance switched"),
    "invitation.created": _("Invitation created"),
    "invitation.expired": _("Invitation expired"),
}


# --- the audit entries' data as sentences (registered in apps.py) -----------------------------------------


def _choice(field: str, value) -> str:
    """A stored value as the reader reads it: a status, mode, language or country by its label."""
    from django.core.exceptions import FieldDoesNotExist
    from django_countries import countries

    from summit.registration.models import Participant

    if value in (None, ""):
        return "—"
    if field == "country":
        return str(countries.name(value)) or str(value)
    try:
        choices = dict(Participant._meta.get_field(field).flatchoices)
    except FieldDoesNotExist:
        return str(value)
    return str(choices.get(value, value))


def _status_change(old, new) -> str:
    return _("Status changed from “%(old)s” to “%(new)s”.") % {
        "old": _choice("status", old),
        "new": _choice("status", new),
    }


def _category_name(item, code) -> str:
    from summit.registration.models import Category

    category = Category.objects.filter(event_id=item.event_id, code=code).first()
    return category.tr_name if category is not None else str(code)


def _decided(item) -> list:
    return [_status_change(item.data["from"], item.data["to"])]


def _cancelled(item) -> list:
    return [_("The status was “%(old)s”.") % {"old": _choice("status", item.data["from"])}]


def _mode_switched(item) -> list:
    data = item.data
    lines = [_("Attendance changed to “%(mode)s”.") % {"mode": _choice("attendance_mode", data["to"])}]
    if data.get("status_from") != data.get("status_to"):
        lines.append(_status_change(data["status_from"], data["status_to"]))
    return lines


def _registered(item) -> list:
    data = item.data
    lines = [
        _("Status “%(status)s”, category “%(category)s”, attendance “%(mode)s”.")
        % {
            "status": _choice("status", data["status"]),
            "category": _category_name(item, data["category"]),
            "mode": _choice("attendance_mode", data["mode"]),
        }
    ]
    if data.get("row"):
        lines.append(_("Row %(row)s of the imported file.") % {"row": data["row"]})
    return lines


def _updated(item) -> list:
    from summit.registration.services.people import field_label

    lines = []
    for field, change in item.data.items():
        if field == "press_card_file":
            lines.append(_("A new press card was uploaded."))
            continue
        lines.append(
            _("%(field)s changed from “%(old)s” to “%(new)s”.")
            % {
                "field": field_label(field),
                "old": _choice(field, change.get("from")),
                "new": _choice(field, change.get("to")),
            }
        )
    return lines or [_("Nothing was changed.")]


AUDIT_DETAILS = {
    "participant.registered": _registered,
    "participant.imported": _registered,
    "participant.updated": _updated,
    "participant.approved": _decided,
    "participant.rejected": _decided,
    "participant.waitlisted": _decided,
    "participant.promoted": _decided,
    "participant.cancelled": _cancelled,
    "participant.mode_switched": _mode_switched,
}
