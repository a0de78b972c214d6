"""Badges and their signed tokens: compact, verifiable by any Ed25519 implementation, revocable."""

import base64

import pytest
import segno

from summit.core.errors import ValidationFailed
from summit.entry import tokens
from summit.entry.models import Badge, SigningKey
from summit.entry.services import badges
from summit.entry.testing import make_holder, token_of
from summit.entry.tests import ed25519_reference
from summit.registration import services as registration
from summit.registration.models import Participant
from summit.registration.testing import make_participant

pytestmark = pytest.mark.django_db


def test_a_token_is_compact_and_fits_a_small_low_correction_qr(event, categories):
    holder = make_holder(event, categories["media"])
    token = token_of(holder)
    assert len(token) == tokens.TEXT_LENGTH == 122 and token.startswith("S1")
    qr = segno.make(token, error="l", boost_error=False)
    assert qr.error == "L" and qr.mode == "alphanumeric" and qr.version <= 5
    claims = tokens.verify(badges.public_key(event), token)
    assert (claims.event_id, claims.participant_id, claims.revision) == (event.pk, holder.pk, 1)


def test_a_token_verifies_with_an_independent_ed25519_implementation(event, categories):
    holder = make_holder(event, categories["media"])
    raw = base64.b32decode(token_of(holder)[2:])
    public = badges.public_key_bytes(event)
    assert ed25519_reference.verify(public, raw[:11], raw[11:])
    tampered = raw[:11][:-1] + bytes([raw[10] ^ 1])
    assert not ed25519_reference.verify(public, tampered, raw[11:])


def test_the_private_key_is_stored_encrypted(event, categories):
    token_of(make_holder(event, categories["media"]))
    row = SigningKey.objects.get(event=event)
    assert len(bytes(row.public_key)) == 32
    assert row.private_key.startswith("gAAAA")  # a Fernet token, not the raw key


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: t[:60],  # truncated
        lambda t: t + "A" * 500,  # oversized
        lambda t: "S2" + t[2:],  # wrong prefix
        lambda t: t.replace("S1", "S1!", 1)[:122],  # outside the alphabet
    ],
)
def test_forged_and_damaged_tokens_are_refused(event, categories, mangle):
    holder = make_holder(event, categories["media"])
    with pytest.raises(tokens.TokenError):
        tokens.verify(badges.public_key(event), mangle(token_of(holder)))


def test_a_token_made_with_another_key_does_not_verify(event, categories):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    holder = make_holder(event, categories["media"])
    forged = tokens.sign(
        Ed25519PrivateKey.generate(), event_id=event.pk, participant_id=holder.pk, revision=1
    )
    with pytest.raises(tokens.TokenError) as refused:
        tokens.verify(badges.public_key(event), forged)
    assert refused.value.code == "bad_signature"


def test_typing_it_by_hand_with_spaces_and_lower_case_works(event, categories):
    holder = make_holder(event, categories["media"])
    typed = tokens.group(token_of(holder)).lower()
    assert tokens.verify(badges.public_key(event), typed).participant_id == holder.pk


def test_reprinting_revokes_the_old_revision(event, categories, organizer):
    holder = make_holder(event, categories["media"])
    badge = badges.reissue_badge(participant=holder, actor=organizer)
    assert badge.revision == 2
    assert badges.revocations(event) == [(holder.pk, 1)]
    assert badges.issue_badge(participant=holder) == badge


def test_only_approved_onsite_participants_get_a_badge(event, categories):
    waiting = make_participant(event, categories["media"])
    with pytest.raises(ValidationFailed) as refused:
        badges.issue_badge(participant=waiting)
    assert refused.value.code == "not_approved"
    online = make_participant(
        event, categories["media"], status=Participant.APPROVED, attendance_mode="online"
    )
    with pytest.raises(ValidationFailed):
        badges.issue_badge(participant=online)
    assert not Badge.objects.exists()


def test_badges_are_revoked_when_the_place_ends(event, categories, organizer):
    holder = make_holder(event, categories["media"])
    registration.cancel(participant=holder, actor=organizer)
    assert Badge.objects.get(participant=holder).revoked_at is not None
    other = make_holder(event, categories["company"])
    registration.switch_mode(participant=other, mode=Participant.ONLINE, actor=organizer)
    assert badges.current_badge(other) is None
