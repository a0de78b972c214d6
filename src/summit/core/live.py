"""The live hub: topics, sequence numbers, resume and fan-out (design.md §4).

One interface, two backends, chosen by settings (``get_hub()``):

- ``LocalHub`` (no ``SUMMIT_REDIS_URL``): one process. Sequence numbers and the history live in memory.
- ``RedisHub`` (``SUMMIT_REDIS_URL`` set): any number of processes on any number of machines. One Lua
  script assigns the sequence number (``INCR``), stores the message in a capped list and ``PUBLISH``es it,
  atomically, so the order of a topic's channel is the order of its sequence numbers. Each process holds
  *one* Redis subscription per topic, whatever its number of local subscribers (reference counted:
  subscribed for the first local subscriber, unsubscribed after the last).

Usage, on the event loop that serves the connections::

    hub = get_hub()
    seq = await hub.publish("session:12", {"seats": 3})
    sub = await hub.subscribe("session:12", last_seq=41)
    async for item in sub:      # Message, then possibly Reset first or Evicted last
        ...
    await sub.close()

A message is encoded once (``encode``: JSON bytes) and the same ``Message`` object is handed to every local
subscriber: no per-client encoding and no per-client network send.

Resume: a subscriber that gives ``last_seq`` first receives the stored messages after it, then live ones,
with no gap and no duplicate. It registers for live messages *before* reading the history, buffers what
arrives meanwhile and drops what it has already delivered (``seq <= last delivered``). When ``last_seq`` is
older than the history kept, or newer than the topic's current sequence number (the history was lost, e.g.
Redis restarted), it first receives a ``Reset``: the client must refresh its whole state, then live messages
follow.

Slow subscribers: each has a queue of ``LIVE_QUEUE`` messages. One that overflows is dropped at once (its
queue emptied), its iterator yields ``Evicted`` and ends; the client reconnects with ``last_seq`` and
resumes. Publishing never waits for a subscriber.

Sync code (services, jobs) publishes with ``publish_after_commit(topic, payload)``: the payload is encoded
at once (a bad payload fails inside the service) and published when the transaction commits. With Redis it
runs the same script on a sync connection, from whatever thread commits (the serving processes receive it
through their subscriptions). In-process it assigns the sequence number under a thread lock and hands the
fan-out to the hub's event loop with ``loop.call_soon_threadsafe``; every fan-out goes through the loop's
FIFO callback queue, also for publishes made on the loop, so subscribers see sequence order.
"""

from __future__ import annotations

import asyncio
import collections
import json
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    seq: int
    data: bytes  # the JSON payload, encoded once for every subscriber


@dataclass(frozen=True, slots=True)
class Reset:
    """The missed messages cannot be replayed: refresh the whole state; live messages after ``seq`` follow."""

    topic: str
    seq: int


@dataclass(frozen=True, slots=True)
class Evicted:
    """The subscriber fell behind and was dropped; reconnect with ``last_seq`` to resume."""

    topic: str
    last_seq: int


def encode(payload) -> bytes:
    """The one encoding of a payload (compact JSON, UTF-8; dates and decimals as Django serializes them)."""
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


