"""Privacy: health data purged after the event (counts kept), a person's own data, erasure."""

import json
import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from summit.core import jobs
from summit.core.errors import ValidationFailed
from summit.core.models import Job
from summit.core.storage import private_storage
from summit.entry.models import ErasureRequest, HealthSummary, Proof
from summit.entry.services import gates, privacy
from summit.entry.testing import make_holder, make_proof, make_rule, token_of
from summit.program import services as program
from summit.program.testing import make_session
from summit.registration.models import Participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def journalist(event, categories):
    make_rule(event, kinds=("test", "pcr"), category=categories["media"])
    return make_holder(event, categories["media"], given_name="Анна", family_name="Иванова")


def test_purge_deletes_files_and_details_and_keeps_counts(event, journalist, organizer):
    make_proof(journalist, kind="test")
    make_proof(journalist, kind="pcr", accept=False)
    paths = [private_storage().path(p.file_name) for p in Proof.objects.all()]
    with pytest.raises(ValidationFailed) as early:
        privacy.purge_health_data(event=event, actor=organizer)
    assert early.value.code == "not_due"
    later = event.end + timedelta(days=15)
    result = privacy.purge_health_data(event=event, actor=organizer, now=later)
    assert result["proofs"] == 2 and not Proof.objects.exists()
    assert not any(os.path.exists(p) for p in paths)
    assert HealthSummary.objects.get(event=event).counts == {"test": {"accepted": 1}, "pcr": {"pending": 1}}


def test_the_command_purges_and_the_sweep_schedules_it(event, journalist):
    make_proof(journalist, kind="test")
    call_command("purge-health-data", event.slug, "--force")
    assert not Proof.objects.exists()
    make_proof(journalist, kind="test")
    assert privacy.purge_due(now=timezone.now()) == 0  # the event is not over yet
    assert privacy.purge_due(now=event.end + timedelta(days=15)) == 1
    assert not Proof.objects.exists()  # the eager backend ran the job at once
    assert Job.objects.get(kind=privacy.PURGE_JOB).state == Job.SUCCEEDED
    assert HealthSummary.objects.get(event=event).counts == {"test": {"accepted": 2}}
    assert "entry.purge_due" in jobs.PERIODIC


def test_the_command_refuses_before_it_is_due_and_an_unknown_event(event):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("purge-health-data", event.slug)
    with pytest.raises(CommandError):
        call_command("purge-health-data", "nope")


def test_a_person_downloads_everything_held_about_them(event, journalist):
    make_proof(journalist, kind="test")
    session = make_session(event)
    program.book(session=session, participant=journalist, mode="onsite", idempotency_key="booking-key-1")
    gates.scan(event=event, zone=event.zones.get(code="main"), token=token_of(journalist))
    data = json.loads(json.dumps(privacy.personal_data(journalist), default=str))
    assert data["registration"]["given_name"] == "Анна"
    assert data["entry.proof"][0]["kind"] == "test" and "file_name" not in data["entry.proof"][0]
    assert data["entry.badge"][0]["revision"] == 1
    assert data["entry.scan"][0]["admitted"] is True
    assert data["program.booking"][0]["session"] == session.pk
    assert "search_text" not in data["registration"]


def test_erasure_frees_places_and_deletes_everything(event, journalist, organizer, categories):
    make_proof(journalist, kind="test")
    path = private_storage().path(Proof.objects.get().file_name)
    user = journalist.user
    request = privacy.request_erasure(participant=journalist, actor=user)
    assert privacy.request_erasure(participant=journalist, actor=user) == request
    privacy.complete_erasure(request=request, actor=organizer)
    assert not Participant.objects.filter(pk=journalist.pk).exists()
    assert not Proof.objects.exists() and not os.path.exists(path)
    assert not type(user).objects.filter(pk=user.pk).exists()
    request = ErasureRequest.objects.get()
    assert request.completed_by == organizer and request.participant is None
    with pytest.raises(Exception) as again:
        privacy.complete_erasure(request=request, actor=organizer)
    assert again.value.code == "already_completed"
