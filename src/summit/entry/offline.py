"""A gate without the server: deciding badges with the offline package of ``gates.offline_package``.

    verifier = Verifier(package)
    admitted, reason = verifier.check(token)             # what the gate would say, recording nothing
    admitted, reason = verifier.scan(token, direction="in")  # and, when admitted, note who is inside

The checks are those of ``gates.check``, in its order and with its reason codes: the code must be one of
ours (``malformed``), for the package's event (``wrong_event``), signed by the event's key
(``bad_signature``), the badge's current revision (``revoked``: on the revocation list, or older than the
revision the package lists), of someone the package lists for the zone (``wrong_zone``: the package names
only the badge holders who may enter the zone, so a holder without an on-site place is refused with this
code too), meeting the zone's entry rules now (``rule_not_met``; the package says who met them when it was
made and until when) and not inside already (``already_inside``: inside when the package was made, or
admitted by this gate since without an exit). An exit is never refused once the badge is genuine and
current.

The event's public key is built once; a check is a base32 decode, one Ed25519 verification and a few
dictionary look-ups. The scans a gate makes this way are uploaded later (``gates.merge_offline``).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from summit.entry import tokens

IN = "in"
OUT = "out"


def _key(text: str) -> Ed25519PublicKey:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return Ed25519PublicKey.from_public_bytes(raw)


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Verifier:
    """The decisions of one gate of the package's zone, from the package alone."""

    def __init__(self, package: dict):
        self.event_id = package["event"]["id"]
        self.zone = package["zone"]["code"]
        self.public_key = _key(package["public_key"])
        self.revoked = {(participant, revision) for participant, revision in package["revoked"]}
        #: participant id -> (current revision, rules met, met until, person as listed)
        self.people = {
            person["id"]: (person["revision"], person["allowed"], _instant(person["valid_until"]), person)
            for person in package["participants"]
        }
        self.inside = {person["id"] for person in package["participants"] if person["inside"]}

    def person(self, participant_id: int) -> dict | None:
        """The package's entry of a badge holder (name, category, colour, what to check), if listed."""
        entry = self.people.get(participant_id)
        return entry[3] if entry else None

    def check(self, token: str, now: datetime | None = None, *, direction: str = IN) -> tuple[bool, str]:
        """``(admitted, reason)`` for ``token`` at this gate at ``now`` (the device's clock, aware)."""
        admitted, reason, _participant = self._decide(token, now, direction)
        return admitted, reason

    def scan(self, token: str, now: datetime | None = None, *, direction: str = IN) -> tuple[bool, str]:
        """Like :meth:`check`, and an admitted entry or exit changes who this gate counts as inside."""
        admitted, reason, participant = self._decide(token, now, direction)
        if admitted:
            if direction == OUT:
                self.inside.discard(participant)
            else:
                self.inside.add(participant)
        return admitted, reason

    def _decide(self, token: str, now: datetime | None, direction: str) -> tuple[bool, str, int | None]:
        try:
            claims, message, signature = tokens.split(token)
        except tokens.TokenError as exc:
            return False, exc.code, None
        participant = claims.participant_id
        if claims.event_id != self.event_id:
            return False, "wrong_event", participant
        try:
            tokens.check_signature(self.public_key, message, signature)
        except tokens.TokenError as exc:
            return False, exc.code, participant
        if (participant, claims.revision) in self.revoked:
            return False, "revoked", participant
        entry = self.people.get(participant)
        if entry is not None and entry[0] != claims.revision:
            return False, "revoked", participant
        if direction == OUT:
            return True, "", participant
        if entry is None:
            return False, "wrong_zone", participant
        _revision, allowed, until, _person = entry
        if not allowed or (until is not None and (now or datetime.now(UTC)) > until):
            return False, "rule_not_met", participant
        if participant in self.inside:
            return False, "already_inside", participant
        return True, "", participant


__all__ = ["Verifier"]
