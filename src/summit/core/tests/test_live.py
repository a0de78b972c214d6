"""The live hub (core/live.py) on both backends: order, one encoding, resume without gaps or duplicates,
resets, eviction of slow subscribers, and one Redis subscription per process per topic."""

import asyncio
import json
import os
import threading
import uuid

import pytest
from django.db import connections, transaction

from summit.core import live
from summit.core.live import Evicted, LocalHub, Message, RedisHub, Reset
from summit.core.testing import run_async as run

REDIS_URL = os.environ.get("SUMMIT_REDIS_URL") or "redis://127.0.0.1:6379/0"


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _cleanup(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def _redis_factory():
    """Redis hubs sharing a key prefix unique to the test (two hubs of one test are two processes sharing
    Redis); returns the factory and the cleanup."""
    if not _redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip("Redis is not reachable")
    prefix = f"summit-test:{uuid.uuid4().hex}:"

    def factory(**kwargs):
        return RedisHub(REDIS_URL, prefix=prefix, **kwargs)

    factory.backend = "redis"
    return factory, lambda: _cleanup(prefix)


@pytest.fixture(params=["local", "redis"])
def make_hub(request):
    """A factory of hubs of one backend (the in-process one is one hub per process: always the same)."""
    if request.param == "local":
        shared = {}

        def factory(**kwargs):
            return shared.setdefault("hub", LocalHub(**kwargs))

        factory.backend = "local"
        yield factory
        return
    factory, cleanup = _redis_factory()
    yield factory
    cleanup()


@pytest.fixture
def make_redis_hub():
    factory, cleanup = _redis_factory()
    yield factory
    cleanup()


async def _take(sub, n, timeout=5):
    out = []
    for _ in range(n):
        out.append(await asyncio.wait_for(sub.__anext__(), timeout))
    return out


async def _nothing_more(sub, wait=0.2):
    try:
        item = await asyncio.wait_for(sub.__anext__(), wait)
    except (TimeoutError, StopAsyncIteration):
        return True
    raise AssertionError(f"unexpected {item!r}")


def _seqs(items):
    return [m.seq for m in items]


def test_publish_subscribe_in_order(make_hub):
    async def main():
        hub = make_hub()
        sub = await hub.subscribe("room:1")
        seqs = [await hub.publish("room:1", {"n": i}) for i in range(5)]
        await hub.publish("room:2", {"other": True})  # another topic is not delivered
        got = await _take(sub, 5)
        assert seqs == [1, 2, 3, 4, 5]
        assert [(m.topic, m.seq, m.data) for m in got] == [
            ("room:1", i + 1, b'{"n":%d}' % i) for i in range(5)
        ]
        assert await _nothing_more(sub)
        await sub.close()
        await hub.aclose()

    run(main())


def test_fan_out_encodes_once(make_hub, monkeypatch):
    encoded = []
    real_encode = live.encode

    def counting_encode(payload):
        encoded.append(payload)
        return real_encode(payload)

    monkeypatch.setattr(live, "encode", counting_encode)

    async def main():
        hub = make_hub()
        subs = [await hub.subscribe("hall") for _ in range(50)]
        await hub.publish("hall", {"text": "你好"})
        got = [(await _take(s, 1))[0] for s in subs]
        assert len(encoded) == 1
        # The very same message object, hence the very same bytes, for every subscriber.
        assert all(m is got[0] for m in got)
        assert got[0].data == '{"text":"你好"}'.encode()
        for s in subs:
            await s.close()
        await hub.aclose()

    run(main())


def test_resume_after_gap_without_gaps_or_duplicates(make_hub):
    async def main():
        hub = make_hub()
        for i in range(10):
            await hub.publish("t", {"i": i})
        sub = await hub.subscribe("t", last_seq=4)
        await hub.publish("t", {"i": 10})  # live, after the subscription
        got = await _take(sub, 7)
        assert _seqs(got) == [5, 6, 7, 8, 9, 10, 11]
        assert await _nothing_more(sub)
        assert sub.last_seq == 11
        await sub.close()
        # Resuming from where it stopped gives nothing old, then the next live message only.
        again = await hub.subscribe("t", last_seq=11)
        await hub.publish("t", {"i": 11})
        assert _seqs(await _take(again, 1)) == [12]
        assert await _nothing_more(again)
        await again.close()
        await hub.aclose()

    run(main())


def test_resume_while_others_publish(make_hub):
    """Messages published while a subscriber registers and reads the history come exactly once."""

    async def main():
        hub = make_hub()
        publisher = make_hub()
        for i in range(20):
            await publisher.publish("busy", {"i": i})
        stop = asyncio.Event()

        async def keep_publishing():
            # At most 500 more, so that the oldest position resumed from (3) stays in the history kept
            # (LIVE_HISTORY, 1,000): a fast machine must not turn the resume into a Reset.
            for _ in range(500):
                if stop.is_set():
                    break
                await publisher.publish("busy", {})
                await asyncio.sleep(0)

        task = asyncio.create_task(keep_publishing())
        subs = []
        for last in (3, 10, 15, None):
            subs.append((last, await hub.subscribe("busy", last_seq=last, max_queue=100_000)))
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        stop.set()
        await task
        final = await publisher.publish("busy", {"last": True})
        for last, sub in subs:
            got = []
            while not got or got[-1].seq < final:
                got.extend(await _take(sub, 1))
            assert all(isinstance(m, Message) for m in got)
            first = (last + 1) if last is not None else got[0].seq
            assert _seqs(got) == list(range(first, final + 1)), last
            await sub.close()
        await hub.aclose()
        if publisher is not hub:
            await publisher.aclose()

    run(main())


def test_sync_publishers_in_threads_keep_order(make_hub):
    """Sync code (services committing in other threads) hands its messages over to the subscribers."""

    async def main():
        hub = make_hub()
        sub = await hub.subscribe("threads")

        def publish_many():
            for _ in range(50):
                hub.publish_sync("threads", b"{}")

        threads = [threading.Thread(target=publish_many) for _ in range(4)]
        for t in threads:
            t.start()
        await asyncio.get_running_loop().run_in_executor(None, lambda: [t.join() for t in threads])
        got = await _take(sub, 200)
        assert _seqs(got) == list(range(1, 201))
        await sub.close()
        await hub.aclose()

    run(main())


def test_too_far_behind_or_from_the_future_gets_a_reset(make_hub):
    async def main():
        hub = make_hub(history=5)
        for i in range(12):
            await hub.publish("t", {"i": i})
        behind = await hub.subscribe("t", last_seq=3)  # 4..7 are no longer kept
        future = await hub.subscribe("t", last_seq=40)  # e.g. the history was lost
        kept = await hub.subscribe("t", last_seq=7)  # 8..12 are all kept
        assert await _take(behind, 1) == [Reset("t", 12)]
        assert await _take(future, 1) == [Reset("t", 12)]
        assert _seqs(await _take(kept, 5)) == [8, 9, 10, 11, 12]
        await hub.publish("t", {})
        for sub in (behind, future, kept):
            assert _seqs(await _take(sub, 1)) == [13]
            assert await _nothing_more(sub, 0.05)
            await sub.close()
        await hub.aclose()

    run(main())


def test_slow_subscriber_is_evicted_and_fast_one_keeps_everything(make_hub):
    async def main():
        hub = make_hub()
        fast = await hub.subscribe("t", max_queue=3)
        slow = await hub.subscribe("t", max_queue=3)
        received = []

        async def read_fast():
            async for m in fast:
                received.append(m.seq)
                if m.seq == 10:
                    return

        reader = asyncio.create_task(read_fast())
        for _ in range(10):
            await hub.publish("t", {})
            await asyncio.sleep(0.02)  # the fast reader (not the slow one) takes each message
        await asyncio.wait_for(reader, 5)
        assert received == list(range(1, 11))
        assert slow.evicted
        assert await _take(slow, 1) == [Evicted("t", 0)]
        with pytest.raises(StopAsyncIteration):
            await slow.__anext__()
        # The evicted subscriber resumes from where it was with everything it missed.
        again = await hub.subscribe("t", last_seq=0)
        assert _seqs(await _take(again, 10)) == list(range(1, 11))
        await fast.close()
        await again.close()
        await hub.aclose()

    run(main())


def test_last_subscriber_leaving_unsubscribes(make_hub):
    async def main():
        hub = make_hub()
        a = await hub.subscribe("t")
        b = await hub.subscribe("t")
        assert hub.subscribers("t") == 2
        await hub.publish("t", {})
        assert _seqs(await _take(b, 1)) == [1]  # a has it queued too, but closes without reading it
        await a.close()
        assert hub.subscribers("t") == 1
        await b.close()
        assert hub.subscribers("t") == 0
        assert "t" not in hub._topics
        with pytest.raises(StopAsyncIteration):
            await a.__anext__()
        if make_hub.backend == "redis":
            numsub = dict(await hub._redis.pubsub_numsub(hub.channel("t")))
            assert numsub[hub.channel("t").encode()] == 0
        await hub.aclose()

    run(main())


def test_two_processes_share_redis_with_one_subscription_each(make_redis_hub):
    async def main():
        one, two = make_redis_hub(), make_redis_hub()
        on_one = [await one.subscribe("t") for _ in range(3)]
        on_two = [await two.subscribe("t") for _ in range(5)]
        channel = one.channel("t")
        numsub = dict(await one._redis.pubsub_numsub(channel))
        assert numsub[channel.encode()] == 2  # one per process, not 8
        assert await one.publish("t", {"from": 1}) == 1
        assert await two.publish("t", {"from": 2}) == 2
        for sub in on_one + on_two:
            got = await _take(sub, 2)
            assert [(m.seq, m.data) for m in got] == [(1, b'{"from":1}'), (2, b'{"from":2}')]
        for sub in on_two:
            await sub.close()
        numsub = dict(await one._redis.pubsub_numsub(channel))
        assert numsub[channel.encode()] == 1
        for sub in on_one:
            await sub.close()
        await one.aclose()
        await two.aclose()

    run(main())


@pytest.mark.django_db(transaction=True)
def test_publish_after_commit(make_hub, monkeypatch):
    async def main():
        hub = make_hub()
        monkeypatch.setattr(live, "_hub", hub)
        sub = await hub.subscribe("t")

        def service(fail):
            try:
                with transaction.atomic():
                    live.publish_after_commit("t", {"fail": fail})
                    if fail:
                        raise ValueError("rolled back")
            finally:
                connections.close_all()

        loop = asyncio.get_running_loop()
        with pytest.raises(ValueError):
            await loop.run_in_executor(None, service, True)
        await loop.run_in_executor(None, service, False)
        got = await _take(sub, 1)
        assert [(m.seq, m.data) for m in got] == [(1, b'{"fail":false}')]
        assert await _nothing_more(sub)
        await sub.close()
        await hub.aclose()

    run(main())


def test_lost_redis_connection_drops_subscribers_who_resume(make_redis_hub):
    """A dropped subscription connection may have lost messages: its subscribers are evicted and resume
    from the history with nothing missing."""
    import redis

    async def main():
        name = f"summit-test-{uuid.uuid4().hex}"
        hub = make_redis_hub(client_name=name)
        sub = await hub.subscribe("t")
        await hub.publish("t", {})
        assert _seqs(await _take(sub, 1)) == [1]
        client = redis.Redis.from_url(REDIS_URL)
        killed = [c["id"] for c in client.client_list(_type="pubsub") if c["name"] == name]
        assert len(killed) == 1
        client.client_kill_filter(_id=killed[0])
        client.close()
        await hub.publish("t", {})
        assert await _take(sub, 1) == [Evicted("t", 1)]
        again = await hub.subscribe("t", last_seq=sub.last_seq)
        await hub.publish("t", {})
        assert _seqs(await _take(again, 2)) == [2, 3]
        await again.close()
        await hub.aclose()

    run(main())


def test_the_backend_follows_the_settings(monkeypatch, settings):
    monkeypatch.setattr(live, "_hub", None)
    settings.REDIS_URL = None
    assert type(live.get_hub()) is LocalHub
    assert live.get_hub() is live.get_hub()
    monkeypatch.setattr(live, "_hub", None)
    settings.REDIS_URL = REDIS_URL
    hub = live.get_hub()
    assert type(hub) is RedisHub and hub.url == REDIS_URL and hub.prefix == "summit:live:"


def test_redis_messages_published_around_the_history_read_come_once(make_redis_hub):
    """One message published just before the history is read (so it is both in the history and live) and
    one just after (live only, buffered while the replay is prepared): each is delivered exactly once."""

    async def main():
        hub, other = make_redis_hub(), make_redis_hub()
        for _ in range(3):
            await other.publish("t", {})
        real_read = hub._read_history

        async def read_between_publishes(topic, last_seq):
            await other.publish("t", {"before": True})
            result = await real_read(topic, last_seq)
            await other.publish("t", {"after": True})
            await asyncio.sleep(0.1)  # both are in the subscriber's queue by now
            return result

        hub._read_history = read_between_publishes
        sub = await hub.subscribe("t", last_seq=1)
        assert len(sub._queue) == 2
        got = await _take(sub, 4)
        assert [(m.seq, m.data) for m in got] == [
            (2, b"{}"),
            (3, b"{}"),
            (4, b'{"before":true}'),
            (5, b'{"after":true}'),
        ]
        assert await _nothing_more(sub)
        await sub.close()
        await hub.aclose()
        await other.aclose()

    run(main())


def test_a_page_resumes_from_the_position_read_before_its_state(make_hub):
    """``current_sync`` (read by a page before it renders its state) is the position a connection resumes
    from: what is published between the page and its connection arrives, nothing before it does."""

    async def main():
        hub = make_hub()
        other = make_hub()
        assert hub.current_sync("page") == 0
        await other.publish("page", {"n": 1})
        position = hub.current_sync("page")  # the page renders its state here
        assert position == 1
        await other.publish("page", {"n": 2})  # while the browser opens its connection
        sub = await hub.subscribe("page", last_seq=position)
        await other.publish("page", {"n": 3})
        got = await _take(sub, 2)
        assert [(m.seq, json.loads(m.data)["n"]) for m in got] == [(2, 2), (3, 3)]
        await sub.close()
        await hub.aclose()
        if other is not hub:
            await other.aclose()

    run(main())


def test_redis_subscribers_start_from_what_the_process_knows(make_redis_hub):
    """A crowd joining a topic this process already follows costs one history read, not one each; a
    subscriber resuming from a message this process fanned out replays it from memory; one that saw a
    message still on its way here (from another process) reads Redis and gets no false reset."""

    async def main():
        hub, other = make_redis_hub(), make_redis_hub()
        for _ in range(3):
            await other.publish("t", {})
        reads = []
        real_read = hub._read_history

        async def counted(topic, last_seq):
            reads.append(last_seq)
            return await real_read(topic, last_seq)

        hub._read_history = counted
        first = await hub.subscribe("t")
        crowd = [await hub.subscribe("t") for _ in range(20)]
        assert reads == [None]  # the first one only
        assert {sub.last_seq for sub in [first, *crowd]} == {3}
        await other.publish("t", {"n": 4})
        await other.publish("t", {"n": 5})
        for sub in [first, *crowd]:
            assert _seqs(await _take(sub, 2)) == [4, 5]
        resumed = await hub.subscribe("t", last_seq=4)  # from memory
        assert _seqs(await _take(resumed, 1)) == [5] and reads == [None]
        # Published elsewhere and still on its way here: this process knows 5, the client saw 6.
        held, received = [], (hub._remember, hub._fan_out)
        hub._remember, hub._fan_out = held.append, lambda msg: None
        await other.publish("t", {"n": 6})
        await asyncio.sleep(0.1)
        ahead = await hub.subscribe("t", last_seq=6)
        assert reads == [None, 6] and held
        hub._remember, hub._fan_out = received
        for msg in held:  # it arrives
            hub._remember(msg)
            hub._fan_out(msg)
        await other.publish("t", {"n": 7})
        got = await _take(ahead, 1)
        assert [(m.seq, m.data) for m in got] == [(7, b'{"n":7}')]  # 6 skipped once, no reset
        assert await _nothing_more(ahead)
        # Older than what this process fanned out since it subscribed: the history in Redis has it.
        early = await hub.subscribe("t", last_seq=1)
        assert _seqs(await _take(early, 6)) == [2, 3, 4, 5, 6, 7] and reads[-1] == 1
        for sub in [first, *crowd, resumed, ahead, early]:
            await sub.close()
        assert "t" not in hub._known  # forgotten with the subscription
        await hub.aclose()
        await other.aclose()

    run(main())
