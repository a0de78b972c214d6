"""What the audit log calls this app's actions, in the reader's language (registered in apps.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "event.staff_two_factor": _("Second factor for staff changed"),
}