class Subscription:
    """One subscriber of one topic: an async iterator of ``Message`` (``Reset`` first, ``Evicted`` last)."""

    def __init__(self, hub: Hub, topic: str, max_queue: int):
        self.hub = hub
        self.topic = topic
        self.last_seq = 0  # the last sequence number delivered (or skipped by a Reset)
        self.evicted = False
        self.closed = False
        self._max_queue = max_queue
        self._replay: collections.deque = collections.deque()  # history (or a Reset), delivered first
        self._queue: collections.deque[Message] = collections.deque()  # live messages
        self._wake = asyncio.Event()
        self._evicted_sent = False
        self._listener = None  # called (on the hub's loop) when an item may be ready: see ``listen``

    def _start(self, last_seq: int | None, current: int, history: list[Message]) -> None:
        """Decide what to replay, from the topic's ``current`` sequence number and its stored ``history``."""
        if self.evicted:  # overflowed while the history was read: nothing to replay, Evicted follows
            return
        missed = [m for m in history if last_seq is not None and last_seq < m.seq <= current]
        if last_seq is None or last_seq == current:
            self.last_seq = current
        elif last_seq < current and [m.seq for m in missed] == list(range(last_seq + 1, current + 1)):
            self._replay.extend(missed)
            self.last_seq = last_seq
        else:
            # Older than the history kept, newer than the topic (its data was lost), or a history with a
            # hole: the client cannot catch up message by message.
            self._replay.append(Reset(self.topic, current))
            self.last_seq = current
        # Live messages buffered while the history was read: those the history covers are skipped by seq.

    def _push(self, msg: Message) -> None:
        """Queue a live message (on the hub's loop; never blocks)."""
        if self.closed or self.evicted:
            return
        if len(self._queue) >= self._max_queue:
            self._evict()
            return
        self._queue.append(msg)
        self._ready()

    def _ready(self) -> None:
        self._wake.set()
        if self._listener is not None:
            self._listener()

    def _evict(self) -> None:
        self.evicted = True
        self._queue.clear()
        self._replay.clear()
        self.hub._detach_soon(self)
        self._ready()

    def listen(self, callback) -> None:
        """Call ``callback()`` (on the hub's loop, during the fan-out) whenever an item may have become ready,
        instead of waking a reader: the caller takes the items with :meth:`poll` right away. This is how a
        connection sends a message to its socket inside the fan-out, without a task switch per subscriber."""
        self._listener = callback

    def __aiter__(self):
        return self

    def poll(self):
        """The next item if one is ready, else None; raises StopAsyncIteration once the subscription ended.
        One reader per subscription (``poll`` or ``async for``)."""
        if self.closed:
            raise StopAsyncIteration
        if self._replay:
            item = self._replay.popleft()
            self.last_seq = item.seq
            return item
        while self._queue:
            msg = self._queue.popleft()
            if msg.seq <= self.last_seq:
                continue  # already delivered from the history
            if msg.seq != self.last_seq + 1:
                # A live message was lost (a dropped Redis connection): resume from the history.
                self._evict()
                break
            self.last_seq = msg.seq
            return msg
        if self.evicted:
            if not self._evicted_sent:
                self._evicted_sent = True
                return Evicted(self.topic, self.last_seq)
            raise StopAsyncIteration
        return None

    async def __anext__(self):
        while True:
            item = self.poll()
            if item is not None:
                return item
            self._wake.clear()
            await self._wake.wait()

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._listener = None
            self._wake.set()
            await self.hub._detach(self)


class Hub:
    """What both backends share: the local subscribers of each topic and their fan-out."""

    def __init__(self, *, history: int | None = None, max_queue: int | None = None):
        self.history = history or settings.LIVE_HISTORY
        self.max_queue = max_queue or settings.LIVE_QUEUE
        self._topics: dict[str, set[Subscription]] = {}
        self._tasks: set[asyncio.Task] = set()

    def subscribers(self, topic: str) -> int:
        return len(self._topics.get(topic, ()))

    def _fan_out(self, msg: Message) -> None:
        for sub in list(self._topics.get(msg.topic, ())):
            sub._push(msg)

    def _detach_soon(self, sub: Subscription) -> None:
        task = asyncio.get_running_loop().create_task(self._detach(sub))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def subscribe(self, topic: str, last_seq: int | None = None, max_queue: int | None = None):
        raise NotImplementedError

    async def _detach(self, sub: Subscription) -> None:
        raise NotImplementedError

    async def publish(self, topic: str, payload) -> int:
        return await self.publish_encoded(topic, encode(payload))

    async def publish_encoded(self, topic: str, data: bytes) -> int:
        raise NotImplementedError

    def publish_sync(self, topic: str, data: bytes) -> int:
        raise NotImplementedError

    def current_sync(self, topic: str) -> int:
        """The topic's last sequence number (0: nothing published yet), from sync code: a page reads it
        *before* the state it renders, and its live connection resumes from it, so nothing published in
        between is missed."""
        raise NotImplementedError

    async def aclose(self) -> None:
        for subs in list(self._topics.values()):
            for sub in list(subs):
                await sub.close()


