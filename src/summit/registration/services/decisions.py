"""Decisions on registrations: approve, reject, waitlist; cancelling and switching attendance.

Each change locks the people's registrations in the global order (their categories, then the people:
``quota.lock_registrations``), makes the change, promotes from the category's waitlist, and then sends
``participant_status_changed`` / ``participant_mode_changed`` (``registration/signals.py``) inside the same
transaction, so the apps above (the program releasing seats...) react before anything commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from summit.core import audit, capacity
from summit.core.errors import Conflict, NotFound, ValidationFailed, as_id
from summit.core.locking import unit_of_work, write_transaction
from summit.core.text import clean_text
from summit.events.models import Event
from summit.registration.models import Participant
from summit.registration.services.links import send_status_mail
from summit.registration.services.quota import (
    CATEGORY_QUOTA,
    lock_registrations,
    onsite_full,
    promote,
    promotions,
)
from summit.registration.signals import StatusChange, participant_mode_changed, participant_status_changed

DECISION_STATUSES = {Participant.APPROVED, Participant.REJECTED, Participant.WAITLISTED}


@dataclass
class Decisions:
    """What a decision did: every selected participant (as now stored), the ones whose status changed, the
    people promoted from a category's waitlist into freed places, and what the apps above did in reaction
    (``[(receiver, result)]``, e.g. the program's released bookings)."""

    participants: list[Participant]
    changed: list[Participant] = field(default_factory=list)
    promoted: list[Participant] = field(default_factory=list)
    reactions: list = field(default_factory=list)


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
    ).participants[0]


def check_decision(status: str, participant_ids, reason: str) -> tuple[list[int], str]:
    """The decision's input checked (the status, the ids, the reason): ``(sorted ids, reason)``."""
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
    reason = clean_text(reason, multiline=True)
    if len(reason) > 2000:
        raise ValidationFailed(
            _("The reason is too long (at most 2000 characters)."), code="too_long", field="reason"
        )
    return ids, reason


@unit_of_work
def decide_many(
    *,
    event: Event,
    participant_ids: list[int],
    status: str,
    actor,
    reason: str = "",
    notify: bool = True,
    base_url=None,
) -> Decisions:
    """Apply one decision to many participants, all or nothing.

    Refused as a whole when approving them would take a category past its on-site quota.
    """
    ids, reason = check_decision(status, participant_ids, reason)
    with write_transaction():
        categories, participants = lock_registrations(ids, event=event)
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
        if status == Participant.APPROVED:
            _check_quota(categories, participants)  # for the whole batch first, so nothing is half-done
        outcome = Decisions(participants=participants)
        changes: list[StatusChange] = []
        now = timezone.now()
        for p in participants:
            if p.status == status:
                continue
            freed = p.holds_onsite_place
            old = p.status
            p.status = status
            p.decision_reason = reason
            p.decided_at = now
            p.waitlist_position = (
                capacity.next_position(p.category) if status == Participant.WAITLISTED else None
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
            outcome.changed.append(p)
            changes.append(StatusChange(p, old, status))
            if freed:
                outcome.promoted += promote(p.category, exclude=ids, actor=actor, base_url=base_url)
        changes += promotions(outcome.promoted)
        if changes:
            outcome.reactions = participant_status_changed.send(
                event=event, changes=changes, actor=actor, base_url=base_url
            )
        if notify:
            for p in outcome.changed:
                send_status_mail(p, template="registration/mail/decision", base_url=base_url)
    return outcome


def _check_quota(categories: dict, participants: list[Participant]) -> None:
    taken = CATEGORY_QUOTA.taken(list(categories.values()))
    for cid, category in sorted(categories.items()):
        newcomers = [
            p
            for p in participants
            if p.category_id == cid
            and p.attendance_mode == Participant.ONSITE
            and p.status != Participant.APPROVED
        ]
        if newcomers and not capacity.fits(category.onsite_quota, taken.get(cid, 0), len(newcomers)):
            raise Conflict(
                _(
                    "Approving %(count)d on-site participant(s) of %(category)s would exceed its on-site quota: "
                    "%(taken)d of %(quota)d places are taken."
                )
                % {
                    "count": len(newcomers),
                    "category": category,
                    "taken": taken.get(cid, 0),
                    "quota": category.onsite_quota,
                },
                code="quota_full",
            )


@unit_of_work
def cancel(*, participant: Participant, actor, reason: str = "", base_url=None) -> Participant:
    """Cancel a registration (by the participant or the back office). Frees an on-site place."""
    with write_transaction():
        _categories, found = lock_registrations([participant.pk])
        participant = found[0]
        if participant.status == Participant.CANCELLED:
            raise Conflict(_("This registration is already cancelled."), code="already_cancelled")
        freed = participant.holds_onsite_place
        old = participant.status
        participant.status = Participant.CANCELLED
        participant.waitlist_position = None
        participant.decided_at = timezone.now()
        participant.save(update_fields=["status", "waitlist_position", "decided_at", "updated_at"])
        audit.record(
            actor=actor, action="participant.cancelled", obj=participant, reason=reason, data={"from": old}
        )
        promoted = promote(participant.category, actor=actor, base_url=base_url) if freed else []
        participant_status_changed.send(
            event=participant.event,
            changes=[StatusChange(participant, old, participant.status)] + promotions(promoted),
            actor=actor,
            base_url=base_url,
        )
    return participant


@unit_of_work
def switch_mode(*, participant: Participant, mode: str, actor, base_url=None) -> Participant:
    """Switch between on-site and online. Going on-site is subject to the category's quota."""
    if mode not in dict(Participant.MODE_CHOICES):
        raise ValidationFailed(
            _("Unknown attendance mode “%(value)s”.") % {"value": mode},
            code="bad_choice",
            field="attendance_mode",
        )
    with write_transaction():
        _categories, found = lock_registrations([participant.pk])
        participant = found[0]
        category = participant.category
        if participant.status in (Participant.CANCELLED, Participant.REJECTED):
            raise Conflict(
                _("This registration is %(status)s; it cannot be changed.")
                % {"status": participant.get_status_display()},
                code="closed",
            )
        if participant.attendance_mode == mode:
            return participant
        old_status, old_mode = participant.status, participant.attendance_mode
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
                participant.waitlist_position = capacity.next_position(category)
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
        promoted = promote(category, actor=actor, base_url=base_url) if freed else []
        participant_mode_changed.send(
            event=participant.event,
            participant=participant,
            old=old_mode,
            new=mode,
            actor=actor,
            base_url=base_url,
        )
        changes = promotions(promoted)
        if participant.status != old_status:
            changes.insert(0, StatusChange(participant, old_status, participant.status))
        if changes:
            participant_status_changed.send(
                event=participant.event, changes=changes, actor=actor, base_url=base_url
            )
    return participant
