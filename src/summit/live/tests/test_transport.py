"""The live transport (live/transport.py) served by a real uvicorn server on a free port, with the whole
ASGI application of summit/asgi.py, driven by the ``websockets`` client and raw HTTP for SSE: the protocol,
resume, resets, eviction, bad frames, who may connect, the moderators' topic, attendance and viewer counts.

Each test runs its server and its clients on one event loop in a thread of its own (``run``, as in
core/tests/test_live.py: in the whole suite Playwright keeps a loop running in the main thread), with a
fresh in-process hub."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time

import pytest
import uvicorn
from django.conf import settings
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from summit.accounts import services as accounts
from summit.core import live
from summit.core.signin_views import LINK_EVENTS
from summit.core.testing import run_async as run
from summit.live import attendance, transport
from summit.live.models import Attendance, Stage
from summit.program.testing import make_session
from summit.registration.models import Participant
from summit.registration.testing import make_participant

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "http://testserver"  # settings.SITE_URL in the tests (conftest.py)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def serving():
    """summit.asgi.application on a uvicorn server of this loop; yields its ``host:port``."""
    from summit.asgi import application

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    )
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        assert not task.done(), task.exception()
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@pytest.fixture
def hub(monkeypatch):
    """A fresh in-process hub for the test (the process's hub is what the transport uses)."""
    fresh = live.LocalHub()
    monkeypatch.setattr(live, "_hub", fresh)
    return fresh


@pytest.fixture
def stage(event, categories):
    session = make_session(event)
    return Stage.objects.create(session=session, access=Stage.APPROVED)


@pytest.fixture
def session(stage):
    return stage.session


def approved(event, categories, **extra):
    return make_participant(event, categories["company"], status=Participant.APPROVED, **extra)


def cookie_of(user, link_events=None) -> str:
    client = Client()
    client.force_login(user)
    if link_events is not None:
        store = client.session
        store[LINK_EVENTS] = link_events
        store.save()
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def socket_url(address, session_id) -> str:
    return f"ws://{address}/live/sessions/{session_id}/socket"


def opening(address, session_id, *, cookie=None, token=None, origin=ORIGIN, **options):
    headers = {}
    if cookie:
        headers["Cookie"] = cookie
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return connect(
        socket_url(address, session_id),
        additional_headers=headers,
        origin=origin,
        open_timeout=5,
        close_timeout=2,
        max_size=2**20,
        **options,
    )


async def recv(ws, timeout=5):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def hello(ws, last_seq=None):
    await ws.send(json.dumps({"type": "hello", "last_seq": last_seq}))
    welcome = await recv(ws)
    assert welcome["type"] == "welcome", welcome
    return welcome


async def recv_messages(ws, n, timeout=5, skip_viewers=True):
    """The next ``n`` frames, without viewer-count messages (they come with every join and leave)."""
    out = []
    while len(out) < n:
        frame = await recv(ws, timeout)
        if skip_viewers and frame["type"] == "message" and frame["data"].get("kind") == "viewers":
            continue
        out.append(frame)
    return out


async def closed_with(ws, timeout=5) -> int:
    """Read until the server closes; the close code."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None


async def nothing_more(ws, wait=0.3, skip_viewers=True):
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = json.loads(await asyncio.wait_for(ws.recv(), left))
        except TimeoutError:
            return
        if skip_viewers and frame.get("data", {}).get("kind") == "viewers":
            continue
        raise AssertionError(f"unexpected {frame!r}")


# --- protocol ---------------------------------------------------------------------------------------------


def test_welcome_messages_and_ping(hub, event, categories, session):
    person = approved(event, categories)
    cookie = cookie_of(person.user)

    async def main():
        async with serving() as address, opening(address, session.pk, cookie=cookie) as ws:
            before = int(time.time() * 1000)
            welcome = await hello(ws)
            assert welcome["topics"] == [f"session:{session.pk}"]
            assert before - 1000 <= welcome["server_time"] <= int(time.time() * 1000) + 1000
            assert welcome["viewers"] == 1
            await hub.publish(f"session:{session.pk}", {"kind": "question", "text": '你好 "quoted"'})
            await hub.publish(f"session:{session.pk}:mod", {"kind": "secret"})  # not a moderator
            await hub.publish(f"session:{session.pk + 1}", {"kind": "elsewhere"})
            (frame,) = await recv_messages(ws, 1)
            assert frame == {
                "type": "message",
                "topic": f"session:{session.pk}",
                "seq": frame["seq"],
                "data": {"kind": "question", "text": '你好 "quoted"'},
            }
            await ws.send(json.dumps({"type": "ping", "id": "c1"}))
            pong = await recv_messages(ws, 1)
            assert pong[0]["type"] == "pong" and pong[0]["id"] == "c1"
            assert abs(pong[0]["server_time"] - time.time() * 1000) < 2000
            await nothing_more(ws)

    run(main())


def test_resume_without_gaps_or_duplicates(hub, event, categories, session):
    cookie = cookie_of(approved(event, categories).user)
    topic = f"session:{session.pk}"

    async def main():
        async with serving() as address:
            async with opening(address, session.pk, cookie=cookie) as ws:
                await hello(ws)
                for i in range(3):
                    await hub.publish(topic, {"n": i})
                first = []
                while not first or first[-1]["data"].get("n") != 2:
                    first.append(await recv(ws))
            # Whatever came last (a viewer count included) is where the client resumes.
            last = first[-1]["seq"]
            published_while_away = [await hub.publish(topic, {"n": i}) for i in range(3, 6)]
            async with opening(address, session.pk, cookie=cookie) as ws:
                welcome = await hello(ws, {topic: last})
                assert welcome["last_seq"] == {topic: last}
                await hub.publish(topic, {"n": 6})
                frames = await recv_messages(ws, 4)
            return first, published_while_away, frames

    first, away, frames = run(main())
    data = [f["data"]["n"] for f in frames]
    assert [f["data"]["n"] for f in first if "n" in f["data"]] == [0, 1, 2]
    assert data == [3, 4, 5, 6]  # what was missed, then live: no gap, no duplicate
    assert [f["seq"] for f in frames][:3] == away
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(set(seqs))


def test_future_last_seq_gets_a_reset(hub, event, categories, session):
    cookie = cookie_of(approved(event, categories).user)
    topic = f"session:{session.pk}"

    async def main():
        async with serving() as address, opening(address, session.pk, cookie=cookie) as ws:
            current = await hub.publish(topic, {"n": 1})
            await hello(ws, {topic: current + 50})
            reset = await recv(ws)
            assert reset == {"type": "reset", "topic": topic, "seq": current}
            await hub.publish(topic, {"n": 2})
            (frame,) = await recv_messages(ws, 1)
            assert frame["data"] == {"n": 2}

    run(main())


def test_a_slow_client_is_evicted_and_resumes(monkeypatch, event, categories, session):
    fresh = live.LocalHub(max_queue=4)
    monkeypatch.setattr(live, "_hub", fresh)
    cookie = cookie_of(approved(event, categories).user)
    topic = f"session:{session.pk}"
    original = transport.SocketConnection.send_text
    held = {}

    async def stalled_send(self, text):
        # The socket's buffer is full: the first message's send waits until the test lets it go.
        if '"n":' in text and "gate" in held:
            await held["gate"].wait()
        await original(self, text)

    monkeypatch.setattr(transport.SocketConnection, "send_text", stalled_send)

    async def main():
        async with serving() as address:
            async with opening(address, session.pk, cookie=cookie) as ws:
                welcome = await hello(ws)
                await asyncio.sleep(1.2)  # let the viewer count of this join go out first
                held["gate"] = asyncio.Event()
                # Ten messages fanned out while the connection's first send waits: its queue of 4 overflows.
                for i in range(10):
                    await fresh.publish(topic, {"n": i})
                await asyncio.sleep(0.1)
                assert fresh.subscribers(topic) == 0  # dropped at once, while its send still waits
                held["gate"].set()
                frames = []
                try:
                    while True:
                        frames.append(await recv(ws))
                except ConnectionClosed as exc:
                    code = exc.rcvd.code
            evicted = frames[-1]
            assert evicted["type"] == "evicted" and code == transport.EVICTED
            async with opening(address, session.pk, cookie=cookie) as ws:
                await hello(ws, {topic: evicted["last_seq"]})
                resumed = await recv_messages(ws, 10 - (evicted["last_seq"] - welcome["last_seq"][topic] - 1))
            return welcome, frames, resumed

    welcome, frames, resumed = run(main())
    got = [f["data"]["n"] for f in frames if f["type"] == "message" and "n" in f["data"]]
    assert got == [0]  # what was on its way; the rest overflowed
    assert got + [f["data"]["n"] for f in resumed] == list(range(10))  # the history has the rest


def test_a_send_that_waits_keeps_the_order_and_the_others_go_on(monkeypatch, hub, event, categories, session):
    """Messages are written inside the fan-out; one connection's send that has to wait (a full socket
    buffer) holds back only that connection's next messages, which follow in order once it is done."""
    cookie = cookie_of(approved(event, categories).user)
    topic = f"session:{session.pk}"
    original = transport.SocketConnection.send_text
    held = {}

    async def stalled_send(self, text):
        if '"n":0' in text and self.peer.participant is None and "gate" in held:
            await held["gate"].wait()  # the anonymous viewer's socket is full for a moment
        await original(self, text)

    monkeypatch.setattr(transport.SocketConnection, "send_text", stalled_send)
    Stage.objects.filter(session=session).update(access=Stage.PUBLIC)

    async def main():
        async with serving() as address:
            async with (
                opening(address, session.pk, cookie=cookie) as fast,
                opening(address, session.pk, origin=None) as slow,
            ):
                await hello(fast)
                await hello(slow)
                await asyncio.sleep(1.2)  # the viewer count of the joins goes out first
                held["gate"] = asyncio.Event()
                for i in range(5):
                    await hub.publish(topic, {"n": i})
                quick = [m["data"]["n"] for m in await recv_messages(fast, 5)]
                held["gate"].set()
                late = [m["data"]["n"] for m in await recv_messages(slow, 5)]
                return quick, late

    quick, late = run(main())
    assert quick == late == [0, 1, 2, 3, 4]


