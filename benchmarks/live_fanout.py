"""Live fan-out benchmark: thousands of WebSocket subscribers of one session receive its chat live.

    .venv/bin/python benchmarks/live_fanout.py [--quick] [--strict] [--ns 1000,5000,10000] [--seconds 30]

Serves Summit the way ``make run`` does (one ``uvicorn summit.asgi:application`` process: the pages, the
API and the live transport of ``live/transport.py``), started by this script against a fresh SQLite
database in a temporary SUMMIT_VAR_DIR (tables from ``summit migrate``; the event, a public session with
its chat open, ``Stage(access="public", chat=True)``, and one approved participant with an API token built
with the ORM). The chat's rate limit is switched off for the server (``SUMMIT_RATE_CHAT=0/60``).

For each N (default 1,000, 5,000 and 10,000):
  summit   N anonymous WebSocket subscribers of the session (``/live/sessions/<id>/socket``, hello, then
           message frames); one chat message a second for ``--seconds`` posted through the REST API
           (``POST /api/events/<slug>/sessions/<id>/chat`` with the participant's token, over kept-alive
           HTTP connections, as a browser posts), the send time
           written into the message's text, so each subscriber computes the delivery latency (one clock:
           everything runs on this machine). Halfway through, 10 % of the subscribers close their socket
           and, a moment later (while messages go on), reconnect with ``hello`` and the last sequence
           number they saw: they must still receive every message exactly once.
  bare     the raw limit, measured in the same run: a minimal ``websockets`` server (this file with
           ``--bare-server``, a subprocess) that gives each message a sequence number, keeps the list, and
           relays it to every connection with ``websockets.broadcast``; the same subscribers, the same
           schedule and the same reconnections, the messages sent to it over one WebSocket.
With Redis (``--redis-url``, default SUMMIT_REDIS_URL; use a database of its own, its ``summit:live:``
keys are written): two uvicorn processes sharing the hub through Redis, the subscribers (20,000) split
across them, every message posted through the first one.

The load generator is lean: several processes (``--procs``), each an asyncio loop with a minimal WebSocket
client written on ``asyncio.Protocol`` (no library), so that the clients take as little of the shared
CPU as possible. Each subscriber checks the sequence numbers of its topic: ``gaps`` counts numbers that never
came (a ``reset`` counts as one), ``duplicates`` those that came twice (or a chat message seen twice);
``lost`` = expected - delivered, expected = messages x subscribers. Latency percentiles are of live
deliveries (a message a reconnecting subscriber receives as replay, sent while it was away, is counted in
``replayed`` and not in the latency). Memory per connection: the server processes' RSS with the
subscribers connected minus before, over N.

Targets: lost=0, gaps=0, duplicates=0, every subscriber connected (exit non-zero otherwise), also across
the two processes; at the largest N (10,000) p99 <= 1.5 x the bare server's p99; <= 40 KB of server memory
per connection (``--strict`` exits non-zero when one of these is missed too).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from array import array
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
BIN = Path(sys.executable).parent
SLUG = "fanout"
TARGET_RATIO = 1.5  # Summit's p99 over the bare server's, at the largest N
TARGET_KB = 40  # server memory per connection
CLIENTS_PER_PROC = 2500
HANDSHAKES = 256  # connections being opened at once, over all load generator processes
WELCOME_TIMEOUT = 600
POST_TIMEOUT = 120
# What each load generator counts and hands back, summed over them into the run's Result.
COUNTS = (
    "delivered",
    "gaps",
    "duplicates",
    "resets",
    "replayed",
    "reconnected",
    "reconnect_asked",
    "drops",
    "evicted",
    "errors",
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N=200,500, 4 s, Redis 1,000 (about a minute)")
    parser.add_argument(
        "--ns", help='subscriber counts, comma-separated (default 1000,5000,10000; "": the Redis run only)'
    )
    parser.add_argument("--seconds", type=int, help="messages, one per interval (default 30; 4 quick)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between messages (default 1)")
    parser.add_argument(
        "--reconnect", type=float, default=0.1, help="share of subscribers reconnecting halfway (0.1)"
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("SUMMIT_REDIS_URL", ""),
        help="Redis for the two-process run (default SUMMIT_REDIS_URL; empty: no Redis run)",
    )
    parser.add_argument(
        "--redis-subscribers", type=int, help="subscribers split across two processes (20000; 1000 quick)"
    )
    parser.add_argument("--procs", type=int, help="load generator processes (default: one per 2,500)")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare websockets baseline")
    parser.add_argument("--strict", action="store_true", help="also exit non-zero when a target is missed")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="run each Summit server under cProfile (its event loop's thread) and write the stats to DIR",
    )
    parser.add_argument(
        "--switch-interval",
        type=float,
        metavar="S",
        help="the Summit servers' sys.setswitchinterval (default Python's 0.005): how much of the latency is "
        "threads taking the interpreter lock from the event loop",
    )
    parser.add_argument(
        "--gc-log",
        action="store_true",
        help="time the Summit servers' garbage collections (gen 2) and print them after each run",
    )
    parser.add_argument(
        "--src", type=Path, default=ROOT / "src", help="the Summit source tree to serve (default: this one's)"
    )
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--bare-topic", default="session:1", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    if args.ns is None:
        args.ns = "200,500" if quick else "1000,5000,10000"
    args.ns = [int(n) for n in args.ns.split(",") if n.strip()]  # "": only the Redis run
    args.seconds = args.seconds or (4 if quick else 30)
    args.redis_subscribers = args.redis_subscribers or (1000 if quick else 20000)
    return args


def main() -> int:
    args = parse_args()
    if args.bare_server:
        loop_run(bare_server(args.bare_server, args.bare_topic))
        return 0
    raise_nofile()
    var_dir = Path(tempfile.mkdtemp(prefix="summit-fanout-"))
    try:
        return run(args, var_dir)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


# With --gc-log: each server times its full (generation 2) collections and writes them down when it stops.
GC_LOG = """
import atexit, gc, os, time
_gc = {"n": 0, "total": 0.0, "max": 0.0, "start": 0.0, "at": []}
_born = time.monotonic()
def _timing(phase, info):
    if info["generation"] != 2:
        return
    if phase == "start":
        _gc["start"] = time.perf_counter()
    else:
        took = time.perf_counter() - _gc["start"]
        _gc["n"] += 1
        _gc["total"] += took
        _gc["max"] = max(_gc["max"], took)
        _gc["at"].append(f"{time.monotonic() - _born:.0f}s:{took * 1000:.0f}ms/{info['collected']}")
