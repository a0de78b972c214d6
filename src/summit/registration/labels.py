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