def test_uncompressed_connections_get_the_frame_written_directly(monkeypatch, hub, session):
    """A connection without compression gets each message's frame, built once, written straight to its
    socket; a compressed one (browsers ask for it) goes through the ASGI send. Both get the same
    messages, in order."""
    Stage.objects.filter(session=session).update(access=Stage.PUBLIC)
    topic = f"session:{session.pk}"
    written = []
    real = transport.DirectWriter.write

    def counted(self, frame):
        done = real(self, frame)
        written.append(done)
        return done

    monkeypatch.setattr(transport.DirectWriter, "write", counted)

    async def main():
        async with serving() as address:
            async with (
                opening(address, session.pk, origin=None, compression=None) as plain,
                opening(address, session.pk, origin=None) as deflated,
            ):
                await hello(plain)
                await hello(deflated)
                await asyncio.sleep(1.2)  # the viewer count of the joins goes out first
                written.clear()
                for i in range(3):
                    await hub.publish(topic, {"n": i, "text": "中文 ✓"})
                got = [[m["data"] for m in await recv_messages(ws, 3)] for ws in (plain, deflated)]
                return got

    plain, deflated = run(main())
    assert plain == deflated == [{"n": i, "text": "中文 ✓"} for i in range(3)]
    assert written == [True, True, True]  # the plain connection's three; none for the compressed one