gc.callbacks.append(_timing)
def _write():
    with open(os.path.join("$DIR", f"gc-{os.getpid()}.txt"), "w") as out:
        out.write(f"gen2 collections={_gc['n']} total={_gc['total']:.2f}s longest={_gc['max'] * 1000:.0f}ms "
                  f"(at, took/collected: {' '.join(_gc['at'])})\\n")
atexit.register(_write)
"""


def loop_name() -> str:
    """The event loop the servers run on: uvloop where it is installed (uvicorn's ``--loop auto`` takes it;
    the bare server takes it too, so that the ratio compares the servers, not their loops), else asyncio's."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def loop_run(coro):
    if loop_name() == "uvloop":
        import uvloop

        return uvloop.run(coro)
    return asyncio.run(coro)


def raise_nofile() -> int:
    """Soft file-descriptor limit to the hard one; the servers and load generators inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- data and servers ----------------------------------------------------------------------------------------


def run(args, var_dir: Path) -> int:
    load = os.getloadavg()[0]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "summit.settings")
    os.environ.pop("SUMMIT_DATABASE_URL", None)
    os.environ.pop("SUMMIT_REDIS_URL", None)
    os.environ.update(
        SUMMIT_VAR_DIR=str(var_dir),
        SUMMIT_EMAIL_URL=f"file://{var_dir / 'mail'}",
        SUMMIT_DEBUG="0",
        SUMMIT_LOG_LEVEL="WARNING",
        PYTHONPATH=str(args.src.resolve()) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    sys.path.insert(0, str(args.src.resolve()))
    server_env = {**os.environ, "SUMMIT_RATE_CHAT": "0/60"}
    if args.switch_interval or args.gc_log:
        site = var_dir / "site"
        site.mkdir()
        code = "import sys\n"
        if args.switch_interval:
            code += f"sys.setswitchinterval({args.switch_interval!r})\n"
        if args.gc_log:
            code += GC_LOG.replace("$DIR", str(var_dir))
        (site / "sitecustomize.py").write_text(code)
        server_env["PYTHONPATH"] = f"{site}{os.pathsep}{server_env['PYTHONPATH']}"
    started = time.perf_counter()
    subprocess.run([str(BIN / "summit"), "migrate", "--noinput", "-v", "0"], env=server_env, check=True)
    import django

    django.setup()
    from django.db import connections

    data = build_data()
    connections.close_all()
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    print(
        f"live fan-out: one public session, {args.seconds} chat messages ({args.interval:g} s apart), "
        f"{args.reconnect:.0%} of the subscribers reconnecting halfway; servers on {loop_name()}; "
        f"set-up {time.perf_counter() - started:.1f}s, "
        f"file descriptors {nofile}, machine load (1 min) {load:.2f}",
        flush=True,
    )
    if max([*args.ns, args.redis_subscribers // 2]) + 100 > nofile:
        print(f"warning: {nofile} file descriptors per process may be too few for one server")

    summaries, failed, rows = [], False, []
    largest = max(args.ns, default=0)
    for n in args.ns:
        summit = run_summit(args, data, server_env, var_dir, [n])
        bare = None if args.no_bare else run_bare(args, data, n)
        rows.append((n, summit, bare))
        report_n(args, n, summit, bare)
        line, bad, missed = summary_n(args, n, summit, bare, largest)
        print(line, flush=True)
        summaries.append(line)
        failed |= bad or (args.strict and missed)
    if args.redis_url:
        half = args.redis_subscribers // 2
        env = {**server_env, "SUMMIT_REDIS_URL": args.redis_url}
        redis = run_summit(args, data, env, var_dir, [half, args.redis_subscribers - half])
        report_n(args, args.redis_subscribers, redis, None, label="redis, 2 processes")
        line, bad, missed = summary_redis(redis)
        summaries.append(line)
        failed |= bad or (args.strict and missed)
    else:
        print("\nno Redis run: give --redis-url or SUMMIT_REDIS_URL")
    print()
    for line in summaries:
        print(line)
    return 1 if failed else 0


def build_data() -> dict:
    """The event, a public session with its chat open, and one approved participant with an API token."""
    from summit.accounts.services import create_api_token
    from summit.events.testing import make_event
    from summit.live.testing import make_room
    from summit.program.testing import make_forum, make_session
    from summit.registration.models import Participant
    from summit.registration.testing import make_category, make_participant

    event = make_event(SLUG)
    category = make_category(event, "company", needs_approval=False)
    forum = make_forum(event, slug="plenary")
    session = make_session(event, forum, capacity=100000, online=True, title_en="Opening keynote")
    make_room(event, session=session, access="public", chat=True, qa=True)
    participant = make_participant(
        event,
        category,
        email="speaker@bench.example.org",
        attendance_mode=Participant.ONLINE,
        status=Participant.APPROVED,
    )
    raw = create_api_token(event=event, user=participant.user, name="bench")[1]
    return {"session": session.pk, "token": raw, "topic": f"session:{session.pk}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(base: str, proc: subprocess.Popen, log_path: Path, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"{what} did not answer /healthz:\n{log_path.read_text(errors='replace')[-3000:]}")


def start_uvicorn(env: dict, port: int, log_path: Path, profile: Path | None = None) -> subprocess.Popen:
    """``make run``'s server: one uvicorn process, the pages, the API and the live transport."""
    command = [str(BIN / "uvicorn")]
    if profile:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), str(BIN / "uvicorn")]
    command += [
        "summit.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--backlog",
        "4096",
        "--ws-per-message-deflate",
        "false",
    ]
    log = log_path.open("ab")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return proc


