"""The demo's entry: rules, badge access, badges for every on-site place, proofs waiting, staff logins."""

from __future__ import annotations

import pytest

from summit.core.testing import built_demo
from summit.entry.models import Badge, EntryRule, Proof
from summit.entry.services import gates, proofs
from summit.entry.testing import token_of
from summit.events.models import Event, EventRole
from summit.registration.models import Participant

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    with built_demo(django_db_blocker, PRIVATE_MEDIA_ROOT=tmp_path_factory.mktemp("private")) as (output, _s):
        yield {"event": Event.objects.get(slug="wic2027"), "output": output}


def test_rules_badges_and_proofs(demo, settings):
    event = demo["event"]
    assert EntryRule.objects.filter(event=event, category__code="media").exists()
    holders = Participant.objects.filter(event=event, status="approved", attendance_mode="onsite")
    assert Badge.objects.filter(event=event).count() == holders.count() > 0
    assert Proof.objects.filter(event=event, status=Proof.PENDING).exists()
    assert Proof.objects.filter(event=event, status=Proof.ACCEPTED).exists()
    gate = EventRole.objects.get(event=event, role=EventRole.GATE_STAFF)
    assert sorted(gate.zones.values_list("code", flat=True)) == ["forums", "main-hall"]


def test_a_journalist_with_an_accepted_test_enters_the_main_hall(demo, settings):
    event = demo["event"]
    accepted = Proof.objects.filter(event=event, status=Proof.ACCEPTED).select_related("participant").first()
    journalist = accepted.participant
    assert proofs.status_of(journalist).allowed
    main = event.zones.get(code="main-hall")
    assert gates.check(event=event, zone=main, token=token_of(journalist)).admitted
    waiting = Proof.objects.filter(event=event, status=Proof.PENDING).first().participant
    if not Proof.objects.filter(participant=waiting, status=Proof.ACCEPTED).exists():
        assert gates.check(event=event, zone=main, token=token_of(waiting)).reason == "rule_not_met"


def test_the_sheet_prints_the_entry_pages_and_logins(demo):
    output = demo["output"]
    assert "/events/wic2027/manage/entry/review/" in output
    assert "entry@summit.example" in output and "gate@summit.example" in output
