"""Decisions on registrations: approve, reject, waitlist; cancelling and switching attendance."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from summit.core import audit
from summit.core.errors import Conflict, NotFound, ValidationFailed, as_id
from summit.core.locking import lock, lock_one, write_transaction
from summit.events.models import Event
from summit.registration.models import (
    Participant,
)
from summit.registration.services.links import send_status_mail
from summit.registration.services.quota import (
    _lock_category,
    _next_waitlist_position,
    _promote_waitlisted,
    onsite_full,
    onsite_taken,
)

DECISION_STATUSES = {Participant.APPROVED, Participant.REJECTED, Participant.WAITLISTED}


def decide(
    *, participant: Participant, status: str, actor, reason: str = "", notify: bool = True, base_url=None
) -> Participant:
    """Approve, reject or waitlist one participant."""
    return decide_many(
        event=participant.event,
        participant_ids=[participant.pk],
        status=status,
        actor=actor,
        reason=reason,
        notify=notify,
        base_url=base_url,
    )[0]


def decide_many(
    *,
    event: Event,
    participant_ids: list[int],
    status: str,
    actor,
    reason: str = "",
    notify: bool = True,
    base_url=None,
) -> list[Participant]:
    """Apply one decision to many participants, all or nothing.

    Refused as a whole when approving them would take a category past its on-site quota.
    """
    if status not in DECISION_STATUSES:
        raise ValidationFailed(
            _("Unknown decision “%(value)s”.") % {"value": status}, code="bad_status", field="status"
        )
    parsed = [as_id(i) for i in participant_ids]
    if None in parsed:
        raise ValidationFailed(_("The selection is not valid."), code="bad_ids", field="ids")
    ids = sorted(set(parsed))
    if not ids:
        raise ValidationFailed(_("Select at least one participant."), code="nothing_selected")
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise ValidationFailed(
            _("The reason is too long (at most 2000 characters)."), code="too_long", field="reason"
        )
    changed: list[Participant] = []
    with write_transaction():
        participants = lock(
            Participant.objects.filter(event=event, pk__in=ids).select_related("category", "event")
        )
        if len(participants) != len(ids):
            raise NotFound(_("Some of the selected participants do not exist in this event."))
        for p in participants:
            if p.status == Participant.CANCELLED:
                raise Conflict(
                    _("%(name)s has cancelled their registration; it cannot be decided on.")
                    % {"name": p.display_name},
                    code="cancelled",
                )
            if status == Participant.WAITLISTED and p.attendance_mode == Participant.ONLINE:
                raise Conflict(
                    _("%(name)s attends online, where places are not limited: there is no waitlist to join.")
                    % {"name": p.display_name},
                    code="online_no_waitlist",
                )
        categories = {p.category_id: p.category for p in participants}
        for cid in sorted(categories):
            categories[cid] = _lock_category(categories[cid])
        # Quota check for the whole batch first, so nothing is half-done.
        if status == Participant.APPROVED:
            for cid, category in categories.items():
                if category.onsite_quota is None:
                    continue
                newcomers = [
                    p
                    for p in participants
                    if p.category_id == cid
                    and p.attendance_mode == Participant.ONSITE
                    and p.status != Participant.APPROVED
                ]
                taken = onsite_taken(category)
                if newcomers and taken + len(newcomers) > category.onsite_quota:
                    raise Conflict(
                        _(
                            "Approving %(count)d on-site participant(s) of %(category)s would exceed its on-site quota: "
                            "%(taken)d of %(quota)d places are taken."
                        )
                        % {
                            "count": len(newcomers),
                            "category": category,
                            "taken": taken,
                            "quota": category.onsite_quota,
                        },
                        code="quota_full",
                    )
        now = timezone.now()
        for p in participants:
            if p.status == status:
                continue
            p.category = categories[p.category_id]
            freed = p.holds_onsite_place
            old = p.status
            p.status = status
            p.decision_reason = reason
            p.decided_at = now
            p.waitlist_position = (
                _next_waitlist_position(p.category) if status == Participant.WAITLISTED else None
            )
            p.save(
                update_fields=["status", "decision_reason", "decided_at", "waitlist_position", "updated_at"]
            )
            audit.record(
                actor=actor,
                action=f"participant.{status}",
                obj=p,
                reason=reason,
                data={"from": old, "to": status},
            )
            changed.append(p)
            if old == Participant.APPROVED:
                _release_bookings(p, actor=actor, base_url=base_url)
            if freed:
                _promote_waitlisted(p.category, actor=actor, base_url=base_url, exclude=ids)
        if notify:
            for p in changed:
                send_status_mail(p, template="registration/mail/decision", base_url=base_url)
    return participants


def cancel(*, participant: Participant, actor, reason: str = "", base_url=None) -> Participant:
    """Cancel a registration (by the participant or the back office). Frees an on-site place."""
    with write_transaction():
        participant = lock_one(
            Participant.objects.filter(pk=participant.pk).select_related("event", "category")
        )
        if participant.status == Participant.CANCELLED:
            raise Conflict(_("This registration is already cancelled."), code="already_cancelled")
        category = _lock_category(participant.category)
        freed = participant.holds_onsite_place
        old = participant.status
        participant.status = Participant.CANCELLED
        participant.waitlist_position = None
        participant.decided_at = timezone.now()
        participant.save(update_fields=["status", "waitlist_position", "decided_at", "updated_at"])
        audit.record(
            actor=actor, action="participant.cancelled", obj=participant, reason=reason, data={"from": old}
        )
        _release_bookings(participant, actor=actor, base_url=base_url)
        if freed:
            _promote_waitlisted(category, actor=actor, base_url=base_url)
    return participant


def _release_bookings(participant: Participant, *, actor, online_only: bool = False, base_url=None) -> None:
    """Seats and waitlist spots in sessions go with the registration (only approved people hold them)."""
    from summit.program.services import release_participant

    release_participant(participant=participant, actor=actor, online_only=online_only, base_url=base_url)


def switch_mode(*, participant: Participant, mode: str, actor, base_url=None) -> Participant:
    """Switch between on-site and online. Going on-site is subject to the category's quota."""
    if mode not in dict(Participant.MODE_CHOICES):
        raise ValidationFailed(
            _("Unknown attendance mode “%(value)s”.") % {"value": mode},
            code="bad_choice",
            field="attendance_mode",
        )
    with write_transaction():
        participant = lock_one(
            Participant.objects.filter(pk=participant.pk).select_related("event", "category")
        )
        if participant.status in (Participant.CANCELLED, Participant.REJECTED):
            raise Conflict(
                _("This registration is %(status)s; it cannot be changed.")
                % {"status": participant.get_status_display()},
                code="closed",
            )
        if participant.attendance_mode == mode:
            return participant
        category = _lock_category(participant.category)
        old_status = participant.status
        if mode == Participant.ONSITE:
            if not category.allows_onsite:
                raise Conflict(
                    _("The category %(category)s attends online only.") % {"category": category},
                    code="onsite_not_allowed",
                )
            if participant.status == Participant.APPROVED and onsite_full(category):
                raise Conflict(
                    _("All %(quota)d on-site places of %(category)s are taken; you stay online.")
                    % {"quota": category.onsite_quota, "category": category},
                    code="quota_full",
                )
            if participant.status == Participant.SUBMITTED and onsite_full(category):
                participant.status = Participant.WAITLISTED
                participant.waitlist_position = _next_waitlist_position(category)
            participant.attendance_mode = Participant.ONSITE
            freed = False
        else:
            freed = participant.holds_onsite_place
            participant.attendance_mode = Participant.ONLINE
            if participant.status == Participant.WAITLISTED:
                # Online places are not limited: leave the waitlist.
                participant.status = (
                    Participant.SUBMITTED if category.needs_approval else Participant.APPROVED
                )
                participant.waitlist_position = None
        participant.save(update_fields=["attendance_mode", "status", "waitlist_position", "updated_at"])
        audit.record(
            actor=actor,
            action="participant.mode_switched",
            obj=participant,
            data={"to": mode, "status_from": old_status, "status_to": participant.status},
        )
        if mode == Participant.ONLINE:
            _release_bookings(participant, actor=actor, online_only=True, base_url=base_url)
        if freed:
            _promote_waitlisted(category, actor=actor, base_url=base_url)
    return participant
