"""Factories for tests and benchmarks: build realistic data through the models, never from DB dumps.

Each app keeps the factories of its own models in its ``testing.py`` (``events.testing.make_event``,
``registration.testing.make_participant``, ``program.testing.make_session``...); this one has the account and
the files every app needs.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection

from summit.core import locking
from summit.core.errors import Busy, SummitError

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


# --- races (design.md §3: prove the race with the lock off, then the fix with it on) -----------------------


class Outcome:
    """What one racing thread got: a result, or the code of the domain error it was refused with."""

    def __init__(self):
        self.result = None
        self.error: str | None = None
        self.busy = 0


def run_at_once(calls, *, busy_retries: int = 20, timeout: float = 120) -> list[Outcome]:
    """Run ``calls`` (callables) at the same moment, one thread and database connection each, released
    together by a barrier. A call refused with Busy ("try again") is retried, as a client would, and counted.

    Each thread runs in a copy of the caller's context, so the switches of ``core.locking`` set by the test
    (:func:`without_locks`, :func:`reversed_lock_order`) hold in the threads too.
    """
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def work(call, outcome):
        try:
            connection.ensure_connection()  # connecting is not part of the race
            barrier.wait()
            while True:
                try:
                    outcome.result = call()
                    return
                except Busy:
                    outcome.busy += 1
                    if outcome.busy > busy_retries:
                        raise
        except SummitError as exc:
            outcome.error = exc.code
        except Exception as exc:  # noqa: BLE001 - an unexpected error fails the test that reads it
            outcome.error = repr(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(work, call, outcome))
        for call, outcome in zip(calls, outcomes, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a racing thread hung"
    return outcomes


def errors(outcomes) -> dict:
    """How many threads were refused, by error code."""
    return Counter(o.error for o in outcomes if o.error)


def without_locks(window: float = 0.02):
    """Turn the capacity locks off (race tests only): services count first and write later, and ``window``
    seconds pass in between, so the race shows on any machine (``core.locking.locking_enabled``)."""
    return _switched((locking.locking_enabled, False), (locking.race_window, window))


def reversed_lock_order(window: float = 0.3):
    """Take the locks of ``locking.lock_all`` in descending order, pausing ``window`` seconds after each (race
    tests only): the order from before one global order existed, to show the deadlock it produces."""
    return _switched((locking.reversed_order, True), (locking.race_window, window))


def paused_locks(window: float = 0.3):
    """Pause ``window`` seconds after taking each lock, in the global order (race tests only): the same timing
    as :func:`reversed_lock_order`, to show that the global order does not deadlock."""
    return _switched((locking.race_window, window))


def _switched(*pairs):
    @contextmanager
    def switch():
        tokens = [(var, var.set(value)) for var, value in pairs]
        try:
            yield
        finally:
            for var, token in reversed(tokens):
                var.reset(token)

    return switch()


def run_async(coro):
    """Run ``coro`` with ``asyncio.run`` on a fresh event loop in a thread of its own, and return its result
    (or raise its exception, ``pytest.fail`` included): in the whole suite, Playwright (the browser tests)
    keeps an event loop running in the main thread, where ``asyncio.run()`` is refused."""
    import asyncio
    import threading

    outcome = {}

    def target():
        try:
            outcome["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="run-async")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


# --- the demo, for the apps' demo tests --------------------------------------------------------------------


@contextmanager
def built_demo(django_db_blocker, **overrides):
    """``summit demo`` run once, for a module's tests, inside a transaction rolled back at the end; yields
    ``(printed sheet, seconds it took)``. Passwords use a fast hasher; ``overrides`` are more settings."""
    import time
    from io import StringIO

    from django.core.management import call_command
    from django.db import transaction
    from django.test import override_settings

    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast, **overrides):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = StringIO()
            started = time.monotonic()
            call_command("demo", stdout=out)
            yield out.getvalue(), time.monotonic() - started
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
