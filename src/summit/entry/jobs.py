"""Background jobs of entry: badges as one PDF, and the purge of health data when it is due."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from summit.core import jobs
from summit.entry import cards
from summit.entry.models import CategoryAccess, Portrait
from summit.entry.services import badges, photos, privacy
from summit.events import roles
from summit.events.models import Event
from summit.registration.models import Participant

CHUNK = 500


def desk_of_the_event(job, user) -> bool:
    """Badges carry names and the tokens that open the gates: only the event's organizers and
    accreditation officers see the job and its file."""
    event = Event.objects.filter(pk=(job.args or {}).get("event")).first()
    return event is not None and roles.can_accredit(user, event) and roles.passed_second_factor(user, event)


def card_for(participant, badge, access, zones, photo: bytes | None = None) -> cards.Card:
    organization = participant.organization
    return cards.Card(
        event_name=participant.event.tr_name,
        native_name=participant.native_name,
        latin_name=participant.latin_name,
        organization=organization.name if organization else "",
        country=str(participant.country.name) if participant.country else "",
        category=participant.category.tr_name,
        colour=access.colour if access else CategoryAccess.DEFAULT_COLOUR,
        zones=tuple(zones),
        qr_text=badges.token_for(badge),
        code=f"{participant.pk}-{badge.revision}",
        photo=photo,
    )


def cards_for(event, ids: list[int]):
    """The cards of the participants ``ids`` who hold an on-site place, in the order given, with their badges
    issued where they had none yet."""
    accesses = {
        a.category_id: a
        for a in CategoryAccess.objects.filter(category__event=event).prefetch_related("zones")
    }
    every_zone = [z.tr_name for z in event.zones.all()]
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first : first + CHUNK]
        people = {
            p.pk: p
            for p in Participant.objects.filter(event=event, pk__in=chunk).select_related(
                "category", "organization", "event"
            )
        }
        current = badges.issue_many(people.values())
        photo_files = dict(
            Portrait.objects.filter(participant_id__in=chunk).values_list("participant_id", "file_name")
        )
        for pk in chunk:
            person = people.get(pk)
            if person is None or pk not in current:
                continue
            access = accesses.get(person.category_id)
            zones = [z.tr_name for z in access.zones.all()] if access and access.zones.all() else every_zone
            photo = photos.stored_bytes(photo_files[pk]) if pk in photo_files else None
            yield card_for(person, current[pk], access, zones, photo)


@jobs.job("entry.badges_pdf", access=desk_of_the_event)
def badges_pdf(ctx, *, event, ids, size="A6"):
    event = Event.objects.get(pk=event)
    total = len(ids)
    out = io.BytesIO()
    pages = cards.render(
        cards_for(event, ids), out, size=size, progress=lambda done: ctx.progress(done, total)
    )
    ctx.progress(pages, pages)
    ctx.store_file(f"badges-{event.slug}.pdf", out.getvalue(), "application/pdf")
    return {"counts": {_("Badges"): pages}}


@jobs.job(privacy.PURGE_JOB)
def purge_health_data(ctx, *, event_id: int):
    event = Event.objects.get(pk=event_id)
    # Enqueued by privacy.purge_due once the event's purge date passed.
    result = privacy.purge_health_data(event=event, force=True)
    return {"counts": {_("Proofs deleted"): result["proofs"]}}