def test_other_connections_do_not_wait_for_a_slow_one(monkeypatch, event, categories, session):
    """A client that reads nothing: the others keep receiving, and it is evicted."""
    fresh = live.LocalHub(max_queue=8)
    monkeypatch.setattr(live, "_hub", fresh)
    cookie = cookie_of(approved(event, categories).user)
    topic = f"session:{session.pk}"
    payload = {"blob": "x" * 16000}

    async def main():
        async with serving() as address:
            async with (
                # Uncompressed and with small buffers, so that its socket fills up soon.
                opening(address, session.pk, cookie=cookie, compression=None, max_queue=1) as slow,
                opening(address, session.pk, cookie=cookie) as fast,
            ):
                await hello(slow)
                await hello(fast)
                received = 0
                # Until the slow one's socket buffers are full and its queue overflows (then it is dropped).
                while fresh.subscribers(topic) == 2 and received < 5000:
                    await fresh.publish(topic, payload)
                    while True:
                        frame = await recv(fast)
                        if frame["type"] == "message" and "blob" in frame["data"]:
                            received += 1
                            break
                for _ in range(20):
                    await fresh.publish(topic, payload)
                    assert "blob" in (await recv_messages(fast, 1))[0]["data"]
                return received, await closed_with(slow)

    received, code = run(main())
    assert 0 < received < 5000
    assert code == transport.EVICTED