class LocalHub(Hub):
    """One process: sequence numbers and a deque of history per topic, fan-out on one event loop."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lock = threading.Lock()  # sequence numbers, history and the subscriber sets
        self._seq: dict[str, int] = {}
        self._history: dict[str, collections.deque[Message]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None  # the loop of the subscribers

    def _publish(self, topic: str, data: bytes) -> int:
        with self._lock:
            seq = self._seq.get(topic, 0) + 1
            self._seq[topic] = seq
            msg = Message(topic, seq, data)
            self._history.setdefault(topic, collections.deque(maxlen=self.history)).append(msg)
            loop = self.loop
            if loop is not None and topic in self._topics:
                # Scheduled under the lock: the loop runs fan-outs in sequence order.
                try:
                    loop.call_soon_threadsafe(self._fan_out, msg)
                except RuntimeError:  # the loop is closed: nobody is listening any more
                    pass
        return seq

    async def publish_encoded(self, topic: str, data: bytes) -> int:
        return self._publish(topic, data)

    def publish_sync(self, topic: str, data: bytes) -> int:
        return self._publish(topic, data)

    def current_sync(self, topic: str) -> int:
        with self._lock:
            return self._seq.get(topic, 0)

    async def subscribe(self, topic: str, last_seq: int | None = None, max_queue: int | None = None):
        loop = asyncio.get_running_loop()
        sub = Subscription(self, topic, max_queue or self.max_queue)
        with self._lock:
            if self.loop is None or self.loop.is_closed():
                self.loop = loop
                self._topics.clear()  # subscribers of a closed loop will never read again
            elif self.loop is not loop:
                raise RuntimeError("LocalHub: every subscriber must be on the same event loop")
            # Registered and read under the same lock: a message is either in this history or fanned out
            # to the new subscriber afterwards (fan-outs already scheduled are skipped by seq).
            self._topics.setdefault(topic, set()).add(sub)
            current = self._seq.get(topic, 0)
            history = list(self._history.get(topic, ()))
        sub._start(last_seq, current, history)
        return sub

    async def _detach(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._topics.get(sub.topic)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._topics[sub.topic]


# KEYS: the topic's counter, its history list; ARGV: the channel, the payload, the history size.
# The message on the channel and in the list is "<seq>:<payload>".
# KEYS: the same; ARGV: the subscriber's last_seq (-1: none). Returns {current, the messages after last_seq}
# (none when last_seq is current, newer, or older than the history kept: then the subscriber gets a Reset).
# The list holds the messages current-LLEN+1 .. current, so the missed ones are its last current-last_seq.
_READ_SCRIPT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local last = tonumber(ARGV[1])
if last < 0 or last >= current or current - last > redis.call('LLEN', KEYS[2]) then
  return {current, {}}
end
return {current, redis.call('LRANGE', KEYS[2], last - current, -1)}
"""

READS_AT_ONCE = 8  # history reads in flight per process (a reconnecting crowd queues for them)

_PUBLISH_SCRIPT = """
local seq = redis.call('INCR', KEYS[1])
local wire = seq .. ':' .. ARGV[2]
redis.call('RPUSH', KEYS[2], wire)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('PUBLISH', ARGV[1], wire)
return seq
"""


def _parse(topic: str, wire: bytes) -> Message:
    seq, _, data = wire.partition(b":")
    return Message(topic, int(seq), data)


