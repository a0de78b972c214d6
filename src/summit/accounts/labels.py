"""What the audit log calls this app's actions, in the reader's language (registered in apps.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "api_token.created": _("API token created"),
    "api_token.revoked": _("API token revoked"),
}
