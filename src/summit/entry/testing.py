"""Factories for entry tests: rules, proofs, gate staff and badge holders."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from summit.core.testing import PDF_BYTES, make_user
from summit.entry.models import DEFAULT_WINDOWS, EntryRule, Proof
from summit.entry.services import badges, proofs
from summit.events.models import EventRole, Zone
from summit.registration.models import Participant
from summit.registration.testing import make_participant


def make_rule(
    event, *, kinds=("test",), category=None, zone=None, stage=EntryRule.REVIEW, **windows
) -> EntryRule:
    """A rule accepting ``kinds`` with their default windows (``pcr=3600`` overrides one, in seconds)."""
    accepted = [{"kind": k, "seconds": windows.get(k, DEFAULT_WINDOWS[k])} for k in kinds]
    return EntryRule.objects.create(event=event, category=category, zone=zone, stage=stage, accepted=accepted)


def pdf_upload(name: str = "test.pdf", data: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def make_proof(participant, *, kind="test", taken_at=None, accept=True, reviewer=None) -> Proof:
    """A proof uploaded through the service, and accepted (unless ``accept`` is False) by ``reviewer``."""
    proof = proofs.upload_proof(
        participant=participant,
        kind=kind,
        taken_at=taken_at or timezone.now() - timedelta(hours=1),
        upload=pdf_upload(),
        actor=participant.user,
    )
    if accept:
        proof = proofs.decide_proof(proof=proof, actor=reviewer, accept=True)
    return proof


def stored_proof(participant, *, kind="test", taken_at=None, status=Proof.PENDING) -> Proof:
    """A proof stored as an upload would be (its document encrypted), without the upload's checks and limits."""
    from summit.entry import crypto

    return Proof.objects.create(
        event_id=participant.event_id,
        participant=participant,
        kind=kind,
        taken_at=taken_at or timezone.now() - timedelta(hours=1),
        file_name=crypto.store(PDF_BYTES),
        content_type="application/pdf",
        size=len(PDF_BYTES),
        status=status,
    )


def make_holder(event, category, **extra) -> Participant:
    """An approved on-site participant with a badge."""
    extra.setdefault("status", Participant.APPROVED)
    participant = make_participant(event, category, **extra)
    badges.issue_badge(participant=participant)
    return participant


def token_of(participant) -> str:
    return badges.token_for(badges.current_badge(participant))


def make_gate_staff(event, *zones: Zone, email: str | None = None):
    user = make_user(email)
    role = EventRole.objects.create(event=event, user=user, role=EventRole.GATE_STAFF)
    role.zones.set(zones)
    return user


def make_entry_officer(event, email: str | None = None):
    user = make_user(email)
    EventRole.objects.create(event=event, user=user, role=EventRole.ENTRY_OFFICER)
    return user
