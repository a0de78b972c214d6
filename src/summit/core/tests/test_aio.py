"""run_eagerly: a coroutine stepped at once, finished in a task only when it has to wait."""

import asyncio

import pytest

from summit.core.aio import run_eagerly
from summit.core.testing import run_async as run


def test_a_coroutine_that_does_not_wait_runs_to_the_end_in_the_caller():
    steps = []

    async def quick():
        lock = asyncio.Lock()
        async with lock:  # free: acquiring it does not wait
            steps.append("inside")

    async def main():
        task = run_eagerly(quick())
        steps.append("after")
        return task

    assert run(main()) is None
    assert steps == ["inside", "after"]  # done before run_eagerly returned


def test_a_coroutine_that_waits_goes_on_in_a_task_with_its_result():
    steps = []

    async def slow(gate):
        steps.append("started")
        value = await gate
        steps.append(f"got {value}")
        await asyncio.sleep(0)
        return value * 2

    async def main():
        gate = asyncio.get_running_loop().create_future()
        task = run_eagerly(slow(gate))
        assert steps == ["started"]  # stepped at once, up to the wait
        gate.set_result(21)
        return await task

    assert run(main()) == 42
    assert steps == ["started", "got 21"]


def test_an_error_before_the_first_wait_reaches_the_caller():
    async def broken():
        raise ValueError("at once")

    async def main():
        with pytest.raises(ValueError, match="at once"):
            run_eagerly(broken())

    run(main())


def test_errors_and_cancellation_after_the_wait_go_through_the_coroutine():
    seen = []

    async def waits(gate):
        try:
            await gate
        except asyncio.CancelledError:
            seen.append("cancelled inside")
            raise
        except KeyError as exc:
            seen.append(f"caught {exc.args[0]}")
            return "recovered"

    async def main():
        loop = asyncio.get_running_loop()
        failing = loop.create_future()
        task = run_eagerly(waits(failing))
        failing.set_exception(KeyError("k"))
        assert await task == "recovered"

        task = run_eagerly(waits(loop.create_future()))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    assert seen == ["caught k", "cancelled inside"]