def start_bare(port: int, topic: str, log_path: Path) -> subprocess.Popen:
    log = log_path.open("ab")
    command = [sys.executable, __file__, "--bare-server", str(port), "--bare-topic", topic]
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bare server exited:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    stop(proc)
    raise SystemExit("the bare server did not start")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int, tid: int | None = None) -> float:
    """CPU time of process ``pid`` (all its threads), or of its thread ``tid`` alone."""
    path = f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat"
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_split(pids: list[int]) -> tuple[float, float]:
    """(the main threads' CPU, where uvicorn runs the event loop; the other threads': Django's sync views
    and the transport's database work), summed over ``pids``."""
    main = sum(cpu_seconds(pid, pid) for pid in pids)
    return main, sum(cpu_seconds(pid) for pid in pids) - main


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n  ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- a run ---------------------------------------------------------------------------------------------------


@dataclass
class Result:
    n: int
    processes: int
    events: int
    expected: int = 0
    delivered: int = 0
    gaps: int = 0
    duplicates: int = 0
    resets: int = 0
    replayed: int = 0
    reconnected: int = 0
    reconnect_asked: int = 0
    drops: int = 0
    evicted: int = 0
    connect_failed: int = 0
    errors: int = 0
    latencies: array = field(default_factory=lambda: array("d"))
    indices: array = field(default_factory=lambda: array("i"))  # the message of each latency
    connect_s: float = 0.0
    wall_s: float = 0.0  # the whole run: servers started, connected, messages, stopped
    kb_per_conn: float = 0.0
    server_cpu_s: float = 0.0
    server_loop_cpu_s: float = 0.0  # of which the main thread (the event loop)
    connect_cpu: tuple = (0.0, 0.0)  # connecting: (the event loop's thread, the other threads)
    client_cpu_s: float = 0.0
    publish_ms: list = field(default_factory=list)
    publish_failed: int = 0
    notes: list = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.expected - self.delivered

    def pct(self, p: float) -> float:
        return percentile(self.latencies, p)

    def by_message(self) -> dict[int, list[float]]:
        out: dict[int, list[float]] = {}
        for index, ms in zip(self.indices, self.latencies, strict=True):
            out.setdefault(index, []).append(ms)
        return out

    def spread(self, p: float) -> float:
        """Percentile of the time from the first subscriber's receipt of a message to each other one's: the
        fan-out alone, without the time it took to post and publish the message."""
        spread = []
        for values in self.by_message().values():
            first = min(values)
            spread += [ms - first for ms in values]
        return percentile(spread, p)


def run_summit(args, data: dict, env: dict, var_dir: Path, split: list[int]) -> Result:
    """Summit with ``len(split)`` uvicorn processes, ``split[i]`` subscribers on the i-th; messages posted
    through the first."""
    wall = time.perf_counter()
    ports = [free_port() for _ in split]
    log_path = var_dir / "uvicorn.log"
    servers = []
    try:
        for i, port in enumerate(ports):
            profile = None
            if args.profile:
                Path(args.profile).mkdir(parents=True, exist_ok=True)
                profile = Path(args.profile).resolve() / f"summit-{sum(split)}-{i}.prof"
            servers.append(start_uvicorn(env, port, log_path, profile))
        for port, server in zip(ports, servers, strict=True):  # started together, waited for in turn
            wait_http(f"http://127.0.0.1:{port}", server, log_path, "uvicorn")
        publisher = SummitPublisher(ports[0], data)
        result = asyncio.run(
            drive(
                args,
                data["topic"],
                [(p, s.pid, n) for p, s, n in zip(ports, servers, split, strict=True)],
                publisher,
                f"/live/sessions/{data['session']}/socket",
            )
        )
    finally:
        for server in servers:
            stop(server)
    result.wall_s = time.perf_counter() - wall
    for server in servers:
        found = var_dir / f"gc-{server.pid}.txt"
        if found.exists():
            print(f"server {server.pid} garbage collection: {found.read_text().strip()}")
            found.unlink()
    if args.profile:
        import pstats

        for path in sorted(Path(args.profile).resolve().glob(f"summit-{sum(split)}-*.prof")):
            print(f"\nprofile of {path.name} (the event loop's thread; by own time):")
            pstats.Stats(str(path)).sort_stats("tottime").print_stats(25)
    if result.errors or result.connect_failed or result.publish_failed:
        print(f"server log (tail):\n  {tail(log_path)}")
    return result


