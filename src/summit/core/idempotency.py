"""Idempotency keys: a request repeated with the same key gets the first result, not a second effect.

Services call :func:`lookup` before doing anything and :func:`remember` inside the same transaction as the
change, so a key is stored exactly when the change commits.
"""

from __future__ import annotations

import re

from django.utils import timezone
from django.utils.translation import gettext as _

from summit.core import rows
from summit.core.errors import Conflict, ValidationFailed
from summit.core.models import IdempotencyKey

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_\-:.]{8,100}$")


def clean_key(key) -> str:
    """The key, or a 422 naming what is wrong with it: 8–100 letters, digits or ``_-:.`` (a UUID fits)."""
    text = key if isinstance(key, str) else ""
    if not text:
        raise ValidationFailed(
            _("An idempotency key is required (for example a UUID), so that a repeated request books once."),
            code="idempotency_key_required",
            field="idempotency_key",
        )
    if not KEY_PATTERN.match(text):
        raise ValidationFailed(
            _("The idempotency key must be 8 to 100 characters: letters, digits, '-', '_', ':' or '.'."),
            code="idempotency_key_invalid",
            field="idempotency_key",
        )
    return text


def lookup(*, owner: str, key: str, fingerprint: str) -> dict | None:
    """The stored result for this key, None if the key is new; Conflict if it was used for another request."""
    row = IdempotencyKey.objects.filter(owner=owner, key=key).only("fingerprint", "result").first()
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise Conflict(
            _("This idempotency key was already used for a different request."),
            code="idempotency_key_reused",
        )
    return row.result


def remember(*, owner: str, key: str, fingerprint: str, result: dict) -> None:
    rows.insert(
        IdempotencyKey,
        {
            "owner": owner,
            "key": key,
            "fingerprint": fingerprint,
            "result": result,
            "created_at": timezone.now(),
        },
    )
