"""What the audit log calls this app's actions, in the reader's language (registered in apps.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "stage.updated": _("Live settings of a session changed"),
    "question.moderated": _("Question moderated"),
    "question.edited": _("Question corrected by a moderator"),
    "chat.deleted": _("Chat message deleted"),
    "poll.created": _("Poll created"),
    "poll.opened": _("Poll opened"),
    "poll.closed": _("Poll closed"),
}
