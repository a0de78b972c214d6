"""Privacy by design (design.md §6): purging health data after the event, a person's own data, erasure.

- :func:`purge_health_data` deletes an event's proofs (their encrypted files and every detail: kind, dates,
  decisions) ``HEALTH_PURGE_DAYS`` after the event ends, keeping only counts in ``HealthSummary``. The
  ``summit purge-health-data <event>`` command runs it, and the job sweep does it on its own for every event
  that is due (:func:`purge_due`, registered as a periodic check in apps.py).
- :func:`personal_data` gathers everything Summit holds about a participant, from every app, by following
  the relations to their registration (so a new app's data is included without this module knowing it).
- A participant asks for erasure (:func:`request_erasure`); an organizer completes it
  (:func:`complete_erasure`): the registration is cancelled (freeing their places for the waitlists), then it
  and everything attached to it is deleted, and the account too when nothing else uses it.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core import serializers
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from summit.core import audit, jobs
from summit.core.errors import Conflict, ValidationFailed
from summit.core.locking import write_transaction
from summit.core.models import AuditEntry, Job
from summit.core.storage import private_storage
from summit.entry.models import ErasureRequest, HealthSummary, Proof
from summit.events.models import Event, EventRole
from summit.registration.models import Participant

PURGE_JOB = "entry.purge_health_data"
BATCH = 500


def purge_due_at(event):
    return event.end + timedelta(days=settings.HEALTH_PURGE_DAYS)


def purge_health_data(*, event, actor=None, force: bool = False, now=None) -> dict:
    """Delete the event's proofs and health details, keeping only counts (``{kind: {status: n}}``). Refused
    before ``HEALTH_PURGE_DAYS`` after the event unless ``force``. Running it again adds nothing twice."""
    now = now or timezone.now()
    if not force and now < purge_due_at(event):
        raise ValidationFailed(
            _("Health data may be purged from %(date)s on.")
            % {"date": purge_due_at(event).date().isoformat()},
            code="not_due",
        )
    removed = 0
    while True:
        with write_transaction():
            batch = list(Proof.objects.filter(event=event).order_by("pk")[:BATCH])
            if not batch:
                break
            summary, _created = HealthSummary.objects.get_or_create(event=event)
            counts = summary.counts
            for (kind, status), n in Counter((p.kind, p.status) for p in batch).items():
                counts.setdefault(kind, {})
                counts[kind][status] = counts[kind].get(status, 0) + n
            summary.counts, summary.purged_at = counts, now
            summary.save()
            names = [p.file_name for p in batch if p.file_name]
            Proof.objects.filter(pk__in=[p.pk for p in batch]).delete()
            jobs.after_commit(lambda names=names: [private_storage().delete(n) for n in names])
            removed += len(batch)
    with write_transaction():
        summary, _created = HealthSummary.objects.get_or_create(event=event)
        audit.record(actor=actor, action="health.purged", obj=event, data={"proofs": removed}, event=event)
    return {"proofs": removed, "counts": summary.counts}


def purge_due(*, now=None) -> int:
    """Enqueue the purge of every event whose health data is due and still held (the periodic check)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.HEALTH_PURGE_DAYS)
    started = 0
    for event in Event.objects.filter(end__lte=cutoff, proofs__isnull=False).distinct():
        scope = f"event:{event.pk}"
        if Job.objects.filter(kind=PURGE_JOB, scope=scope, state__in=[Job.QUEUED, Job.RUNNING]).exists():
            continue
        with transaction.atomic():
            jobs.enqueue(PURGE_JOB, args={"event_id": event.pk}, scope=scope, label="Purge health data")
        started += 1
    return started


# --- a person's own data -----------------------------------------------------------------------------------

#: Stored details that are Summit's own machinery, not data about the person.
HIDDEN_FIELDS = {"search_text", "file_name", "private_key", "password", "secret", "token_hash", "key"}


def _rows(queryset) -> list[dict]:
    rows = []
    for item in serializers.serialize("python", queryset):
        fields = {k: v for k, v in item["fields"].items() if k not in HIDDEN_FIELDS}
        rows.append({"id": item["pk"], **fields})
    return rows


def personal_data(participant: Participant) -> dict:
    """Everything Summit holds about ``participant``, as JSON-ready data: the registration, the account's
    e-mail, and every row of every app that belongs to the registration (bookings, questions, chat, proofs
    without their documents, badges, scans...), and the audit log's entries about the registration."""
    data = {
        "event": {"slug": participant.event.slug, "name": participant.event.name_en},
        "registration": _rows(Participant.objects.filter(pk=participant.pk))[0],
        "account": {"email": participant.user.email if participant.user_id else participant.email},
    }
    for relation in Participant._meta.related_objects:
        if not relation.one_to_many and not relation.one_to_one:
            continue
        model = relation.related_model
        rows = _rows(model._default_manager.filter(**{relation.field.name: participant}))
        if rows:
            data[f"{model._meta.app_label}.{model._meta.model_name}"] = rows
    data["audit_log"] = [
        {"action": e.action, "at": e.created_at.isoformat(), "reason": e.reason}
        for e in AuditEntry.objects.filter(
            object_type=Participant._meta.label_lower, object_id=str(participant.pk)
        ).order_by("created_at")
    ]
    data["generated_at"] = timezone.now().isoformat()
    return data


def request_erasure(*, participant: Participant, actor) -> ErasureRequest:
    with write_transaction():
        existing = ErasureRequest.objects.filter(participant=participant, completed_at=None).first()
        if existing:
            return existing
        request = ErasureRequest.objects.create(
            event=participant.event, participant=participant, reference=f"{participant.pk}"
        )
        audit.record(actor=actor, action="erasure.requested", obj=request, event=participant.event)
    return request


def complete_erasure(*, request: ErasureRequest, actor, base_url=None) -> ErasureRequest:
    """Cancel the registration (places freed, waitlists promoted), then delete it with everything attached
    to it, its proofs' files, and the account if no other registration or role uses it."""
    from summit.registration import services as registration

    if request.completed_at is not None:
        raise Conflict(_("This erasure was already completed."), code="already_completed")
    participant = request.participant
    if participant is not None and participant.status != Participant.CANCELLED:
        registration.cancel(participant=participant, actor=actor, reason="erasure", base_url=base_url)
    with write_transaction():
        if participant is not None:
            names = list(
                Proof.objects.filter(participant=participant)
                .exclude(file_name="")
                .values_list("file_name", flat=True)
            )
            user = participant.user
            participant.delete()
            jobs.after_commit(lambda: [private_storage().delete(n) for n in names])
            if user is not None and not _account_in_use(user):
                user.delete()
        request.participant = None
        request.completed_at, request.completed_by = timezone.now(), actor
        request.save()
        audit.record(actor=actor, action="erasure.completed", obj=request, event=request.event)
    return request


def _account_in_use(user) -> bool:
    return (
        user.is_staff
        or user.is_superuser
        or user.has_usable_password()
        or Participant.objects.filter(user=user).exists()
        or EventRole.objects.filter(user=user).exists()
    )
