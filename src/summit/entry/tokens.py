"""Badge tokens (design.md §7): a compact signed statement "participant P of event E, badge revision R".

Layout, 75 bytes: version (1 byte, 1), event id (4 bytes), participant id (4 bytes), revision (2 bytes), all
big-endian, then the Ed25519 signature (64 bytes) of those first 11 bytes. The text in the QR code is ``S1``
followed by the bytes in RFC 4648 base32 without padding: 122 characters of A–Z and 2–7, which a QR code
stores in its compact alphanumeric mode (version 6 at the lowest error correction). People typing it at a
gate may add spaces, dashes or lower case; those are ignored.

Gates verify a token with the event's public key alone, so they work offline; the revocation list tells
them which revisions were superseded by a reprint.
"""

from __future__ import annotations

import base64
import re
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = 1
PREFIX = "S1"
_CLAIMS = struct.Struct(">BIIH")
SIGNATURE_BYTES = 64
TOKEN_BYTES = _CLAIMS.size + SIGNATURE_BYTES
TEXT_LENGTH = len(PREFIX) + TOKEN_BYTES * 8 // 5
#: Longer input is refused before any decoding: a scanner reading a foreign code, or someone pasting a file.
MAX_INPUT = 400
_IGNORED = re.compile(r"[\s\-_.]+")
_BASE32 = re.compile(r"[A-Z2-7]+")
#: The base32 alphabet as the digits of ``int(text, 32)``: decoding a whole token in C, not base64's loop.
_DIGITS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghijklmnopqrstuv")


class TokenError(ValueError):
    """A token that is not one of ours: ``code`` is ``malformed`` or ``bad_signature``."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


@dataclass(frozen=True, slots=True)
class Claims:
    event_id: int
    participant_id: int
    revision: int


def claims_bytes(event_id: int, participant_id: int, revision: int) -> bytes:
    return _CLAIMS.pack(VERSION, event_id, participant_id, revision)


def sign(private_key: Ed25519PrivateKey, *, event_id: int, participant_id: int, revision: int) -> str:
    message = claims_bytes(event_id, participant_id, revision)
    raw = message + private_key.sign(message)
    return PREFIX + base64.b32encode(raw).decode("ascii")


def split(text: str) -> tuple[Claims, bytes, bytes]:
    """The claims, the signed bytes and the signature of a token's text, unverified. ``TokenError`` if it
    cannot be one of ours (wrong length, alphabet, prefix or version)."""
    if not isinstance(text, str) or len(text) > MAX_INPUT:
        raise TokenError("malformed")
    # A code as scanned is compact already: grouping and lower case are for people typing it.
    compact = text if len(text) == TEXT_LENGTH and text.isupper() else _IGNORED.sub("", text).upper()
    if len(compact) != TEXT_LENGTH or not compact.startswith(PREFIX):
        raise TokenError("malformed")
    body = compact[len(PREFIX) :]
    if _BASE32.fullmatch(body):  # 120 characters of 5 bits: exactly the 75 bytes, no padding
        raw = int(body.translate(_DIGITS), 32).to_bytes(TOKEN_BYTES, "big")
    else:
        try:
            raw = base64.b32decode(body)
        except (ValueError, TypeError):
            raise TokenError("malformed") from None
    message, signature = raw[: _CLAIMS.size], raw[_CLAIMS.size :]
    version, event_id, participant_id, revision = _CLAIMS.unpack(message)
    if version != VERSION:
        raise TokenError("malformed")
    return Claims(event_id, participant_id, revision), message, signature


def check_signature(public_key: Ed25519PublicKey, message: bytes, signature: bytes) -> None:
    """``TokenError("bad_signature")`` unless ``signature`` (of a split token) is ``public_key``'s."""
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        raise TokenError("bad_signature") from None


def verify(public_key: Ed25519PublicKey, text: str) -> Claims:
    """The claims of a token signed with ``public_key``'s private key; ``TokenError`` otherwise."""
    claims, message, signature = split(text)
    check_signature(public_key, message, signature)
    return claims


def group(text: str, size: int = 4) -> str:
    """The token in groups of four characters, as printed for typing by hand."""
    return " ".join(text[i : i + size] for i in range(0, len(text), size))
