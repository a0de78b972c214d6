"""The on-site quota of each category and its waitlist: the category is a capacity row (``core.capacity``).

- the quota counts *approved on-site* participants;
- an on-site applicant who registers while the quota is full lands on the waitlist (FIFO position);
- approving someone on-site past the quota is refused;
- when an approved on-site participant leaves that state (cancels, switches online, is rejected or
  waitlisted) the first waitlisted person of the category is promoted in the same transaction: to
  *approved* when the category needs no approval, otherwise to *submitted* (back to the review queue).
"""

from __future__ import annotations

from django.db.models import Count

from summit.core import audit, capacity
from summit.core.locking import lock_all
from summit.registration.models import Category, Participant
from summit.registration.services.links import send_status_mail
from summit.registration.signals import StatusChange


class CategoryQuota(capacity.Pool):
    """A category's on-site places: held by approved on-site participants; its waitlist is the waitlisted
    on-site participants, by position."""

    model = Category
    hold_model = Participant

    def limit(self, category):
        return category.onsite_quota

    def taken(self, categories):
        counts = (
            Participant.objects.filter(
                category__in=categories, status=Participant.APPROVED, attendance_mode=Participant.ONSITE
            )
            .values_list("category_id")
            .annotate(n=Count("id"))
        )
        return dict(counts)

    def waiting(self, category):
        return (
            Participant.objects.filter(
                category=category, status=Participant.WAITLISTED, attendance_mode=Participant.ONSITE
            )
            .select_related("event", "category")
            .order_by("waitlist_position", "pk")
        )

    def admit(self, participant, category, *, now, actor, base_url=None) -> None:
        old = participant.status
        participant.status = Participant.SUBMITTED if category.needs_approval else Participant.APPROVED
        participant.waitlist_position = None
        participant.decided_at = now
        participant.decision_reason = ""
        participant.save(
            update_fields=["status", "waitlist_position", "decided_at", "decision_reason", "updated_at"]
        )
        participant.promoted_from = old
        audit.record(
            actor=actor,
            action="participant.promoted",
            obj=participant,
            data={"from": old, "to": participant.status},
        )
        send_status_mail(participant, template="registration/mail/promoted", base_url=base_url)


CATEGORY_QUOTA = CategoryQuota()


def onsite_taken(category: Category) -> int:
    return CATEGORY_QUOTA.taken([category]).get(category.pk, 0)


def onsite_full(category: Category) -> bool:
    return not capacity.fits(category.onsite_quota, onsite_taken(category))


def initial_status(category: Category, mode: str, *, onsite_full: bool) -> str:
    """The status a new registration starts in (form, API and import alike)."""
    if mode == Participant.ONSITE and onsite_full:
        return Participant.WAITLISTED
    return Participant.SUBMITTED if category.needs_approval else Participant.APPROVED


def lock_registrations(participant_ids, *, event=None):
    """Lock people's registrations in the global order (``core.locking``): their categories (the on-site quota
    rows) first, then the people. Returns ``(categories by id, participants in id order)``, each participant's
    ``category`` being the locked row."""
    people = Participant.objects.filter(pk__in=list(participant_ids))
    if event is not None:
        people = people.filter(event=event)
    category_ids = set(people.values_list("category_id", flat=True))
    categories, participants = lock_all(
        Category.objects.filter(pk__in=category_ids), people.select_related("event", "category")
    )
    by_id = {c.pk: c for c in categories}
    for p in participants:
        p.category = by_id[p.category_id]  # a category never changes, so it was locked above
    return by_id, participants


def promote(
    category: Category, *, places: int = 1, exclude=(), actor=None, base_url=None
) -> list[Participant]:
    """Give ``places`` freed on-site places to the first on the category's waitlist (the caller holds the
    category's lock); ``exclude`` are people decided in the same change, who must not come straight back.
    Each promoted person carries ``promoted_from`` (their status before), for :func:`promotions`."""
    return capacity.promote(
        CATEGORY_QUOTA, category, places=places, exclude=exclude, actor=actor, base_url=base_url
    )


def promotions(promoted: list[Participant]) -> list[StatusChange]:
    """The status changes of people :func:`promote` moved up, as ``participant_status_changed`` sends them."""
    return [StatusChange(p, p.promoted_from, p.status) for p in promoted]
