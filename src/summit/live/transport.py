"""The live transport: a session's live messages to browsers and other clients, over WebSocket or SSE.

A plain ASGI application (no Django view: a view would hold a thread per connection) mounted by
``summit/asgi.py`` for every path under ``/live/``; everything else goes to Django. It reads the hub
(``core.live``) and asks ``live.access`` who may watch, in a thread for every database access.

Addresses
---------
``GET /live/sessions/<id>/socket`` (WebSocket) and ``GET /live/sessions/<id>/events`` (Server-Sent Events,
for clients that cannot open a WebSocket).

Authentication
--------------
The Django session cookie (a sign-in-link session counts only on its link's events, as on the pages:
``accounts.middleware.anonymous_on_event``), or, on the WebSocket only, an API token of the session's event
in ``Authorization: Bearer <token>`` (non-browser clients). A cookie-authenticated WebSocket must come from
the site itself (``Origin`` is the request's host or ``SUMMIT_SITE_URL``), and any request that carries a
foreign ``Origin`` (WebSocket or SSE) is refused. Without either, the visitor is anonymous, which is enough
for public sessions. An unknown session closes the socket with 4404 (SSE: 404), a visitor who may not watch (``can_watch``) or a
refused origin or token with 4403 (SSE: 403), before anything is subscribed or sent.

Topics: ``session:<id>`` for everyone who may watch, plus ``session:<id>:mod`` for its moderators
(``can_moderate``); nobody else ever receives the latter.

WebSocket protocol (JSON text frames)
-------------------------------------
client → ``{"type": "hello", "last_seq": {"session:5": 12, "session:5:mod": 3}}``: the first frame;
    ``last_seq`` (the last sequence number seen per topic) may be missing or null: start fresh. The
    server answers ``{"type": "welcome", "server_time": <epoch ms>, "topics": [...], "viewers": <n>,
    "last_seq": {topic: n}}`` (``last_seq``: where each topic starts), then sends what was missed and
    then live messages:
server → ``{"type": "message", "topic": "session:5", "seq": 13, "data": <the payload as published>}``
server → ``{"type": "reset", "topic": "session:5", "seq": 20}``: the missed messages are gone (too old, or
    a ``last_seq`` newer than the topic's, e.g. after Redis lost its data): refresh the state by REST;
    messages after ``seq`` follow.
server → ``{"type": "evicted", "topic": ..., "last_seq": n}``, then close 4408: the client fell too far
    behind (``SUMMIT_LIVE_QUEUE``); reconnect with a hello carrying the last sequence numbers seen.
client → ``{"type": "ping", "id": <any>}``; server → ``{"type": "pong", "id": <the same>, "server_time":
    <epoch ms>}`` (the player's clock synchronisation; allowed before the hello too).
server → ``{"type": "error", "code": "bad_message" | "replayed_hello", "detail": ...}`` for a frame that
    is not JSON, not an object, of an unknown type, a hello with a bad ``last_seq``, a binary frame, or a
    second hello (``replayed_hello``). The 10th such frame closes the socket with 1008; a frame larger than
    4 KB closes it with 1009; no hello within 30 s closes it with 1008. A ``last_seq`` newer than the
    topic's is no error: it happens when Redis lost its data, and the hub answers it with a ``reset``.

Every message frame is built once per hub message (:class:`FrameCache`, keyed by topic and sequence
number, with the payload's bytes inserted as they are) and the same string goes to every connection.

SSE
---
``text/event-stream``; every event is one ``data:`` line with the same JSON as on the WebSocket: first the
welcome (with ``server_time``), then messages, resets and the eviction. Each event's ``id:`` is the resume
position of every topic of the connection, dot-separated in the order of ``topics`` (``12`` or, for
moderators, ``12.3``); the browser sends it back as ``Last-Event-ID`` when it reconnects (``?last=12.3``
does the same; a first connection may give ``?session:5=12&session:5:mod=3``). An eviction ends the
response (the browser reconnects and resumes). A comment line keeps an idle stream open every
``SUMMIT_LIVE_SSE_KEEPALIVE_SECONDS`` (15).

Each connection subscribes with the hub's bounded queue and never makes another wait; it counts in the
session's viewer count, and a participant's connection is an attendance visit (``live/attendance.py``).
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import re
import time
from dataclasses import dataclass, field
from importlib import import_module
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections
from websockets.protocol import State
from websockets.server import ServerProtocol

from summit.core import live
from summit.core.aio import run_eagerly
from summit.core.live import Evicted, Message, Reset

log = logging.getLogger(__name__)

PATH = re.compile(r"^/live/sessions/(?P<session>[0-9]{1,18})/(?P<kind>socket|events)/?$")
MAX_FRAME = 4096
WS_OPEN = State.OPEN
MAX_BAD_FRAMES = 10
HELLO_SECONDS = 30

# Close codes of the WebSocket.
FORBIDDEN = 4403
NOT_FOUND = 4404
EVICTED = 4408
POLICY = 1008
TOO_BIG = 1009


def server_time() -> int:
    return int(time.time() * 1000)


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# --- one frame per hub message ----------------------------------------------------------------------------


class FrameCache:
    """The WebSocket frame (str) and the SSE ``data:`` line (bytes) of a hub message, built once and shared
    by every connection of the process. Keyed by (topic, seq); the payload is checked too, since a topic's
    sequence numbers start again when Redis loses its data."""

    def __init__(self, size: int = 4096):
        self.size = size
        self.built = 0  # how many frames were built (the tests count them)
        self._cache: collections.OrderedDict = collections.OrderedDict()

    def get(self, msg: Message) -> tuple[str, bytes]:
        hit = self._entry(msg)
        return hit[1], hit[2]

    def wire(self, msg: Message) -> bytes:
        """The whole WebSocket frame (a server's frames are not masked: the same bytes for everyone)."""
        return self._entry(msg)[3]

    def _entry(self, msg: Message) -> tuple:
        key = (msg.topic, msg.seq)
        hit = self._cache.get(key)
        if hit is not None and (hit[0] is msg.data or hit[0] == msg.data):
            return hit
        # The payload's JSON goes in as it was published: never decoded and encoded again.
        text = f'{{"type":"message","topic":{_dumps(msg.topic)},"seq":{msg.seq},"data":{msg.data.decode()}}}'
        payload = text.encode()
        sse = b"data: " + payload + b"\n"
        hit = self._cache[key] = (msg.data, text, sse, _text_frame(payload))
        if len(self._cache) > self.size:
            self._cache.popitem(last=False)
        self.built += 1
        return hit


def _text_frame(payload: bytes) -> bytes:
    """An unfragmented, unmasked, uncompressed text frame (RFC 6455 §5.2)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x81, n))
    elif n < 65536:
        head = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return head + payload


class DirectWriter:
    """Writes a message's frame straight to the socket of a uvicorn WebSocket, the way
    ``websockets.broadcast`` writes to its connections, instead of going through the ASGI ``send`` (which
    frames and encodes the text again for each connection). Only for a connection uvicorn serves with its
    ``websockets-sansio`` protocol, without compression; and only while the connection is open, not
    closing and its buffer has room: otherwise the ASGI ``send`` is used. ``of(send)`` gives None for any
    other server, so the transport stays a plain ASGI application."""

    __slots__ = ("protocol",)

    def __init__(self, protocol):
        self.protocol = protocol

    @classmethod
    def of(cls, send) -> DirectWriter | None:
        protocol = getattr(send, "__self__", None)
        if type(protocol).__name__ != "WebSocketsSansIOProtocol":
            return None
        try:
            conn = protocol.conn
            ok = (
                isinstance(conn, ServerProtocol)
                and not conn.extensions
                and isinstance(protocol.writable, asyncio.Event)
                and hasattr(protocol, "close_sent")
                and hasattr(protocol, "disconnected")
            )
        except AttributeError:
            return None
        return cls(protocol) if ok else None

    def write(self, frame: bytes) -> bool:
        """Write ``frame`` now if the connection can take it; False: use the ASGI ``send``."""
        protocol = self.protocol
        if (
            protocol.close_sent
            or protocol.disconnected
            or not protocol.writable.is_set()
            or protocol.conn.state is not WS_OPEN
            or protocol.transport.is_closing()
        ):
            return False
        protocol.transport.write(frame)
        return True


frames = FrameCache()


# --- who is connecting ------------------------------------------------------------------------------------


class Refused(Exception):
    def __init__(self, close_code: int, status: int, reason: str):
        super().__init__(reason)
        self.close_code = close_code
        self.status = status
        self.reason = reason


@dataclass
class Peer:
    """An admitted connection: its session, its topics and who it is."""

    session_id: int
    topics: list[str]
    participant: object | None
    moderator: bool
    key: str


def _headers(scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        out.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return out


def _cookie(headers: dict[str, str], name: str) -> str | None:
    from http.cookies import CookieError, SimpleCookie

    raw = headers.get("cookie")
    if not raw:
        return None
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        # One malformed cookie must not hide the others: read them one by one.
        for part in raw.split(";"):
            key, _sep, value = part.strip().partition("=")
            if key == name:
                return value
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def origin_allowed(origin: str | None, host: str | None) -> bool:
    """A browser's ``Origin`` is the site itself: the request's host, or the origin of SUMMIT_SITE_URL."""
    if not origin:
        return False
    parsed = urlparse(origin)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return False
    if host and parsed.netloc.lower() == host.lower():
        return True
    site = urlparse(settings.SITE_URL)
    return (parsed.scheme, parsed.netloc.lower()) == (site.scheme, site.netloc.lower())


def _refuse_foreign_origin(headers: dict[str, str]) -> None:
    """A request that names an origin other than the site's is refused (cookie or not)."""
    origin = headers.get("origin")
    if origin is not None and not origin_allowed(origin, headers.get("host")):
        raise Refused(FORBIDDEN, 403, "foreign origin")


def authenticate(
    session_id: int, *, headers: dict[str, str], websocket: bool
) -> Peer:  # sync: runs in a thread
    """Who is connecting to session ``session_id`` and which topics they get; raises :class:`Refused`."""
    from django.contrib.auth import get_user

    from summit.accounts.middleware import anonymous_on_event
    from summit.live import access
    from summit.program.models import Session
    from summit.registration import services as registration

    session = Session.objects.select_related("event", "forum").filter(pk=session_id).first()
    if session is None:
        raise Refused(NOT_FOUND, 404, "unknown session")
    user = participant = None
    authorization = headers.get("authorization")
    origin = headers.get("origin")
    if authorization is not None:
        scheme, _sep, raw = authorization.partition(" ")
        if not websocket or scheme.lower() != "bearer" or not raw.strip():
            raise Refused(FORBIDDEN, 403, "bad authorization")
        token = registration.authenticate_token(raw.strip())
        if token is None or token.event.pk != session.event_id:
            raise Refused(FORBIDDEN, 403, "token refused")
        user, participant = token.user, token.participant
    else:
        _refuse_foreign_origin(headers)
        key = _cookie(headers, settings.SESSION_COOKIE_NAME)
        if key:
            store = import_module(settings.SESSION_ENGINE).SessionStore(key)
            request = SimpleNamespace(session=store, META={})
            found = get_user(request)
            if found.is_authenticated:
                if websocket and not origin_allowed(origin, headers.get("host")):
                    raise Refused(FORBIDDEN, 403, "cookie without the site's origin")
                if not anonymous_on_event(request, session.event.slug):
                    user = found
    viewer = access.viewer(session, user, participant)
    if not viewer.can_watch:
        raise Refused(FORBIDDEN, 403, "may not watch")
    topics = [f"session:{session.pk}"]
    if viewer.can_moderate:
        topics.append(f"session:{session.pk}:mod")
    return Peer(
        session_id=session.pk,
        topics=topics,
        participant=viewer.participant,
        moderator=viewer.can_moderate,
        key=viewer.key,
    )


# Anonymous viewers (no cookie, no token) of a session: the answer depends on the session alone, so it is
# kept for a moment and a crowd joining a public keynote costs one query, not one per connection. The
# answer being looked up is shared too: the connections arriving meanwhile wait for it, not ask again.
ANONYMOUS_SECONDS = 2.0
_now = time.monotonic  # the clock of those answers (a test moves it)
_anonymous: dict[int, tuple[float, asyncio.Future]] = {}  # session → (until, the answer: Peer or Refused)


def anonymous_request(headers: dict[str, str]) -> bool:
    return "authorization" not in headers and not _cookie(headers, settings.SESSION_COOKIE_NAME)


async def _anonymous_answer(session_id: int, headers: dict[str, str], websocket: bool) -> Peer | Refused:
    try:
        return await in_thread(authenticate, session_id, headers=headers, websocket=websocket)
    except Refused as refused:
        return refused


async def admit(session_id: int, *, headers: dict[str, str], websocket: bool) -> Peer:
    """:func:`authenticate` in a thread, or, for an anonymous viewer, its answer for the session from the
    last ``ANONYMOUS_SECONDS`` (the origin is still checked for each connection)."""
    if not anonymous_request(headers):
        return await in_thread(authenticate, session_id, headers=headers, websocket=websocket)
    _refuse_foreign_origin(headers)
    now = _now()
    loop = asyncio.get_running_loop()
    found = _anonymous.get(session_id)
    if found is None or found[0] < now or found[1].get_loop() is not loop:
        if len(_anonymous) > 10_000:
            _anonymous.clear()
        task = loop.create_task(_anonymous_answer(session_id, headers, websocket))
        found = _anonymous[session_id] = (now + ANONYMOUS_SECONDS, task)
    try:
        answer = await asyncio.shield(found[1])
    except Exception:
        if _anonymous.get(session_id) is found:
            del _anonymous[session_id]  # a database hiccup is not an answer to keep
        raise
    if isinstance(answer, Refused):
        raise Refused(answer.close_code, answer.status, answer.reason)
    return Peer(
        session_id=answer.session_id,
        topics=list(answer.topics),
        participant=None,
        moderator=False,
        key=answer.key,
    )


async def in_thread(fn, *args, **kwargs):
    """Run database work in a worker thread with a connection of its own, closed afterwards."""

    def call():
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            for conn in connections.all(initialized_only=True):
                conn.close()

    return await sync_to_async(call, thread_sensitive=False)()


# --- the process's connections: attendance and viewer counts ----------------------------------------------


class Registry:
    """This process's open connections: their attendance visits (refreshed every heartbeat) and the viewer
    counts. Its heartbeat runs on the serving loop (started at startup, or by the first connection)."""

    def __init__(self):
        self.visits: set[int] = set()
        self._heartbeat: asyncio.Task | None = None

    def _visit(self, peer: Peer) -> int:
        from summit.live import attendance

        return attendance.join(session_id=peer.session_id, participant=peer.participant).pk

    def _leave(self, visit: int) -> None:
        from summit.live import attendance

        attendance.leave(attendance_id=visit)

    async def join(self, peer: Peer) -> tuple[int | None, int]:
        """Count the connection in (and open a participant's visit); returns the visit and the viewers.
        The count is in memory (``attendance.ViewerCounter``): only a participant's visit, and with Redis
        the process's first viewer of a session, take a thread."""
        from summit.live import attendance

        self.ensure_heartbeat()
        visit = None
        if peer.participant is not None:
            visit = await in_thread(self._visit, peer)
            self.visits.add(visit)
        counter = attendance.counter()
        if counter.change(peer.session_id, +1) == 1 and counter.shared:
            # This process's first viewer of the session: write it and read the other processes' now.
            viewers = await in_thread(counter.count, peer.session_id)
        else:
            viewers = counter.estimate(peer.session_id)
        await counter.changed(peer.session_id)
        return visit, viewers

    async def leave(self, peer: Peer, visit: int | None) -> None:
        from summit.live import attendance

        self.visits.discard(visit)
        counter = attendance.counter()
        counter.change(peer.session_id, -1)
        await counter.changed(peer.session_id)
        if visit is not None:
            await in_thread(self._leave, visit)

    def _beat(self) -> None:
        from summit.live import attendance

        attendance.heartbeat(list(self.visits))
        attendance.close_stale()
        attendance.counter().refresh()

    async def _run_heartbeat(self) -> None:
        while True:
            await asyncio.sleep(settings.LIVE_HEARTBEAT_SECONDS)
            try:
                await in_thread(self._beat)
            except Exception:  # a database or Redis hiccup: the next beat tries again
                log.exception("live heartbeat failed")

    def ensure_heartbeat(self) -> None:
        loop = asyncio.get_running_loop()
        task = self._heartbeat
        if task is None or task.done() or task.get_loop() is not loop:
            self._heartbeat = loop.create_task(self._run_heartbeat())

    async def startup(self) -> None:
        """A serving process starts: close the visits of dead processes, start the heartbeat."""
        from summit.live import attendance

        try:
            closed = await in_thread(attendance.close_stale)
            if closed:
                log.info("closed %d attendance visits of stopped processes", closed)
        except Exception:
            log.exception("closing stale attendance visits failed")
        self.ensure_heartbeat()

    async def shutdown(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None


registry = Registry()


# --- WebSocket --------------------------------------------------------------------------------------------


class Closed(Exception):
    pass


@dataclass
class SocketConnection:
    send_raw: object
    receive: object
    peer: Peer
    hub: live.Hub
    subs: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    bad: int = 0
    hello: bool = False
    closed: bool = False
    busy: bool = False  # delivering, or a send of a delivery is waiting
    direct: DirectWriter | None = None  # see DirectWriter
    done: asyncio.Event = field(default_factory=asyncio.Event)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send_text(self, text: str) -> None:
        if self.closed:
            raise Closed()
        async with self.lock:
            if self.closed:
                raise Closed()
            try:
                await self.send_raw({"type": "websocket.send", "text": text})
            except Exception as exc:  # the client is gone
                self.closed = True
                self.done.set()
                raise Closed() from exc

    async def send_json(self, obj) -> None:
        await self.send_text(_dumps(obj))

    async def close(self, code: int) -> None:
        async with self.lock:
            if not self.closed:
                self.closed = True
                try:
                    await self.send_raw({"type": "websocket.close", "code": code})
                except Exception:
                    pass
        self.done.set()

    async def error(self, code: str, detail: str) -> None:
        self.bad += 1
        await self.send_json({"type": "error", "code": code, "detail": detail})
        if self.bad >= MAX_BAD_FRAMES:
            await self.close(POLICY)

    # client frames

    async def on_frame(self, event: dict) -> None:
        text = event.get("text")
        if text is None:
            data = event.get("bytes") or b""
            if len(data) > MAX_FRAME:
                await self.close(TOO_BIG)
                return
            await self.error("bad_message", "Frames are JSON text, not binary.")
            return
        if len(text) > MAX_FRAME or len(text.encode()) > MAX_FRAME:
            await self.close(TOO_BIG)
            return
        try:
            msg = json.loads(text)
        except ValueError:
            await self.error("bad_message", "The frame is not JSON.")
            return
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            await self.error("bad_message", "A frame is a JSON object with a type.")
            return
        kind = msg["type"]
        if kind == "ping":
            ping_id = msg.get("id")
            if not isinstance(ping_id, str | int | float | type(None)) or isinstance(ping_id, bool):
                await self.error("bad_message", "A ping's id is a string or a number.")
                return
            await self.send_json({"type": "pong", "id": ping_id, "server_time": server_time()})
        elif kind == "hello":
            if self.hello:
                await self.error("replayed_hello", "This connection already said hello.")
                return
            last_seq = msg.get("last_seq")
            if last_seq is not None and (
                not isinstance(last_seq, dict)
                or not all(
                    isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
                    for k, v in last_seq.items()
                )
            ):
                await self.error("bad_message", "last_seq maps topics to sequence numbers (0 or more).")
                return
            self.hello = True
            await self.start(last_seq or {})
        else:
            await self.error("bad_message", f"Unknown type {kind[:40]!r}.")

    async def start(self, last_seq: dict) -> None:
        """Subscribe (with the hub's bounded queue), welcome, then deliver every topic to the socket."""
        for topic in self.peer.topics:
            self.subs.append(await self.hub.subscribe(topic, last_seq=last_seq.get(topic)))
        self.visit, viewers = await registry.join(self.peer)
        self.joined = True
        await self.send_json(
            {
                "type": "welcome",
                "server_time": server_time(),
                "topics": self.peer.topics,
                "viewers": viewers,
                "last_seq": {sub.topic: sub.last_seq for sub in self.subs},
            }
        )
        for sub in self.subs:
            sub.listen(self.deliver)
        self.deliver()

    def deliver(self) -> None:
        """Send what the subscriptions have ready, at once (called by the hub's fan-out).

        Each send runs eagerly (``core.aio``): a socket with room in its buffer is written inside the fan-out
        itself, no task per connection. A send that has to wait goes on in a task, and the rest waits for it
        (``busy``), so the order holds; a call meanwhile finds ``busy`` and leaves the items to that loop."""
        if self.busy or self.closed:
            return
        self.busy = True
        waiting = False
        try:
            while not self.closed:
                item, ended = None, False
                for sub in self.subs:
                    try:
                        item = sub.poll()
                    except StopAsyncIteration:  # the hub closed it (shutting down): end the connection
                        ended = True
                        continue
                    if item is not None:
                        break
                if item is None:
                    if ended:
                        self.closed = True
                        self.done.set()
                    return
                direct = self.direct
                if (
                    direct is not None
                    and type(item) is Message
                    and not self.lock.locked()
                    and direct.write(frames.wire(item))
                ):
                    continue
                try:
                    task = run_eagerly(self.send_item(item))
                except Closed:
                    return
                if task is not None:
                    waiting = True
                    task.add_done_callback(self._sent)
                    self.tasks.append(task)
                    return
        except Exception:  # never into the fan-out, which goes on to the other connections
            log.exception("live delivery failed")
            self.closed = True
            self.done.set()
        finally:
            if not waiting:
                self.busy = False

    def _sent(self, task: asyncio.Task) -> None:
        self.tasks.remove(task)
        self.busy = False
        if task.cancelled():
            return  # the connection is ending
        exc = task.exception()
        if exc is not None:
            if not isinstance(exc, Closed):  # Closed: the client is gone, nothing to tell
                log.error("live delivery failed", exc_info=exc)
                self.closed = True
                self.done.set()
            return
        self.deliver()

    async def send_item(self, item) -> None:
        if isinstance(item, Message):
            await self.send_text(frames.get(item)[0])
        elif isinstance(item, Reset):
            await self.send_json({"type": "reset", "topic": item.topic, "seq": item.seq})
        elif isinstance(item, Evicted):
            await self.send_json({"type": "evicted", "topic": item.topic, "last_seq": item.last_seq})
            await self.close(EVICTED)

    def no_hello(self) -> None:
        if not self.hello and not self.closed:
            self.tasks.append(asyncio.get_running_loop().create_task(self.close(POLICY)))

    async def read(self) -> None:
        # One timer for the hello, not a timeout around each receive (a task each).
        timer = asyncio.get_running_loop().call_later(HELLO_SECONDS, self.no_hello)
        try:
            while not self.closed:
                event = await self.receive()
                if event["type"] == "websocket.disconnect":
                    self.closed = True
                    return
                if event["type"] == "websocket.receive":
                    await self.on_frame(event)
        except Closed:
            pass
        finally:
            timer.cancel()
            self.done.set()

    async def run(self) -> None:
        self.visit = None
        self.joined = False
        reader = asyncio.get_running_loop().create_task(self.read())
        try:
            await self.done.wait()
        finally:
            self.closed = True
            for task in [reader, *self.tasks]:
                task.cancel()
            await asyncio.gather(reader, *self.tasks, return_exceptions=True)
            for sub in self.subs:
                await sub.close()
            if self.joined:
                await registry.leave(self.peer, self.visit)


async def websocket_endpoint(scope, receive, send, session_id: int) -> None:
    event = await receive()
    if event["type"] != "websocket.connect":
        return
    try:
        peer = await admit(session_id, headers=_headers(scope), websocket=True)
    except Refused as refused:
        # Accepted only to give the reason as a close code: nothing was subscribed, nothing is sent.
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": refused.close_code})
        return
    await send({"type": "websocket.accept"})
    await SocketConnection(send, receive, peer, live.get_hub(), direct=DirectWriter.of(send)).run()


# --- Server-Sent Events -----------------------------------------------------------------------------------


def parse_last_event_id(value: str | None, topics: list[str]) -> dict[str, int] | None:
    """``"12.3"`` → {topics[0]: 12, topics[1]: 3}; None when absent; ValueError when malformed."""
    if value is None or value.strip() == "":
        return None
    parts = value.strip().split(".")
    if len(parts) > len(topics) or not all(p.isdigit() and len(p) <= 18 for p in parts):
        raise ValueError(value)
    return {topic: int(p) for topic, p in zip(topics, parts, strict=False)}


async def _plain(send, status: int, text: str, extra: list | None = None) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"cache-control", b"no-store"),
                *(extra or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})


