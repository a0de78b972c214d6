"""The audit log: one call records who did what to which object, and why."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from summit.core.models import AuditEntry


def entry(
    *,
    actor,
    action: str,
    obj: models.Model,
    reason: str = "",
    data: dict | None = None,
    event=None,
    created_at=None,
):
    """An unsaved audit entry (for bulk_create); :func:`record` saves one at once."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    extra = {"created_at": created_at} if created_at is not None else {}
    return AuditEntry(
        event=event if event is not None else getattr(obj, "event", None),
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        reason=reason or "",
        data=data or {},
        **extra,
    )


def record(*, actor, action: str, obj: models.Model, reason: str = "", data: dict | None = None, event=None):
    item = entry(actor=actor, action=action, obj=obj, reason=reason, data=data, event=event)
    item.save()
    return item


def entries_for(obj: models.Model):
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related(
        "actor"
    )


ACTION_LABELS = {
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
    "api_token.created": _("API token created"),
    "api_token.revoked": _("API token revoked"),
    "forum.created": _("Forum created"),
    "forum.updated": _("Forum changed"),
    "session.created": _("Session created"),
    "session.updated": _("Session changed"),
    "session.cancelled": _("Session cancelled"),
    "speaker.saved": _("Speaker saved"),
    "speaker.profile_updated": _("Speaker profile changed by the speaker"),
    "talk.saved": _("Talk saved"),
    "talk.deleted": _("Talk deleted"),
    "booking.removed": _("Booking removed by the organizers"),
    "booking.promoted": _("Moved up from the session waitlist"),
    "agenda_feed.renewed": _("Calendar feed link renewed"),
}


def action_label(action: str) -> str:
    """The audit action in the reader's language (unknown actions show their code)."""
    return str(ACTION_LABELS.get(action, action))