def test_bad_frames(hub, event, categories, session):
    cookie = cookie_of(approved(event, categories).user)

    async def main():
        async with serving() as address:
            async with opening(address, session.pk, cookie=cookie) as ws:
                await ws.send("not json")
                assert (await recv(ws))["code"] == "bad_message"
                await ws.send(json.dumps({"type": "subscribe", "topic": "session:999"}))
                assert (await recv(ws))["code"] == "bad_message"
                await ws.send(json.dumps({"type": "hello", "last_seq": {"session:1": -3}}))
                assert (await recv(ws))["code"] == "bad_message"
                await ws.send(b"\x00binary")
                assert (await recv(ws))["code"] == "bad_message"
                await hello(ws)
                await ws.send(json.dumps({"type": "hello"}))
                assert (await recv_messages(ws, 1))[0]["code"] == "replayed_hello"
                for _ in range(4):
                    await ws.send("[]")
                    assert (await recv_messages(ws, 1))[0]["code"] == "bad_message"
                await ws.send("{")  # the 10th bad frame
                frames = []
                try:
                    while True:
                        frames.append(await recv(ws))
                except ConnectionClosed as exc:
                    tenth_code = exc.rcvd.code
                assert [f["code"] for f in frames if f["type"] == "error"] == ["bad_message"]
            async with opening(address, session.pk, cookie=cookie) as ws:
                await hello(ws)
                await ws.send(json.dumps({"type": "ping", "id": "x" * 5000}))
                big_code = await closed_with(ws)
            return tenth_code, big_code

    tenth_code, big_code = run(main())
    assert tenth_code == transport.POLICY
    assert big_code == transport.TOO_BIG


def test_no_hello_in_time_closes(hub, monkeypatch, event, categories, session):
    monkeypatch.setattr(transport, "HELLO_SECONDS", 0.3)

    async def main():
        async with serving() as address, opening(address, session.pk, cookie=None) as ws:
            return await closed_with(ws)

    Stage.objects.filter(session=session).update(access=Stage.PUBLIC)
    assert run(main()) == transport.POLICY


def test_frames_are_built_once_for_every_connection(hub, event, categories, session):
    cookie = cookie_of(approved(event, categories).user)
    topic = f"session:{session.pk}"

    async def main():
        async with serving() as address:
            clients = [opening(address, session.pk, cookie=cookie) for _ in range(3)]
            sockets = [await c.__aenter__() for c in clients]
            try:
                for ws in sockets:
                    await hello(ws)
                await asyncio.sleep(1.2)
                for ws in sockets:  # drain the viewer counts
                    with contextlib.suppress(TimeoutError):
                        while True:
                            await asyncio.wait_for(ws.recv(), 0.2)
                before = transport.frames.built
                await hub.publish(topic, {"once": True})
                texts = [await asyncio.wait_for(ws.recv(), 5) for ws in sockets]
                return before, transport.frames.built, texts
            finally:
                for c in clients:
                    await c.__aexit__(None, None, None)

    before, after, texts = run(main())
    assert after - before == 1
    assert len(set(texts)) == 1 and json.loads(texts[0])["data"] == {"once": True}


# --- who may connect --------------------------------------------------------------------------------------


async def _outcome(address, session_id, **kwargs):
    """``("open", topics)`` or ``("closed", code)``."""
    async with opening(address, session_id, **kwargs) as ws:
        try:
            await ws.send(json.dumps({"type": "hello"}))
            first = await recv(ws)
        except ConnectionClosed as exc:
            return ("closed", exc.rcvd.code)
        return ("open", first["topics"])