class SseConnection:
    def __init__(self, send, receive, peer: Peer, hub: live.Hub):
        self.send_raw = send
        self.receive = receive
        self.peer = peer
        self.hub = hub
        self.subs: list = []
        self.position: dict[str, int] = {}
        self.lock = asyncio.Lock()
        self.done = asyncio.Event()
        self.closed = False
        self.last_write = time.monotonic()

    def event_id(self) -> bytes:
        return ".".join(str(self.position.get(t, 0)) for t in self.peer.topics).encode()

    async def write(self, chunk: bytes) -> None:
        async with self.lock:
            if self.closed:
                raise Closed()
            try:
                await self.send_raw({"type": "http.response.body", "body": chunk, "more_body": True})
            except Exception as exc:
                self.closed = True
                self.done.set()
                raise Closed() from exc
            self.last_write = time.monotonic()

    async def pump(self, sub) -> None:
        try:
            async for item in sub:
                if isinstance(item, Message):
                    self.position[item.topic] = item.seq
                    data = frames.get(item)[1]
                elif isinstance(item, Reset):
                    self.position[item.topic] = item.seq
                    data = (
                        b"data: " + _dumps({"type": "reset", "topic": item.topic, "seq": item.seq}).encode()
                    )
                    data += b"\n"
                else:  # Evicted: end the response; the browser reconnects with the last id it got
                    body = {"type": "evicted", "topic": item.topic, "last_seq": item.last_seq}
                    await self.write(b"data: " + _dumps(body).encode() + b"\n\n")
                    return
                await self.write(b"id: " + self.event_id() + b"\n" + data + b"\n")
        except Closed:
            pass
        finally:
            self.done.set()

    async def keepalive(self) -> None:
        every = settings.LIVE_SSE_KEEPALIVE_SECONDS
        try:
            while True:
                await asyncio.sleep(max(0.05, self.last_write + every - time.monotonic()))
                if time.monotonic() - self.last_write >= every:
                    await self.write(b": keepalive\n\n")
        except Closed:
            self.done.set()

    async def watch_disconnect(self) -> None:
        while True:
            event = await self.receive()
            if event["type"] == "http.disconnect":
                self.closed = True
                self.done.set()
                return

    async def run(self, last_seq: dict[str, int]) -> None:
        joined = False
        visit = None
        tasks = []
        loop = asyncio.get_running_loop()
        try:
            for topic in self.peer.topics:
                sub = await self.hub.subscribe(topic, last_seq=last_seq.get(topic))
                self.subs.append(sub)
                self.position[topic] = sub.last_seq
            visit, viewers = await registry.join(self.peer)
            joined = True
            await self.send_raw(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream; charset=utf-8"),
                        (b"cache-control", b"no-store"),
                        (b"x-accel-buffering", b"no"),
                    ],
                }
            )
            welcome = {
                "type": "welcome",
                "server_time": server_time(),
                "topics": self.peer.topics,
                "viewers": viewers,
                "last_seq": dict(self.position),
            }
            # An unnamed event, like the others, so that the page's one "message" listener sees it.
            await self.write(
                b"retry: 2000\nid: " + self.event_id() + b"\ndata: " + _dumps(welcome).encode() + b"\n\n"
            )
            tasks = [loop.create_task(self.pump(sub)) for sub in self.subs]
            tasks += [loop.create_task(self.keepalive()), loop.create_task(self.watch_disconnect())]
            await self.done.wait()
        except Closed:
            pass
        finally:
            self.closed = True
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for sub in self.subs:
                await sub.close()
            if joined:
                await registry.leave(self.peer, visit)
                try:
                    await self.send_raw({"type": "http.response.body", "body": b"", "more_body": False})
                except Exception:
                    pass


