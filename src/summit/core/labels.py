"""What the audit log calls core's own actions, in the reader's language (registered in apps.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "two_factor.enabled": _("Second factor turned on"),
    "two_factor.disabled": _("Second factor turned off"),
}