def test_who_may_connect(hub, event, categories, other_event, session):
    from summit.registration.testing import make_standard_categories  # noqa: F401  (other_event has them)

    topic = f"session:{session.pk}"
    person = approved(event, categories)
    submitted = make_participant(event, categories["company"])  # not approved yet
    other_categories = {c.code: c for c in other_event.categories.all()}
    outsider = make_participant(other_event, other_categories["company"], status=Participant.APPROVED)
    # The same person signed in by a link of the other event only: anonymous here.
    linked_elsewhere = cookie_of(person.user, link_events=[other_event.slug])
    linked_here = cookie_of(person.user, link_events=[event.slug])
    _token, raw = accounts.create_api_token(event=event, user=person.user, name="player")
    _other, raw_other = accounts.create_api_token(event=other_event, user=outsider.user, name="player")

    cookies = {p: cookie_of(p.user) for p in (person, submitted)}

    async def main():
        async with serving() as address:
            return {
                "anonymous": await _outcome(address, session.pk),
                "approved": await _outcome(address, session.pk, cookie=cookies[person]),
                "submitted": await _outcome(address, session.pk, cookie=cookies[submitted]),
                "link elsewhere": await _outcome(address, session.pk, cookie=linked_elsewhere),
                "link here": await _outcome(address, session.pk, cookie=linked_here),
                "foreign origin": await _outcome(
                    address, session.pk, cookie=cookies[person], origin="http://evil.example"
                ),
                "cookie without origin": await _outcome(
                    address, session.pk, cookie=cookies[person], origin=None
                ),
                "site origin": await _outcome(
                    address, session.pk, cookie=cookies[person], origin=f"http://{address}"
                ),
                "token": await _outcome(address, session.pk, token=raw),
                "token of another event": await _outcome(address, session.pk, token=raw_other),
                "bad token": await _outcome(address, session.pk, token="nope"),
                "unknown session": await _outcome(address, session.pk + 1000, cookie=cookies[person]),
            }

    outcomes = run(main())
    assert outcomes == {
        "anonymous": ("closed", 4403),
        "approved": ("open", [topic]),
        "submitted": ("closed", 4403),
        "link elsewhere": ("closed", 4403),
        "link here": ("open", [topic]),
        "foreign origin": ("closed", 4403),
        "cookie without origin": ("closed", 4403),
        "site origin": ("open", [topic]),
        "token": ("open", [topic]),
        "token of another event": ("closed", 4403),
        "bad token": ("closed", 4403),
        "unknown session": ("closed", 4404),
    }


def test_public_session_is_open_to_anonymous_viewers(hub, session):
    Stage.objects.filter(session=session).update(access=Stage.PUBLIC)

    async def main():
        async with serving() as address:
            return await _outcome(address, session.pk, origin=None)

    assert run(main()) == ("open", [f"session:{session.pk}"])
    assert not Attendance.objects.exists()  # nobody to report


def test_a_crowd_of_anonymous_viewers_costs_one_check_a_moment(hub, session, monkeypatch):
    """Anonymous viewers of a session share the answer for ANONYMOUS_SECONDS: a crowd joining a public
    keynote asks the database once; a session closed to them stays closed; after the moment, a change of
    the stage counts again."""
    Stage.objects.filter(session=session).update(access=Stage.PUBLIC)
    calls = []
    real = transport.authenticate
    monkeypatch.setattr(transport, "authenticate", lambda *a, **k: calls.append(a) or real(*a, **k))
    clock = [1000.0]
    monkeypatch.setattr(transport, "_now", lambda: clock[0])

    async def crowd(n):
        async with serving() as address:
            return [await _outcome(address, session.pk, origin=None) for _ in range(n)]

    assert run(crowd(5)) == [("open", [f"session:{session.pk}"])] * 5
    assert len(calls) == 1

    async def rush(n):  # arriving together, while the first answer is still being looked up
        async with serving() as address:
            return await asyncio.gather(*(_outcome(address, session.pk, origin=None) for _ in range(n)))

    clock[0] += transport.ANONYMOUS_SECONDS + 0.1
    assert run(rush(20)) == [("open", [f"session:{session.pk}"])] * 20
    assert len(calls) == 2
    Stage.objects.filter(session=session).update(access=Stage.APPROVED)
    clock[0] += transport.ANONYMOUS_SECONDS + 0.1
    assert {outcome[0] for outcome in run(crowd(3))} == {"closed"}
    assert len(calls) == 3


