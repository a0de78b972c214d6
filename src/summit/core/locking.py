"""Locking capacity rows (design.md §3).

``lock(queryset)`` locks the rows in primary-key order inside the current transaction. On PostgreSQL that
is ``SELECT ... FOR UPDATE``, and every PostgreSQL connection has a ``lock_timeout`` (``LOCK_TIMEOUT_MS``, set
in ``settings.database_from_url``), so a stuck writer gives a clear "busy" error instead of hanging; on SQLite every write transaction already starts with ``BEGIN IMMEDIATE`` and is serialized.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import OperationalError, transaction

from summit.core.errors import Busy


def lock(queryset, *, order_by=("pk",), limit: int | None = None):
    """Return the rows of ``queryset`` locked for update, in primary-key order (or ``order_by``)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock() must be called inside transaction.atomic()")
    try:
        # Only the rows of the queried table: joined rows (select_related) stay unlocked.
        locked = queryset.select_for_update(of=("self",)).order_by(*order_by)
        return list(locked[:limit] if limit else locked)
    except OperationalError as exc:  # lock timeout / database locked
        raise Busy() from exc


def lock_one(queryset, *, order_by=("pk",)):
    rows = lock(queryset, order_by=order_by, limit=1)
    return rows[0] if rows else None


@contextmanager
def write_transaction():
    """``transaction.atomic()`` that turns "database is locked"/lock timeouts into a clean Busy error."""
    try:
        with transaction.atomic():
            yield
    except OperationalError as exc:
        text = str(exc).lower()
        if "lock" in text or "busy" in text:
            raise Busy() from exc
        raise
