"""When each API token was last used, recorded without a database write per request.

A token's use is noted at most once per ``TOKEN_USE_RESOLUTION`` (15 minutes): the first request after that
puts the time in this process's pending set, and the set is written in one transaction when a request
finishes and ``SUMMIT_TOKEN_USE_FLUSH_SECONDS`` (30 s) have passed since the last write, and when the process
exits. A rush of requests from thousands of fresh tokens (a seat rush) therefore costs one small write per
process and interval, not one write per request queueing behind the bookings for the database's write lock.
The token pages show the time to the minute; it can lag by the flush interval.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.signals import request_finished
from django.db import connections
from django.db.models import Q
from django.utils import timezone

TOKEN_USE_RESOLUTION = timedelta(minutes=15)

log = logging.getLogger(__name__)
_lock = threading.Lock()
_pending: dict[int, object] = {}
_last_flush = 0.0


def note(token) -> None:
    """Remember that ``token`` (an ApiToken) was used now, if its stored time is older than the resolution."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at <= TOKEN_USE_RESOLUTION:
        return
    with _lock:
        _pending[token.pk] = now
    token.last_used_at = now
    if settings.TOKEN_USE_FLUSH_SECONDS <= 0:
        flush()


def pending() -> dict[int, object]:
    with _lock:
        return dict(_pending)


def flush() -> int:
    """Write the pending times now; returns how many tokens were updated."""
    global _last_flush
    with _lock:
        batch = dict(_pending)
        _pending.clear()
        _last_flush = time.monotonic()
    if not batch:
        return 0
    from summit.accounts.models import ApiToken
    from summit.core.locking import write_transaction

    try:
        with write_transaction():
            for token_id, used in batch.items():
                # Never move a later time back (another process may have written one meanwhile).
                ApiToken.objects.filter(
                    Q(last_used_at__isnull=True) | Q(last_used_at__lt=used), pk=token_id
                ).update(last_used_at=used)
    except Exception:  # noqa: BLE001 - informational: a failed write must not fail the request that triggered it
        log.warning("could not record the use of %d API tokens", len(batch), exc_info=True)
        with _lock:
            for token_id, used in batch.items():
                _pending.setdefault(token_id, used)
        return 0
    return len(batch)


def _flush_if_due(**kwargs) -> None:
    if _pending and time.monotonic() - _last_flush >= settings.TOKEN_USE_FLUSH_SECONDS:
        flush()


def _flush_at_exit() -> None:
    if _pending:
        try:
            flush()
        finally:
            connections.close_all()


request_finished.connect(_flush_if_due, dispatch_uid="summit.token_use")
atexit.register(_flush_at_exit)