def test_moderator_topic_only_for_moderators(hub, event, categories, organizer, session):
    topic, mod = f"session:{session.pk}", f"session:{session.pk}:mod"
    moderator = approved(event, categories)
    session.forum.moderators.add(moderator)
    person = approved(event, categories)
    cookies = [cookie_of(user) for user in (moderator.user, organizer, person.user)]

    async def main():
        async with serving() as address:
            async with (
                opening(address, session.pk, cookie=cookies[0]) as m,
                opening(address, session.pk, cookie=cookies[1]) as o,
                opening(address, session.pk, cookie=cookies[2]) as p,
            ):
                welcomes = [await hello(ws, {topic: 0, mod: 0}) for ws in (m, o, p)]
                await hub.publish(mod, {"kind": "pending", "text": "waiting"})
                await hub.publish(topic, {"kind": "public"})
                got = [await recv_messages(ws, 2 if ws is not p else 1) for ws in (m, o, p)]
                await nothing_more(p)
                return welcomes, got

    welcomes, (m, o, p) = run(main())
    assert [w["topics"] for w in welcomes] == [[topic, mod], [topic, mod], [topic]]
    for frames in (m, o):
        assert sorted(f["topic"] for f in frames) == [topic, mod]
    assert [f["data"] for f in p] == [{"kind": "public"}]


# --- SSE --------------------------------------------------------------------------------------------------


