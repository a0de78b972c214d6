"""Encryption at rest for health data (design.md §6) with Fernet from ``cryptography``.

``settings.HEALTH_KEYS`` lists the keys (``SUMMIT_HEALTH_KEYS``, else one generated into ``var/health_key``):
the first encrypts, every one decrypts (``MultiFernet``), so a new key can be put first while older data
still reads; ``summit rotate-health-key`` then re-encrypts everything with the new key, after which the old
one can be dropped (docs/operations.md). A proof's document is stored only as this ciphertext, under a random
name in the private storage; nothing of it reaches the disk in plain form.
"""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.files.base import ContentFile

from summit.core.storage import private_storage, random_name

FOLDER = "proofs"


@functools.lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.HEALTH_KEYS))


def seal(data: bytes) -> bytes:
    return fernet().encrypt(data)


def unseal(token: bytes) -> bytes:
    """The plain bytes; ``InvalidToken`` if no configured key opens them (a key was dropped too early)."""
    return fernet().decrypt(token)


def rotate(token: bytes) -> bytes:
    """The same data encrypted with the first key."""
    return fernet().rotate(token)


def store(data: bytes) -> str:
    """Encrypt ``data`` and store it under a random name; return the name."""
    return private_storage().save(f"{FOLDER}/{random_name('bin')}", ContentFile(seal(data)))


def load(name: str) -> bytes:
    with private_storage().open(name, "rb") as handle:
        return unseal(handle.read())


def rewrite(name: str) -> bool:
    """Re-encrypt a stored file with the first key, in place (written to a new file, then renamed)."""
    storage = private_storage()
    with storage.open(name, "rb") as handle:
        sealed = handle.read()
    fresh = rotate(sealed)
    if fresh == sealed:
        return False
    path = storage.path(name)
    temporary = f"{path}.new"
    with open(temporary, "wb") as handle:
        handle.write(fresh)
    import os

    os.replace(temporary, path)
    return True


__all__ = ["InvalidToken", "load", "rewrite", "rotate", "seal", "store", "unseal"]
