"""What the audit log calls this app's actions, in the reader's language (registered in apps.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "forum.created": _("Forum created"),
    "forum.updated": _("Forum changed"),
    "session.created": _("Session created"),
    "session.updated": _("Session changed"),
    "session.cancelled": _("Session cancelled"),
    "speaker.saved": _("Speaker saved"),
    "speaker.profile_updated": _("Speaker profile changed by the speaker"),
    "talk.saved": _("Talk saved"),
    "talk.deleted": _("Talk deleted"),
    "talk.moved": _("Talks reordered"),
    "booking.removed": _("Booking removed by the organizers"),
    "booking.promoted": _("Moved up from the session waitlist"),
    "agenda_feed.renewed": _("Calendar feed link renewed"),
}