async def sse_open(address, session_id, *, cookie=None, last_event_id=None, query=""):
    host, port = address.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    lines = [f"GET /live/sessions/{session_id}/events{query} HTTP/1.1", f"Host: {address}"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    if last_event_id is not None:
        lines.append(f"Last-Event-ID: {last_event_id}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    status = (await reader.readline()).decode()
    headers = {}
    while (line := (await reader.readline()).decode().strip()) != "":
        name, _sep, value = line.partition(":")
        headers[name.lower()] = value.strip()
    return int(status.split()[1]), headers, reader, writer


async def sse_events(reader, n, timeout=5):
    """The next ``n`` events (chunked transfer: the chunk sizes are skipped), comments left out."""
    events, current = [], {}
    while len(events) < n:
        line = (await asyncio.wait_for(reader.readline(), timeout)).decode().rstrip("\r\n")
        if line == "":
            if current:
                events.append(current)
                current = {}
            continue
        if line.startswith(":"):
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue  # a chunk size
        current[name] = current.get(name, "") + value.strip()
    return events


def test_sse_with_last_event_id(hub, event, categories, organizer, session):
    topic, mod = f"session:{session.pk}", f"session:{session.pk}:mod"
    cookie = cookie_of(organizer)

    async def main():
        async with serving() as address:
            status, headers, reader, writer = await sse_open(address, session.pk, cookie=cookie)
            assert status == 200 and headers["content-type"].startswith("text/event-stream")
            (welcome,) = await sse_events(reader, 1)
            await hub.publish(topic, {"n": 1})
            await hub.publish(mod, {"m": 1})
            got = []
            while len(got) < 2:
                (ev,) = await sse_events(reader, 1)
                data = json.loads(ev["data"])
                if data["data"].get("kind") != "viewers":
                    got.append((ev["id"], data))
            writer.close()
            last_id = got[-1][0]
            await hub.publish(topic, {"n": 2})
            await hub.publish(mod, {"m": 2})
            status, _h, reader, writer = await sse_open(
                address, session.pk, cookie=cookie, last_event_id=last_id
            )
            assert status == 200
            await sse_events(reader, 1)  # welcome
            resumed = []
            while len(resumed) < 2:
                (ev,) = await sse_events(reader, 1)
                data = json.loads(ev["data"])
                if data["data"].get("kind") != "viewers":
                    resumed.append((ev["id"], data))
            writer.close()
            # The page's first connection gives its positions per topic in the query.
            positions = dict(zip((topic, mod), (int(x) for x in resumed[-1][0].split(".")), strict=True))
            await hub.publish(topic, {"n": 3})
            query = "?" + "&".join(f"{t}={seq}" for t, seq in positions.items())
            status, _h, reader, writer = await sse_open(address, session.pk, cookie=cookie, query=query)
            await sse_events(reader, 1)  # welcome
            by_query = []
            while not by_query:
                (ev,) = await sse_events(reader, 1)
                data = json.loads(ev["data"])
                if data["data"].get("kind") != "viewers":
                    by_query.append(data["data"])
            writer.close()
            assert by_query == [{"n": 3}]
            status_bad, *_rest = await sse_open(address, session.pk, cookie=cookie, last_event_id="x.y")
            status_anon, *_rest = await sse_open(address, session.pk)
            return welcome, got, last_id, resumed, status_bad, status_anon

    welcome, got, last_id, resumed, status_bad, status_anon = run(main())
    data = json.loads(welcome["data"])
    assert data["type"] == "welcome" and data["topics"] == [topic, mod]
    assert abs(data["server_time"] - time.time() * 1000) < 10_000
    assert [d["data"] for _i, d in got] == [{"n": 1}, {"m": 1}]
    topic_seq, mod_seq = (int(x) for x in last_id.split("."))
    assert got[-1][1]["seq"] == mod_seq and got[0][1]["seq"] <= topic_seq
    assert [d["data"] for _i, d in resumed] == [{"n": 2}, {"m": 2}]  # neither repeated nor lost
    assert status_bad == 400
    assert status_anon == 403


def test_sse_keeps_an_idle_stream_open(hub, settings, event, categories, session):
    settings.LIVE_SSE_KEEPALIVE_SECONDS = 0.3
    cookie = cookie_of(approved(event, categories).user)

    async def main():
        async with serving() as address:
            status, headers, reader, writer = await sse_open(address, session.pk, cookie=cookie)
            lines = []
            while ": keepalive" not in lines:
                lines.append((await asyncio.wait_for(reader.readline(), 3)).decode().strip())
            writer.close()
            return status, headers

    status, headers = run(main())
    assert status == 200 and headers["x-accel-buffering"] == "no"


# --- attendance and viewer counts -------------------------------------------------------------------------


async def viewer_counts(ws, until, timeout=4):
    """The viewer counts ``ws`` receives, with their arrival times, until the count is ``until``."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = await recv(ws)
        if frame["type"] == "message" and frame["data"].get("kind") == "viewers":
            seen.append((frame["data"]["count"], time.monotonic()))
            if seen[-1][0] == until:
                return seen
    raise AssertionError(f"the count never reached {until}: {seen}")


def test_attendance_and_viewer_count(hub, event, categories, session):
    person = approved(event, categories)
    cookie = cookie_of(person.user)
    Stage.objects.filter(session=session).update(access=Stage.PUBLIC)

    def open_visits():
        return list(Attendance.objects.filter(left_at__isnull=True).values_list("participant", flat=True))

    async def main():
        async with serving() as address:
            async with opening(address, session.pk, cookie=cookie) as watcher:
                await hello(watcher)
                seen = await viewer_counts(watcher, 1)
                async with opening(address, session.pk, origin=None) as anonymous:
                    welcome = await hello(anonymous)
                    during = await asyncio.to_thread(attendance.viewer_count, session.pk)
                    visits = await asyncio.to_thread(open_visits)
                    seen += await viewer_counts(watcher, 2)
                seen += await viewer_counts(watcher, 1)
            await asyncio.sleep(0.3)
            after = await asyncio.to_thread(attendance.viewer_count, session.pk)
            return welcome, during, visits, seen, after

    welcome, during, visits, seen, after = run(main())
    assert welcome["viewers"] == 2 and during == 2
    assert visits == [person.pk]  # the anonymous viewer has no visit
    assert [count for count, _at in seen] == [1, 2, 1]
    # At most one count per second per session.
    assert all(b[1] - a[1] >= 0.9 for a, b in zip(seen, seen[1:], strict=False))
    assert after == 0
    assert hub.subscribers(f"session:{session.pk}") == 0  # every subscription closed with its connection
    (visit,) = Attendance.objects.all()
    assert visit.participant == person and visit.session == session
    assert visit.left_at is not None and visit.left_at >= visit.joined_at
    assert attendance.attendance_rows(session)[0].email == person.email
