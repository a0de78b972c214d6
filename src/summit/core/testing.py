"""Factories for tests and benchmarks: build realistic data through the models, never from DB dumps.

Each app keeps the factories of its own models in its ``testing.py`` (``events.testing.make_event``,
``registration.testing.make_participant``, ``program.testing.make_session``...); this one has the account and
the files every app needs.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.contrib.auth import get_user_model

seq = itertools.count(1)
PASSWORD = "summit-test-pw"


def make_user(email: str | None = None, *, password: str | None = PASSWORD, **extra):
    email = email or f"user{next(seq)}@example.org"
    return get_user_model().objects.create_user(email, password, **extra)


def expired(hours: int = 1):
    from django.utils import timezone

    return timezone.now() - timedelta(hours=hours)


# Smallest valid files of each accepted type, plus one that is not accepted.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
