"""A gate deciding from its offline package says what the server says, reason for reason."""

import base64
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from summit.entry import tokens
from summit.entry.models import CategoryAccess
from summit.entry.offline import Verifier
from summit.entry.services import badges, gates
from summit.entry.testing import make_holder, make_proof, make_rule, token_of
from summit.events.testing import make_event
from summit.registration.models import Participant
from summit.registration.testing import make_participant

pytestmark = pytest.mark.django_db


def verifier(event, zone) -> Verifier:
    """The package as a gate receives it: through JSON."""
    return Verifier(json.loads(json.dumps(gates.offline_package(event=event, zone=zone))))


def both(event, zone, token, direction="in") -> tuple[tuple[bool, str], tuple[bool, str]]:
    online = gates.check(event=event, zone=zone, token=token, direction=direction)
    return (online.admitted, online.reason), verifier(event, zone).check(token, direction=direction)


def flipped(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def test_every_reason_is_the_servers(event, categories, main, press, holder):
    token = token_of(holder)
    cases = {
        "admitted": (token, main),
        "malformed": (token[:50], main),
        "bad_signature": (flipped(token), main),
    }
    other = make_event("other")
    stranger = make_holder(other, make_participant(other, categories["company"]).category)
    cases["wrong_event"] = (token_of(stranger), main)
    for expected, (text, zone) in cases.items():
        online, offline = both(event, zone, text)
        assert online == offline == ((True, "") if expected == "admitted" else (False, expected))

    badges.reissue_badge(participant=holder, actor=None)
    assert both(event, main, token) == ((False, "revoked"), (False, "revoked"))
    token = token_of(holder)
    access = CategoryAccess.objects.create(category=categories["company"], colour="#123456")
    access.zones.set([main])
    assert both(event, press, token) == ((False, "wrong_zone"), (False, "wrong_zone"))
    make_rule(event, kinds=("pcr",), zone=main)
    assert both(event, main, token) == ((False, "rule_not_met"), (False, "rule_not_met"))
    make_proof(holder, kind="pcr")
    assert both(event, main, token) == ((True, ""), (True, ""))
    assert gates.scan(event=event, zone=main, token=token).admitted
    assert both(event, main, token) == ((False, "already_inside"), (False, "already_inside"))
    assert both(event, main, token, "out") == ((True, ""), (True, ""))  # leaving is never refused


def test_revoked_badges_and_exits(event, categories, main, holder):
    token = token_of(holder)
    Participant.objects.filter(pk=holder.pk).update(status=Participant.CANCELLED)
    badges.revoke_badges(participant=holder)
    assert both(event, main, token) == ((False, "revoked"), (False, "revoked"))
    assert both(event, main, token, "out") == ((False, "revoked"), (False, "revoked"))
    # Not on the package (no on-site place): the server says why, the gate only that it may not enter.
    waiting = make_holder(event, categories["company"])
    Participant.objects.filter(pk=waiting.pk).update(status=Participant.WAITLISTED)
    online, offline = both(event, main, token_of(waiting))
    assert online == (False, "not_approved") and offline == (False, "wrong_zone")
    assert both(event, main, token_of(waiting), "out") == ((True, ""), (True, ""))


def test_rules_met_until_a_time_and_local_anti_passback(event, categories, main, holder):
    make_rule(event, kinds=("pcr",), pcr=4 * 3600)
    make_proof(holder, kind="pcr", taken_at=timezone.now() - timedelta(hours=1))
    gate = verifier(event, main)
    token = token_of(holder)
    now = timezone.now()
    assert gate.check(token, now) == (True, "")
    assert gate.check(token, now + timedelta(hours=4)) == (False, "rule_not_met")
    assert gate.scan(token, now) == (True, "")
    assert gate.scan(token, now) == (False, "already_inside")
    assert gate.scan(token, now, direction="out") == (True, "")
    assert gate.scan(token, now) == (True, "")
    assert gate.person(holder.pk)["name"] == holder.native_name


def test_forged_tokens_are_refused(event, main, holder):
    gate = verifier(event, main)
    forger = Ed25519PrivateKey.generate()
    forged = tokens.sign(forger, event_id=event.pk, participant_id=holder.pk, revision=1)
    assert gate.check(forged) == (False, "bad_signature")
    _claims, message, signature = tokens.split(token_of(holder))
    raw = bytearray(message + signature)
    raw[20] ^= 0x01
    assert gate.check(tokens.PREFIX + base64.b32encode(bytes(raw)).decode()) == (False, "bad_signature")