def run_bare(args, data: dict, n: int) -> Result:
    wall = time.perf_counter()
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"summit-fanout-bare-{os.getpid()}.log"
    server = start_bare(port, data["topic"], log_path)
    try:
        result = asyncio.run(drive(args, data["topic"], [(port, server.pid, n)], BarePublisher(port), "/"))
    finally:
        stop(server)
        log_path.unlink(missing_ok=True)
    result.wall_s = time.perf_counter() - wall
    return result


class SummitPublisher:
    """Posts chat messages through Summit's REST API over kept-alive HTTP/1.1 connections, as a browser
    does (and as the bare publisher keeps its WebSocket): one connection per message in flight, reused
    for the next message once answered."""

    ordered = False

    def __init__(self, port: int, data: dict):
        self.port = port
        self.path = f"/api/events/{SLUG}/sessions/{data['session']}/chat"
        self.token = data["token"]
        self.idle: list = []

    async def open(self) -> None:
        pass

    async def send(self, text: str) -> tuple[bool, str]:
        body = json.dumps({"text": text}).encode()
        request = (
            f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        reused = bool(self.idle)
        reader, writer = self.idle.pop() if reused else await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(request)
            head, answer = await self._answer(reader)
        except (OSError, asyncio.IncompleteReadError) as exc:
            writer.close()
            if reused:  # the server closed the idle connection: once more on a new one
                return await self.send(text)
            raise OSError(f"no answer: {exc!r}") from exc
        if b"connection: close" in head.lower():
            writer.close()
        else:
            self.idle.append((reader, writer))
        return head[9:12] == b"201", (head + answer)[:300].decode(errors="replace")

    @staticmethod
    async def _answer(reader) -> tuple[bytes, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        lower = head.lower()
        if b"transfer-encoding: chunked" in lower:
            body = b""
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                body += await reader.readexactly(size + 2)
                if size == 0:
                    return head, body
        found = re.search(rb"content-length: *(\d+)", lower)
        return head, await reader.readexactly(int(found.group(1))) if found else b""

    async def close(self) -> None:
        for _reader, writer in self.idle:
            writer.close()
        self.idle.clear()


class BarePublisher:
    """Sends each message's payload to the bare server over one WebSocket; the payload has the shape and
    size of Summit's chat message."""

    ordered = True

    def __init__(self, port: int):
        self.port = port
        self.ws = None
        self.id = 0

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(f"ws://127.0.0.1:{self.port}/", compression=None)
        await self.ws.send(json.dumps({"type": "publish"}))

    async def send(self, text: str) -> tuple[bool, str]:
        self.id += 1
        payload = {
            "kind": "chat",
            "message": {
                "id": self.id,
                "text": text,
                "author": "Wang Wei",
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            },
        }
        await self.ws.send(json.dumps(payload, separators=(",", ":")))
        return True, ""

    async def close(self) -> None:
        await self.ws.close()


async def warm_up(port: int, path: str, count: int = 20) -> None:
    """A few connections open and close first: the server imports and starts what a connection needs
    before its memory is taken as the baseline."""
    from websockets.asyncio.client import connect

    async def one():
        async with connect(f"ws://127.0.0.1:{port}{path}", compression=None, open_timeout=30) as ws:
            await ws.send(json.dumps({"type": "hello"}))
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if welcome.get("type") != "welcome":
                raise SystemExit(f"warm-up connection answered {welcome}")

    await asyncio.gather(*(one() for _ in range(count)))


async def drive(args, topic: str, servers: list[tuple[int, int, int]], publisher, path: str) -> Result:
    """Connect the subscribers (``servers``: port, pid, subscribers), post the messages, collect."""
    total = sum(n for _p, _pid, n in servers)
    events = args.seconds
    result = Result(n=total, processes=len(servers), events=events, expected=events * total)
    await publisher.open()
    # Warm-up: one message (not counted; it is not "bench ...") and a few connections on every server.
    ok, answer = await publisher.send("warm-up")
    if not ok:
        raise SystemExit(f"posting a chat message failed: {answer}")
    for port, _pid, _n in servers:
        await warm_up(port, path)
    await asyncio.sleep(1.0)  # the warm-up connections are gone, the viewer count published
    pids = [pid for _p, pid, _n in servers]
    before = sum(rss_kb(pid) for pid in pids)

    # Load generator processes: the subscribers of each server dealt out among them.
    procs = args.procs or max(1, min(8, -(-total // CLIENTS_PER_PROC)))
    shares: list[list[tuple[int, int]]] = [[] for _ in range(procs)]
    for port, _pid, n in servers:
        for i in range(procs):
            count = n // procs + (1 if i < n % procs else 0)
            if count:
                shares[i].append((port, count))
    ctx = multiprocessing.get_context("spawn")
    workers = []
    for i, share in enumerate(shares):
        mine, theirs = ctx.Pipe()
        proc = ctx.Process(
            target=worker_main,
            args=(theirs, i, share, path, topic, events, args.interval, procs),
            daemon=True,
        )
        proc.start()
        workers.append((proc, mine))
    loop = asyncio.get_running_loop()

    async def ask(command: tuple) -> list:
        for _proc, conn in workers:
            conn.send(command)
        return [await loop.run_in_executor(None, conn.recv) for _proc, conn in workers]

    try:
        started = time.perf_counter()
        cpu0 = cpu_split(pids)
        for answer in await ask(("connect",)):
            result.connect_failed += answer["failed"]
            result.notes += answer["notes"]
        result.connect_s = time.perf_counter() - started
        cpu1 = cpu_split(pids)
        result.connect_cpu = (cpu1[0] - cpu0[0], cpu1[1] - cpu0[1])
        await asyncio.sleep(0.5)
        after = sum(rss_kb(pid) for pid in pids)
        result.kb_per_conn = (after - before) / total if total else 0.0
        cpu = cpu_split(pids)

        # One message per interval, each sent at its due time (a slow answer does not hold the next one
        # back); the reconnections start halfway.
        async def post(i: int) -> None:
            sent = time.perf_counter()
            try:
                async with asyncio.timeout(POST_TIMEOUT):
                    ok, answer = await publisher.send(f"bench {i} t={time.monotonic_ns()}")
            except (OSError, TimeoutError) as exc:
                ok, answer = False, repr(exc)
            result.publish_ms.append((time.perf_counter() - sent) * 1000)
            if not ok:
                result.publish_failed += 1
                result.notes.append(f"message {i} not posted: {answer[:200]}")

        origin = time.monotonic() + 0.5
        posts = []
        for i in range(events):
            await asyncio.sleep(max(0.0, origin + i * args.interval - time.monotonic()))
            if i == events // 2:
                for _proc, conn in workers:
                    conn.send(("reconnect", args.reconnect))
            posts.append(asyncio.create_task(post(i)))
            if publisher.ordered:  # one WebSocket: messages go one after the other
                await posts[-1]
        await asyncio.gather(*posts)
        for answer in await ask(("collect", 10.0 + 3 * args.interval)):
            for name in COUNTS:
                setattr(result, name, getattr(result, name) + answer[name])
            result.latencies.frombytes(answer["latencies"])
            result.indices.frombytes(answer["indices"])
            result.client_cpu_s += answer["cpu"]
            result.notes += answer["notes"]
        cpu_end = cpu_split(pids)
        result.server_loop_cpu_s = cpu_end[0] - cpu[0]
        result.server_cpu_s = result.server_loop_cpu_s + cpu_end[1] - cpu[1]
    finally:
        for _proc, conn in workers:
            try:
                conn.send(("stop",))
            except OSError:
                pass
        for proc, _conn in workers:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
        await publisher.close()
    if result.reconnected < result.reconnect_asked:
        result.errors += result.reconnect_asked - result.reconnected
        result.notes.append(f"{result.reconnect_asked - result.reconnected} reconnections did not complete")
    return result


# --- the load generator --------------------------------------------------------------------------------------


def worker_main(
    conn, wid: int, share: list[tuple[int, int]], path: str, topic: str, events: int, interval, procs
):
    asyncio.run(Worker(conn, wid, share, path, topic, events, interval, procs).run())


class Sub:
    """One subscriber: its position in the topic and what it received, over all its connections."""

    __slots__ = ("port", "last", "seen", "conn", "reconnecting", "welcomed_once", "opening")

    def __init__(self, port: int, events: int):
        self.port = port
        self.last: int | None = None  # last sequence number of the topic received (None: not known yet)
        self.seen = bytearray(events)  # which of the benchmark's chat messages arrived
        self.conn: Conn | None = None
        self.reconnecting = False
        self.welcomed_once = False
        self.opening = False  # a reconnection is under way: never two connections of one subscriber


def _frame(opcode: int, payload: bytes) -> bytes:
    """A client frame: FIN, masked (with a zero key: the payload goes as it is; the load generator does
    not need the masking's protection against caching proxies)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


class Conn(asyncio.Protocol):
    """A minimal WebSocket client connection (RFC 6455): the upgrade, then text, close and ping frames."""

    def __init__(self, worker: Worker, sub: Sub, upgrade: bytes):
        self.worker = worker
        self.upgrade = upgrade
        self.sub = sub
        self.transport = None
        self.upgraded = False
        self.buf = bytearray()
        self.parts: list[bytes] = []
        self.welcomed = worker.loop.create_future()
        self.hello_ns = 0
        self.by_us = False
        self.close_code = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.upgrade)

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[9:12])
            if status != b"101":
                self.fail(f"handshake answered {bytes(buf[:end])[:120]!r}")
                return
            del buf[: end + 4]
            self.upgraded = True
            hello = {"type": "hello"}
            if self.sub.last is not None:
                hello["last_seq"] = {self.worker.topic: self.sub.last}
            self.hello_ns = time.monotonic_ns()
            self.transport.write(_frame(1, json.dumps(hello).encode()))
        pos, size = 0, len(buf)
        while size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if size - pos < head + length:
                break
            payload = bytes(buf[pos + head : pos + head + length])
            pos += head + length
            self.frame(b0 & 0x0F, b0 & 0x80, payload)
        if pos:
            del buf[:pos]

    def frame(self, opcode: int, fin: int, payload: bytes) -> None:
        if opcode in (0, 1):
            if not fin:
                self.parts.append(payload)
                return
            if self.parts:
                payload = b"".join([*self.parts, payload])
                self.parts = []
            self.worker.on_text(self, payload)
        elif opcode == 8:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(_frame(8, payload[:2]))
                self.transport.close()
        elif opcode == 9:
            self.transport.write(_frame(10, payload))

    def fail(self, why: str) -> None:
        if not self.welcomed.done():
            self.welcomed.set_exception(ConnectionError(why))
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        self.by_us = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_frame(8, (1000).to_bytes(2, "big")))
            self.transport.close()

    def connection_lost(self, exc) -> None:
        if not self.welcomed.done():
            self.welcomed.set_exception(ConnectionError(f"closed before the welcome ({self.close_code})"))
        self.worker.on_lost(self)


class Worker:
    def __init__(self, pipe, wid, share, path, topic, events, interval, procs):
        self.procs = procs
        self.pipe = pipe
        self.wid = wid
        self.share = share
        self.path = path
        self.topic = topic
        self.events = events
        self.interval = interval
        self.subs: list[Sub] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.latencies = array("d")
        self.indices = array("i")
        self.stats = dict.fromkeys(COUNTS, 0)
        self.notes: list[str] = []
        self.running = True
        self.tasks: set[asyncio.Task] = set()

    def note(self, text: str) -> None:
        if len(self.notes) < 10:
            self.notes.append(text)

    async def run(self) -> None:
        self.loop = asyncio.get_running_loop()
        while True:
            command = await self.loop.run_in_executor(None, self.pipe.recv)
            if command[0] == "connect":
                self.pipe.send(await self.connect_all())
            elif command[0] == "reconnect":
                self.start_reconnect(command[1])
            elif command[0] == "collect":
                self.pipe.send(await self.collect(command[1]))
            elif command[0] == "stop":
                self.running = False
                for sub in self.subs:
                    if sub.conn is not None and sub.conn.transport is not None:
                        sub.conn.by_us = True
                        sub.conn.transport.abort()
                return

    def upgrade_for(self, port: int) -> bytes:
        return (
            f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()

    async def open(self, sub: Sub, tries: int = 5) -> None:
        """Connect ``sub`` and wait for the welcome, patiently (a busy server admits connections slowly;
        giving up and trying again would only add to its work); a refused or dropped attempt is tried
        again."""
        for attempt in range(tries):
            conn = Conn(self, sub, self.upgrade_for(sub.port))
            sub.conn = conn
            try:
                await self.loop.create_connection(lambda c=conn: c, "127.0.0.1", sub.port)
                await asyncio.wait_for(conn.welcomed, WELCOME_TIMEOUT)
                return
            except (OSError, TimeoutError) as exc:
                conn.by_us = True
                if conn.transport is not None:
                    conn.transport.abort()
                if attempt == tries - 1:
                    raise
                self.note(f"connect attempt {attempt + 1} failed: {exc!r}"[:200])
                await asyncio.sleep(0.2 * (attempt + 1))

    async def connect_all(self) -> dict:
        # Round robin over the servers, so that they all admit their subscribers at the same time.
        rows = itertools.zip_longest(*([port] * count for port, count in self.share))
        self.subs = [Sub(port, self.events) for row in rows for port in row if port is not None]
        gate = asyncio.Semaphore(max(8, HANDSHAKES // self.procs))
        failed = 0

        async def one(sub):
            nonlocal failed
            async with gate:
                try:
                    await self.open(sub)
                except (OSError, TimeoutError) as exc:
                    failed += 1
                    self.note(f"subscriber not connected: {exc!r}"[:200])

        await asyncio.gather(*(one(sub) for sub in self.subs))
        return {"failed": failed, "notes": self.notes[:]}

    # frames

    def on_text(self, conn: Conn, payload: bytes) -> None:
        now = time.monotonic_ns()
        if conn is not conn.sub.conn:
            return  # a connection given up already
        try:
            msg = json.loads(payload)
            kind = msg["type"]
        except (ValueError, KeyError, TypeError):
            self.stats["errors"] += 1
            self.note(f"not a frame of the protocol: {payload[:120]!r}")
            return
        sub = conn.sub
        stats = self.stats
        if kind == "message":
            if msg.get("topic") != self.topic:
                return
            seq = msg["seq"]
            last = sub.last
            if last is not None:
                if seq <= last:
                    stats["duplicates"] += 1
                    return
                if seq != last + 1:
                    stats["gaps"] += seq - last - 1
                    self.note(f"gap: {last} then {seq}")
            sub.last = seq
            data = msg.get("data")
            if not isinstance(data, dict) or data.get("kind") != "chat":
                return
            text = data["message"]["text"]
            if not text.startswith("bench "):
                return
            _bench, index, stamp = text.split()
            index, sent = int(index), int(stamp[2:])
            if sub.seen[index]:
                stats["duplicates"] += 1
                return
            sub.seen[index] = 1
            stats["delivered"] += 1
            if sent >= conn.hello_ns:
                self.latencies.append((now - sent) / 1e6)
                self.indices.append(index)
            else:
                stats["replayed"] += 1
        elif kind == "welcome":
            if sub.last is None:
                sub.last = (msg.get("last_seq") or {}).get(self.topic)
            if sub.welcomed_once:
                stats["reconnected"] += 1
            sub.welcomed_once = True
            if not conn.welcomed.done():
                conn.welcomed.set_result(None)
        elif kind == "reset":
            stats["resets"] += 1
            stats["gaps"] += 1
            sub.last = msg.get("seq")
            self.note(f"reset to {msg.get('seq')}")
        elif kind == "evicted":
            stats["evicted"] += 1
        elif kind == "error":
            stats["errors"] += 1
            self.note(f"server error frame: {payload[:160]!r}")

    def on_lost(self, conn: Conn) -> None:
        sub = conn.sub
        if conn.by_us or not self.running or sub.conn is not conn or not conn.welcomed.done():
            return
        # The server closed it (an eviction, a timeout): resume where it stopped, as a browser does.
        self.stats["drops"] += 1
        self.note(f"connection closed by the server ({conn.close_code})")
        self.spawn(self.resume(sub, delay=0.1 + random.random() * 0.4))

    def spawn(self, coro) -> None:
        task = self.loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def resume(self, sub: Sub, delay: float) -> None:
        if sub.opening:
            return
        sub.opening = True
        try:
            await asyncio.sleep(delay)
            if self.running:
                await self.open(sub)
        except (OSError, TimeoutError) as exc:
            self.stats["errors"] += 1
            self.note(f"reconnection failed: {exc!r}"[:200])
        finally:
            sub.reconnecting = False
            sub.opening = False

    def start_reconnect(self, share: float) -> None:
        """Every 1/share-th subscriber closes its socket within one interval, stays away up to 1.5
        intervals (messages go on meanwhile) and reconnects with the last sequence number it saw."""
        if share <= 0:
            return
        step = max(1, round(1 / share))
        for sub in self.subs[::step]:
            self.stats["reconnect_asked"] += 1
            sub.reconnecting = True
            self.spawn(self.reconnect(sub))

    async def reconnect(self, sub: Sub) -> None:
        await asyncio.sleep(random.random() * self.interval)
        if sub.opening:  # the server closed it meanwhile and it is reconnecting already
            return
        if sub.conn is not None:
            sub.conn.close()
        await self.resume(sub, delay=(0.2 + random.random() * 1.3) * self.interval)

    async def collect(self, timeout: float) -> dict:
        """Wait until every subscriber has every message (or ``timeout``), then report."""
        deadline = time.monotonic() + timeout
        want = self.events * len(self.subs)
        while time.monotonic() < deadline and (self.stats["delivered"] < want or self.tasks):
            await asyncio.sleep(0.05)
        missing = [i for i, sub in enumerate(self.subs) if sum(sub.seen) < self.events]
        if missing:
            sub = self.subs[missing[0]]
            self.note(
                f"{len(missing)} subscribers miss messages, e.g. #{missing[0]}: "
                f"{[i for i, s in enumerate(sub.seen) if not s][:10]} (last seq {sub.last})"
            )
        return {
            **self.stats,
            "latencies": self.latencies.tobytes(),
            "indices": self.indices.tobytes(),
            "cpu": time.process_time(),
            "notes": self.notes[:],
        }


# --- the bare baseline ---------------------------------------------------------------------------------------


async def bare_server(port: int, topic: str) -> None:
    """The raw limit: one topic, a sequence number per message, the list of them for reconnections, and
    ``websockets.broadcast`` to every connection. Speaks the transport's hello/welcome/message frames."""
    from websockets.asyncio.server import broadcast, serve

    subscribers: set = set()
    history: list[str] = []
    prefix = '{"type":"message","topic":' + json.dumps(topic) + ',"seq":'

    async def handler(ws):
        try:
            first = json.loads(await ws.recv())
        except Exception:  # noqa: BLE001 - a client that went away or sent garbage
            return
        if first.get("type") == "publish":
            async for raw in ws:
                history.append(f'{prefix}{len(history) + 1},"data":{raw}}}')
                broadcast(subscribers, history[-1])
            return
        current = len(history)
        last = (first.get("last_seq") or {}).get(topic)
        if not isinstance(last, int) or last > current:
            last = current
        welcome = {"type": "welcome", "topics": [topic], "viewers": len(subscribers) + 1}
        await ws.send(json.dumps({**welcome, "last_seq": {topic: last}}))
        # The replay and the joining happen without an await between them: nothing missed, nothing twice.
        for frame in history[last:]:
            broadcast([ws], frame)
        subscribers.add(ws)
        try:
            async for _frame in ws:
                pass
        except Exception:  # noqa: BLE001
            pass
        finally:
            subscribers.discard(ws)

    stop_event = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop_event.set)
    loop.add_signal_handler(signal.SIGTERM, stop_event.set)
    async with serve(handler, "127.0.0.1", port, compression=None, backlog=4096):
        await stop_event.wait()


# --- the report ----------------------------------------------------------------------------------------------


def percentile(values, pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def counters(r: Result) -> dict[str, int]:
    return {"lost": r.lost, "gaps": r.gaps, "duplicates": r.duplicates}


def failures(r: Result) -> list[str]:
    bad = [f"{k}={v}" for k, v in counters(r).items() if v]
    if r.connect_failed:
        bad.append(f"connect_failed={r.connect_failed}")
    if r.publish_failed:
        bad.append(f"publish_failed={r.publish_failed}")
    if r.errors:
        bad.append(f"errors={r.errors}")
    return bad


def report_n(args, n: int, summit: Result, bare: Result | None, label: str = "") -> None:
    print()
    procs = f", {summit.processes} server processes" if summit.processes > 1 else ""
    print(f"n={n} subscribers{procs}{' (' + label + ')' if label else ''}")
    print(f"{'':<36}{'bare':>14}{'summit':>14}{'ratio':>8}{'target':>12}")

    def row(name, b, s, ratio="", target=""):
        print(f"{name:<36}{b:>14}{s:>14}{ratio:>8}{target:>12}")

    b = bare
    row("delivery latency p50", f"{b.pct(50):.1f}ms" if b else "", f"{summit.pct(50):.1f}ms")
    ratio = summit.pct(99) / b.pct(99) if b and b.pct(99) else 0.0
    row(
        "delivery latency p99",
        f"{b.pct(99):.1f}ms" if b else "",
        f"{summit.pct(99):.1f}ms",
        f"{ratio:.2f}" if b else "",
        f"<= {TARGET_RATIO}x" if b else "",
    )
    row(
        "fan-out alone p50/p99 (after the 1st)",
        f"{b.spread(50):.0f}/{b.spread(99):.0f}ms" if b else "",
        f"{summit.spread(50):.0f}/{summit.spread(99):.0f}ms",
    )
    row(
        "delivery latency max",
        f"{max(b.latencies, default=0):.1f}ms" if b else "",
        f"{max(summit.latencies, default=0):.1f}ms",
    )
    row(
        "server memory per connection",
        f"{b.kb_per_conn:.1f}KB" if b else "",
        f"{summit.kb_per_conn:.1f}KB",
        "",
        f"<= {TARGET_KB}KB",
    )
    row("connecting all (s)", f"{b.connect_s:.1f}" if b else "", f"{summit.connect_s:.1f}")
    row("whole run, start to stop (s)", f"{b.wall_s:.1f}" if b else "", f"{summit.wall_s:.1f}")
    row(
        "server CPU connecting, loop+threads (s)",
        f"{b.connect_cpu[0]:.1f}+{b.connect_cpu[1]:.1f}" if b else "",
        f"{summit.connect_cpu[0]:.1f}+{summit.connect_cpu[1]:.1f}",
    )
    row(
        "server CPU, messages: loop+threads (s)",
        f"{b.server_loop_cpu_s:.1f}+{b.server_cpu_s - b.server_loop_cpu_s:.1f}" if b else "",
        f"{summit.server_loop_cpu_s:.1f}+{summit.server_cpu_s - summit.server_loop_cpu_s:.1f}",
    )
    row(
        "  per delivered message (us)",
        f"{b.server_cpu_s / max(1, b.delivered) * 1e6:.0f}" if b else "",
        f"{summit.server_cpu_s / max(1, summit.delivered) * 1e6:.0f}",
    )
    row(
        "load generator CPU, whole run (s)",
        f"{b.client_cpu_s:.1f}" if b else "",
        f"{summit.client_cpu_s:.1f}",
    )
    row(
        "posting a message p50/max (ms)",
        f"{percentile(b.publish_ms, 50):.1f}/{max(b.publish_ms, default=0):.0f}" if b else "",
        f"{percentile(summit.publish_ms, 50):.1f}/{max(summit.publish_ms, default=0):.0f}",
    )
    for r, name in ((b, "bare"), (summit, "summit")):
        if r is None:
            continue
        per = r.by_message()
        print(
            f"{name}: p99 of each message (ms, the reconnections start at #{r.events // 2}): "
            + " ".join(f"{percentile(per.get(i, []), 99):.0f}" for i in range(r.events))
        )
        print(
            f"{name}: delivered={r.delivered}/{r.expected} lost={r.lost} gaps={r.gaps} "
            f"duplicates={r.duplicates} resets={r.resets} reconnected={r.reconnected}/{r.reconnect_asked} "
            f"replayed={r.replayed} drops={r.drops} evicted={r.evicted} connect_failed={r.connect_failed} "
            f"errors={r.errors}"
        )
        for note in r.notes[:12]:
            print(f"  ! {name}: {note}")


def summary_n(args, n: int, summit: Result, bare: Result | None, largest: int) -> tuple[str, bool, bool]:
    bare_p99 = bare.pct(99) if bare else 0.0
    ratio = summit.pct(99) / bare_p99 if bare_p99 else 0.0
    missed = summit.kb_per_conn > TARGET_KB or (bare is not None and n == largest and ratio > TARGET_RATIO)
    line = (
        f"live_fanout n={n}: p50={summit.pct(50):.1f}ms p99={summit.pct(99):.1f}ms "
        f"bare_p99={bare_p99:.1f}ms ratio={ratio:.2f} delivered={summit.delivered} expected={summit.expected} "
        + " ".join(f"{k}={v}" for k, v in counters(summit).items())
        + f" kb_per_conn={summit.kb_per_conn:.1f}"
        + (f" bare_kb_per_conn={bare.kb_per_conn:.1f}" if bare else "")
        + f" reconnected={summit.reconnected} replayed={summit.replayed} errors={summit.errors + summit.connect_failed + summit.publish_failed}"
    )
    return line, bool(failures(summit)), missed


def summary_redis(r: Result) -> tuple[str, bool, bool]:
    line = (
        f"live_fanout redis: subscribers={r.n} processes={r.processes} p50={r.pct(50):.1f}ms "
        f"p99={r.pct(99):.1f}ms delivered={r.delivered} expected={r.expected} "
        + " ".join(f"{k}={v}" for k, v in counters(r).items())
        + f" kb_per_conn={r.kb_per_conn:.1f} reconnected={r.reconnected} replayed={r.replayed} "
        f"errors={r.errors + r.connect_failed + r.publish_failed}"
    )
    return line, bool(failures(r)), r.kb_per_conn > TARGET_KB


if __name__ == "__main__":
    sys.exit(main())
