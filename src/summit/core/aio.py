"""Running a coroutine eagerly: at once, in the caller, until it first has to wait.

``run_eagerly(coro)`` steps ``coro`` right away, inside the caller's (synchronous) code on the event loop. A
coroutine that finishes without waiting (the usual case of a WebSocket send whose buffer has room) costs no
task and no trip through the loop's queue; one that has to wait goes on in a task, returned so that the
caller can chain on it. It is what Python 3.12's ``asyncio.eager_task_factory`` does for one coroutine, for
the live transport's fan-out (``live/transport.py``): ten thousand sockets written in one pass, like
``websockets.broadcast`` does.

The coroutine runs in the caller's context (``contextvars``), and an exception it raises before its first
wait is raised to the caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine


class _Rest:
    """Awaiting it resumes a started coroutine: what it waits on is handed to the task first, then the
    coroutine goes on exactly as under ``await`` (values, exceptions and cancellation passed through)."""

    __slots__ = ("coro", "waiting")

    def __init__(self, coro, waiting):
        self.coro = coro
        self.waiting = waiting

    def __await__(self):
        coro, waiting = self.coro, self.waiting
        while True:
            try:
                value = yield waiting
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - cancellation and the like go to the coroutine
                try:
                    waiting = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    waiting = coro.send(value)
                except StopIteration as stop:
                    return stop.value


async def _finish(coro, waiting):
    return await _Rest(coro, waiting)


def run_eagerly(coro: Coroutine) -> asyncio.Task | None:
    """Step ``coro`` now; None when it finished without waiting, else the task that finishes it."""
    try:
        waiting = coro.send(None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_finish(coro, waiting))
