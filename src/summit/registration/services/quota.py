"""The on-site quota of each category and its waitlist."""

from __future__ import annotations

from django.utils import timezone

from summit.core import audit
from summit.core.locking import lock_one
from summit.registration.models import (
    Category,
    Participant,
)
from summit.registration.services.links import send_status_mail


def onsite_taken(category: Category, *, exclude: Participant | None = None) -> int:
    qs = Participant.objects.filter(
        category=category, status=Participant.APPROVED, attendance_mode=Participant.ONSITE
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.count()


def onsite_full(category: Category, *, exclude: Participant | None = None, extra: int = 0) -> bool:
    if category.onsite_quota is None:
        return False
    return onsite_taken(category, exclude=exclude) + extra >= category.onsite_quota


def _next_waitlist_position(category: Category) -> int:
    category.waitlist_seq += 1
    Category.objects.filter(pk=category.pk).update(waitlist_seq=category.waitlist_seq)
    return category.waitlist_seq


def _lock_category(category: Category) -> Category:
    return lock_one(Category.objects.filter(pk=category.pk))


def initial_status(category: Category, mode: str, *, onsite_full: bool) -> str:
    """The status a new registration starts in (form, API and import alike)."""
    if mode == Participant.ONSITE and onsite_full:
        return Participant.WAITLISTED
    return Participant.SUBMITTED if category.needs_approval else Participant.APPROVED


def _promote_waitlisted(category: Category, *, actor, base_url=None, exclude=()) -> Participant | None:
    """Give a freed on-site place to the first person on the category's waitlist (caller holds the lock).

    ``exclude`` are participants just decided in the same batch: an officer who waitlists someone does not
    want them promoted straight back.
    """
    if onsite_full(category):
        return None
    first = lock_one(
        Participant.objects.filter(
            category=category, status=Participant.WAITLISTED, attendance_mode=Participant.ONSITE
        )
        .exclude(pk__in=list(exclude))
        .select_related("event", "category"),
        order_by=("waitlist_position", "pk"),
    )
    if first is None:
        return None
    old = first.status
    first.status = Participant.SUBMITTED if category.needs_approval else Participant.APPROVED
    first.waitlist_position = None
    first.decided_at = timezone.now()
    first.decision_reason = ""
    first.save(update_fields=["status", "waitlist_position", "decided_at", "decision_reason", "updated_at"])
    audit.record(
        actor=actor, action="participant.promoted", obj=first, data={"from": old, "to": first.status}
    )
    send_status_mail(first, template="registration/mail/promoted", base_url=base_url)
    return first
