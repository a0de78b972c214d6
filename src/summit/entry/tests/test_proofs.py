"""Proofs: upload checked by content and encrypted at rest, review, the participant's own proof."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from summit.core.errors import Conflict, ValidationFailed
from summit.core.models import AuditEntry
from summit.core.storage import private_storage
from summit.core.testing import PDF_BYTES, PNG_BYTES
from summit.entry import crypto
from summit.entry.models import Proof
from summit.entry.services import proofs
from summit.entry.testing import make_entry_officer, make_rule, pdf_upload
from summit.registration.models import Participant
from summit.registration.testing import make_participant

pytestmark = pytest.mark.django_db

from summit.core.testing import EXE_BYTES  # noqa: E402


@pytest.fixture
def journalist(event, categories):
    make_rule(event, kinds=("test", "pcr"), category=categories["media"])
    return make_participant(event, categories["media"], status=Participant.APPROVED, language="zh-hans")


def upload(journalist, **extra):
    data = dict(
        participant=journalist,
        kind="pcr",
        taken_at=timezone.now() - timedelta(hours=5),
        upload=pdf_upload(),
        actor=journalist.user,
    )
    data.update(extra)
    return proofs.upload_proof(**data)


def test_the_document_on_disk_is_encrypted_and_opens_for_the_officer_with_an_audit_entry(event, journalist):
    proof = upload(journalist)
    stored = private_storage().path(proof.file_name)
    with open(stored, "rb") as handle:
        on_disk = handle.read()
    assert PDF_BYTES not in on_disk and b"%PDF" not in on_disk
    assert crypto.unseal(on_disk) == PDF_BYTES
    officer = make_entry_officer(event)
    data, content_type = proofs.open_proof(proof=proof, actor=officer)
    assert (data, content_type) == (PDF_BYTES, "application/pdf")
    assert (
        AuditEntry.objects.filter(action="proof.opened", object_id=str(proof.pk), actor=officer).count() == 1
    )
    proofs.open_proof(proof=proof, actor=officer)
    assert AuditEntry.objects.filter(action="proof.opened", object_id=str(proof.pk)).count() == 2


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (EXE_BYTES, "test.pdf", "file_type"),
        (b"%PDF-" + b"0" * (50 * 1024 * 1024), "big.pdf", "file_too_large"),
        (b"", "empty.pdf", "file_empty"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(journalist, data, name, code):
    with pytest.raises(ValidationFailed) as refused:
        upload(journalist, upload=SimpleUploadedFile(name, data))
    assert refused.value.code == code and refused.value.field == "file"
    assert not Proof.objects.exists()
    root = private_storage().location
    assert not any(True for _ in __import__("pathlib").Path(root).rglob("*.bin"))


def test_a_proof_dated_in_the_future_or_of_an_unasked_kind_is_refused(journalist):
    with pytest.raises(ValidationFailed) as future:
        upload(journalist, taken_at=timezone.now() + timedelta(hours=2))
    assert future.value.code == "taken_in_future"
    with pytest.raises(ValidationFailed) as kind:
        upload(journalist, kind="vaccination")
    assert kind.value.code == "kind_not_needed"
    upload(
        journalist,
        taken_at=timezone.now() + timedelta(seconds=60),
        upload=SimpleUploadedFile("p.png", PNG_BYTES),
    )


def test_accepting_records_rule_reviewer_and_validity_and_tells_the_participant(event, journalist):
    proof = upload(journalist)
    officer = make_entry_officer(event)
    decided = proofs.decide_proof(proof=proof, actor=officer, accept=True)
    assert decided.status == Proof.ACCEPTED and decided.reviewer == officer and decided.rule is not None
    assert decided.valid_until == proof.taken_at + timedelta(hours=72)
    assert decided.decided_at is not None
    assert proofs.status_of(journalist).allowed
    assert mail.outbox[-1].to == [journalist.email] and "已接受" in mail.outbox[-1].subject
    with pytest.raises(Conflict):
        proofs.decide_proof(proof=proof, actor=officer, accept=False, reason="illegible")


def test_rejecting_needs_a_reason_the_participant_reads_in_their_language(event, journalist):
    proof = upload(journalist)
    officer = make_entry_officer(event)
    with pytest.raises(ValidationFailed) as missing:
        proofs.decide_proof(proof=proof, actor=officer, accept=False)
    assert missing.value.code == "reason_required"
    with pytest.raises(ValidationFailed):
        proofs.decide_proof(proof=proof, actor=officer, accept=False, reason="other")
    proofs.decide_proof(proof=proof, actor=officer, accept=False, reason="not_negative")
    body = mail.outbox[-1].body
    assert "检测结果不是阴性" in body
    assert not proofs.status_of(journalist).allowed


def test_the_owner_deletes_their_proof_and_its_file(event, journalist):
    proof = upload(journalist)
    path = private_storage().path(proof.file_name)
    proofs.delete_proof(proof=proof, actor=journalist.user)
    assert not Proof.objects.exists()
    assert not __import__("os").path.exists(path)
    assert AuditEntry.objects.filter(action="proof.deleted").exists()


def test_uploads_are_rate_limited(settings, journalist):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "proof": "2/3600"}
    upload(journalist)
    upload(journalist)
    with pytest.raises(Exception) as limited:
        upload(journalist)
    assert limited.value.code == "rate_limited"
    assert Proof.objects.count() == 2


def test_rules_are_checked_when_saved(event, organizer):
    with pytest.raises(ValidationFailed):
        proofs.save_rule(event=event, actor=organizer, stage="review", accepted=[{"kind": "blood"}])
    with pytest.raises(ValidationFailed):
        proofs.save_rule(
            event=event, actor=organizer, stage="review", accepted=[{"kind": "pcr", "seconds": 10}]
        )
    with pytest.raises(ValidationFailed):
        proofs.save_rule(
            event=event, actor=organizer, stage="review", accepted=[{"kind": "pcr"}, {"kind": "pcr"}]
        )
    rule = proofs.save_rule(event=event, actor=organizer, stage="gate", accepted=[{"kind": "antigen"}])
    assert rule.accepted == [{"kind": "antigen", "seconds": 48 * 3600}]