class RedisHub(Hub):
    """Several processes sharing Redis: INCR'd sequence numbers, a capped list of history per topic, and
    one SUBSCRIBE per topic per process, read by one task that fans out to the local subscribers. Its async
    side belongs to the event loop that first uses it (one per serving process); ``publish_sync`` works from
    any thread."""

    def __init__(
        self,
        url: str | None = None,
        *,
        prefix: str = "summit:live:",
        client_name: str = "summit-live",
        **kwargs,
    ):
        super().__init__(**kwargs)
        import redis
        import redis.asyncio

        self.url = url or settings.REDIS_URL
        self.prefix = prefix
        # Named, so that CLIENT LIST shows which connections are the hub's.
        self.client_name = client_name
        self._redis = redis.asyncio.Redis.from_url(self.url, client_name=client_name)
        self._sync_redis = None
        self._sync_factory = redis.Redis.from_url
        self._script = self._redis.register_script(_PUBLISH_SCRIPT)
        self._read_script = self._redis.register_script(_READ_SCRIPT)
        self._sync_script = None
        self._pubsub = None
        self._reader: asyncio.Task | None = None
        self._changing = asyncio.Lock()  # one SUBSCRIBE/UNSUBSCRIBE in flight, awaited to its confirmation
        self._confirm: tuple[str, bytes, asyncio.Future] | None = None
        # Per subscribed topic: the newest sequence number known to be published (``_known``) and the
        # messages fanned out here since (``_recent``, consecutive), so that a crowd of new subscribers,
        # and the ones resuming from a recent message, start without a Redis round trip each; the others
        # read the history, a few at a time (``_reads``).
        self._known: dict[str, int] = {}
        self._recent: dict[str, collections.deque[Message]] = {}
        self._generation: dict[str, int] = {}  # counts the SUBSCRIBEs of each topic
        self._reads = asyncio.Semaphore(READS_AT_ONCE)

    def channel(self, topic: str) -> str:
        return f"{self.prefix}{topic}"

    def _keys(self, topic: str) -> list[str]:
        return [f"{self.prefix}seq:{topic}", f"{self.prefix}history:{topic}"]

    async def publish_encoded(self, topic: str, data: bytes) -> int:
        return int(await self._script(keys=self._keys(topic), args=[self.channel(topic), data, self.history]))

    def publish_sync(self, topic: str, data: bytes) -> int:
        if self._sync_script is None:
            self._sync_redis = self._sync_factory(self.url, client_name=self.client_name)
            self._sync_script = self._sync_redis.register_script(_PUBLISH_SCRIPT)
        return int(self._sync_script(keys=self._keys(topic), args=[self.channel(topic), data, self.history]))

    def current_sync(self, topic: str) -> int:
        if self._sync_redis is None:
            self._sync_redis = self._sync_factory(self.url, client_name=self.client_name)
        return int(self._sync_redis.get(self._keys(topic)[0]) or 0)

    async def _change(self, kind: str, channel: str) -> None:
        """SUBSCRIBE or UNSUBSCRIBE one channel and wait for Redis to confirm it (under ``_changing``)."""
        if self._pubsub is None:
            self._pubsub = self._redis.pubsub()
        fut = asyncio.get_running_loop().create_future()
        self._confirm = (kind, channel.encode(), fut)
        try:
            await getattr(self._pubsub, kind)(channel)
            if self._reader is None or self._reader.done():
                self._reader = asyncio.get_running_loop().create_task(self._read())
            await asyncio.wait_for(fut, timeout=10)
        finally:
            self._confirm = None

    async def _read(self) -> None:
        """The one reader of this process's subscription connection."""
        pubsub = self._pubsub
        try:
            while True:
                item = await pubsub.get_message(timeout=None)
                if item is None:
                    continue
                kind, channel = item["type"], item["channel"]
                if kind == "message":
                    topic = channel.decode()[len(self.prefix) :]
                    msg = _parse(topic, item["data"])  # parsed once for all local subscribers
                    self._remember(msg)
                    self._fan_out(msg)
                elif self._confirm and self._confirm[:2] == (kind, channel) and not self._confirm[2].done():
                    self._confirm[2].set_result(None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The connection is gone: drop every subscriber (they resume from the history) and start afresh.
            if self._confirm and not self._confirm[2].done():
                self._confirm[2].set_exception(exc)
            for subs in list(self._topics.values()):
                for sub in list(subs):
                    sub._evict()
            self._topics.clear()
            self._forget()
            self._pubsub = None
            await pubsub.aclose()

    async def _read_history(self, topic: str, last_seq: int | None) -> tuple[int, list[Message]]:
        """The topic's current sequence number and the stored messages after ``last_seq``, atomically."""
        arg = -1 if last_seq is None else max(last_seq, 0)
        current, wires = await self._read_script(keys=self._keys(topic), args=[arg])
        return int(current), [_parse(topic, w) for w in wires]

    def _remember(self, msg: Message) -> None:
        """Note a message received on a subscribed topic (the newest known, and the recent ones)."""
        topic = msg.topic
        if topic not in self._topics:
            return
        recent = self._recent.get(topic)
        if recent is None:
            recent = self._recent[topic] = collections.deque(maxlen=self.history)
        if recent and recent[-1].seq + 1 != msg.seq:
            recent.clear()  # not consecutive (e.g. Redis lost its data): start the recent ones afresh
        recent.append(msg)
        self._note_known(topic, msg.seq)

    def _note_known(self, topic: str, seq: int) -> None:
        if seq > self._known.get(topic, -1):
            self._known[topic] = seq

    def _forget(self, topic: str | None = None) -> None:
        for table in (self._known, self._recent):
            if topic is None:
                table.clear()
            else:
                table.pop(topic, None)

    def _from_memory(self, topic: str, last_seq: int | None) -> tuple[int, list[Message]] | None:
        """Where a subscriber starts and what it missed, when this process knows it; else None."""
        known = self._known.get(topic)
        if known is None:
            return None
        if last_seq is None or last_seq == known:
            return known, []
        if last_seq > known:
            return None  # it saw a message on its way here: Redis knows more
        recent = self._recent.get(topic)
        if not recent or recent[0].seq > last_seq + 1 or recent[-1].seq != known:
            return None
        return known, [m for m in recent if m.seq > last_seq]

    async def subscribe(self, topic: str, last_seq: int | None = None, max_queue: int | None = None):
        sub = Subscription(self, topic, max_queue or self.max_queue)
        async with self._changing:
            subs = self._topics.get(topic)
            if subs is None:
                # Confirmed before the history is read: whatever is published later reaches us live.
                await self._change("subscribe", self.channel(topic))
                subs = self._topics[topic] = set()
                self._generation[topic] = self._generation.get(topic, 0) + 1
            subs.add(sub)
            generation = self._generation[topic]
            found = self._from_memory(topic, last_seq)
        if found is None:
            try:
                async with self._reads:
                    found = await self._read_history(topic, last_seq)
            except BaseException:
                await self._detach(sub)
                raise
            if self._generation.get(topic) == generation and topic in self._topics:
                # Subscribed all along since before the read: everything after ``current`` comes live.
                self._note_known(topic, found[0])
        sub._start(last_seq, *found)
        return sub

    async def _detach(self, sub: Subscription) -> None:
        async with self._changing:
            subs = self._topics.get(sub.topic)
            if subs is None or sub not in subs:
                return
            subs.discard(sub)
            if not subs:
                del self._topics[sub.topic]
                self._forget(sub.topic)
                if self._pubsub is not None:
                    await self._change("unsubscribe", self.channel(sub.topic))

    async def aclose(self) -> None:
        await super().aclose()
        if self._reader is not None:
            self._reader.cancel()
        if self._pubsub is not None:
            await self._pubsub.aclose()
        await self._redis.aclose()
        if self._sync_redis is not None:
            self._sync_redis.close()


_hub: Hub | None = None
_hub_lock = threading.Lock()


def get_hub() -> Hub:
    """The process's hub: Redis when ``SUMMIT_REDIS_URL`` is set, in-process otherwise."""
    global _hub
    with _hub_lock:
        if _hub is None:
            _hub = RedisHub() if settings.REDIS_URL else LocalHub()
        return _hub


def publish_after_commit(topic: str, payload, using: str | None = None) -> None:
    """Publish ``payload`` on ``topic`` once the current transaction commits (at once outside one).

    For sync code: encodes now, then publishes from the committing thread without an event loop (see the
    module's docstring)."""
    data = encode(payload)
    transaction.on_commit(lambda: get_hub().publish_sync(topic, data), using=using)