async def events_endpoint(scope, receive, send, session_id: int) -> None:
    if scope["method"] not in ("GET",):
        await _plain(send, 405, "GET only.\n", [(b"allow", b"GET")])
        return
    headers = _headers(scope)
    try:
        peer = await admit(session_id, headers=headers, websocket=False)
    except Refused as refused:
        await _plain(send, refused.status, "Not found.\n" if refused.status == 404 else "Forbidden.\n")
        return
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    raw = headers.get("last-event-id") or (query.get("last") or [None])[0]
    try:
        last_seq = parse_last_event_id(raw, peer.topics)
        if last_seq is None:  # the page's first connection: ?session:5=12&session:5:mod=3
            last_seq = {t: int(query[t][0]) for t in peer.topics if t in query}
            if not all(0 <= v < 10**18 for v in last_seq.values()):
                raise ValueError(last_seq)
    except ValueError:
        await _plain(send, 400, "Last-Event-ID is the id of an event of this stream.\n")
        return
    await SseConnection(send, receive, peer, live.get_hub()).run(last_seq)


# --- the ASGI application ---------------------------------------------------------------------------------


async def live_app(scope, receive, send) -> None:
    """The transport alone: ``/live/…`` addresses over WebSocket and HTTP."""
    match = PATH.match(scope.get("path", ""))
    if scope["type"] == "websocket":
        if match is None or match["kind"] != "socket":
            await receive()
            await send({"type": "websocket.close", "code": POLICY})  # refuses the handshake (403)
            return
        await websocket_endpoint(scope, receive, send, int(match["session"]))
    elif scope["type"] == "http":
        if match is None or match["kind"] != "events":
            await _plain(send, 404, "Not found.\n")
            return
        await events_endpoint(scope, receive, send, int(match["session"]))


def application(django_app):
    """Everything under ``/live/`` (and every WebSocket) to the transport, the rest to Django; the
    lifespan starts and stops the transport's heartbeat (``summit/asgi.py``)."""

    async def app(scope, receive, send):
        kind = scope["type"]
        if kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await registry.startup()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await registry.shutdown()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif kind == "websocket" or scope.get("path", "").startswith("/live/"):
            await live_app(scope, receive, send)
        else:
            await django_app(scope, receive, send)

    return app
