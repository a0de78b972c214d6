"""What the audit log calls this app's actions, in the reader's language (registered in apps.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "entry_rule.saved": _("Entry rule saved"),
    "entry_rule.deleted": _("Entry rule deleted"),
    "proof.uploaded": _("Entry proof uploaded"),
    "proof.opened": _("Entry proof document opened"),
    "proof.accepted": _("Entry proof accepted"),
    "proof.rejected": _("Entry proof rejected"),
    "proof.deleted": _("Entry proof deleted by its owner"),
    "badge.issued": _("Badge issued"),
    "photo.saved": _("Badge photo saved"),
    "photo.deleted": _("Badge photo deleted"),
    "badge.reissued": _("Badge reprinted (the previous one revoked)"),
    "badge.revoked": _("Badge revoked"),
    "health.purged": _("Health data purged"),
    "person.exported": _("Personal data downloaded"),
    "erasure.requested": _("Erasure requested"),
    "erasure.completed": _("Erasure completed"),
}
