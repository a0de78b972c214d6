"""Seat rush benchmark: thousands of participants book one session the moment booking opens.

    .venv/bin/python benchmarks/seat_rush.py [--quick] [--kill-workers N]

Serves Summit exactly as docs/operations.md says production does (gunicorn, ``src/summit/gunicorn.conf.py``,
sync workers), started by this script against a fresh database: SQLite in a temporary SUMMIT_VAR_DIR
always, and PostgreSQL too when SUMMIT_DATABASE_URL points at a server (a throwaway database is created
next to the one named there and dropped afterwards). Tables come from ``summit migrate``; participants,
their API tokens and the session are built with the ORM before the server starts.

One asyncio process (a minimal HTTP/1.1 client on asyncio streams) keeps 64 requests in flight:
  raw limit   the booking transaction alone on one connection, no HTTP, no ORM (SQLite: WAL,
              synchronous=FULL, BEGIN IMMEDIATE; count; insert; commit. PostgreSQL: BEGIN; SELECT ... FOR
              UPDATE; count; insert; COMMIT), in tx/s;
  ceiling     ``/livez`` (an empty Django view, no database) through the same server, in req/s;
  rush        2,000 approved participants, each with its own token, POST one booking each (own
              idempotency key) for ONE 300-seat session: 300 must get 201 ``booked``, the other 1,700 409
              ``full`` offering the waitlist;
  waitlist    the first 200 who missed out (by answer time) join the waitlist, then 100 of the booked
              cancel at once: exactly the 100 earliest waitlist positions must be promoted, once each, and
              the rest keep their order.
Counters: oversold, lost (a 2xx whose booking is not stored), duplicate (two active bookings of one person,
or a stored key whose booking is another one), unacked (a stored booking nobody was told about, or one its
key does not return), errors (5xx, timeouts, refused connections, unexpected answers), waitlist_out_of_order.
The script exits non-zero when a counter is not zero (``--strict``: also when a speed target is missed).

``--kill-workers N`` is the crash test: during the rush, N gunicorn workers (children of the master, read
from /proc) are killed with SIGKILL, spread over the part of it that sells the seats (after 1/(N+1),
2/(N+1), ... of as many answers as there are seats), where a crash can fall between a booking's commit and
its answer; the master starts new ones. A client whose connection drops (reset, or closed before a whole
answer) sends the same request again, same idempotency key, up to 5 times with a growing pause: a retry of
a booking that was committed before the kill must answer 200 with that stored booking, one that was not
must book (201) or answer full as any other attempt. ``errors`` then counts everything but the drops the
retries recovered.
The summary line is labelled ``sqlite-kill`` / ``postgresql-kill`` and carries ``killed``, ``retried``
(requests that needed a retry) and ``replayed`` (retries answered from a booking stored before the kill);
speed targets are not checked in this mode, ``--strict`` fails when fewer than N workers were killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
BIN = Path(sys.executable).parent
GUNICORN_CONFIG = ROOT / "src" / "summit" / "gunicorn.conf.py"
SLUG = "rush"
TARGET_P99_MS = 300
TARGET_RATIO = {"sqlite": 0.1, "postgresql": 0.25}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="300 participants, 50 seats (well under a minute)"
    )
    parser.add_argument("--participants", type=int, help="rushing participants (default 2000; 300 quick)")
    parser.add_argument("--seats", type=int, help="seats of the session (default 300; 50 quick)")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight (default 64)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the config's, 2 per core)")
    parser.add_argument(
        "--waitlist", type=int, help="who join the waitlist afterwards (default 200; 40 quick)"
    )
    parser.add_argument("--cancel", type=int, help="booked who cancel afterwards (default 100; 20 quick)")
    parser.add_argument("--ceiling-requests", type=int, help="/livez requests (default 3000; 600 quick)")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run the server under py-spy (on PATH or PY_SPY) and write its collapsed stacks to FILE",
    )
    parser.add_argument(
        "--kill-workers",
        type=int,
        default=0,
        metavar="N",
        help="kill -9 N gunicorn workers during the rush; clients retry dropped requests with the same key",
    )
    parser.add_argument("--strict", action="store_true", help="also exit non-zero when a target is missed")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    args.participants = args.participants or (300 if quick else 2000)
    args.seats = args.seats or (50 if quick else 300)
    args.waitlist = args.waitlist if args.waitlist is not None else (40 if quick else 200)
    args.cancel = args.cancel if args.cancel is not None else (20 if quick else 100)
    args.ceiling_requests = args.ceiling_requests or (600 if quick else 3000)
    return args


def main() -> int:
    args = parse_args()
    if args.only:
        return run_one(args)
    url = os.environ.get("SUMMIT_DATABASE_URL", "")
    labels = ["sqlite"] + (["postgresql"] if is_postgres(url) else [])
    # One process per database: Django is configured once per process, and each run starts clean.
    return run_children([[__file__, "--only", label, *sys.argv[1:]] for label in labels], "seat_rush ")


def run_children(commands: list[list[str]], prefix: str) -> int:
    """Run each of ``commands`` (a script and its arguments) in a Python process of its own, one after the
    other, passing their output through; then print again the summary lines (those starting with ``prefix``).
    Non-zero if a child failed or did not print its summary line."""
    summaries, failed = [], False
    for command in commands:
        child = subprocess.Popen(
            [sys.executable, "-u", *command], stdout=subprocess.PIPE, text=True, bufsize=1
        )
        for line in child.stdout:
            print(line, end="", flush=True)
            if line.startswith(prefix):
                summaries.append(line.rstrip())
        failed |= child.wait() != 0
    print()
    for line in summaries:
        print(line)
    return 1 if failed or len(summaries) != len(commands) else 0


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "pgsql://"))


def pg_dsn(url: str) -> str:
    return urlunparse(urlparse(url)._replace(scheme="postgresql", query=""))


# --- one database --------------------------------------------------------------------------------------------


@dataclass
class Answer:
    index: int  # which participant (or job)
    status: int | None
    body: object
    started: float
    ended: float
    error: str = ""
    tries: int = 1  # more than one: the connection dropped and the same request was sent again

    @property
    def ms(self) -> float:
        return (self.ended - self.started) * 1000


@dataclass
class Tally:
    oversold: int = 0
    lost: int = 0
    duplicate: int = 0
    unacked: int = 0
    errors: int = 0
    waitlist_out_of_order: int = 0
    killed: int = 0
    notes: list[str] = field(default_factory=list)

    def error(self, what: str, count: int = 1) -> None:
        if count:
            self.errors += count
            self.notes.append(f"errors +{count}: {what}")

    def add(self, name: str, count: int, what: str) -> None:
        if count:
            setattr(self, name, getattr(self, name) + count)
            self.notes.append(f"{name} +{count}: {what}")

    def counters(self) -> dict[str, int]:
        return {
            "oversold": self.oversold,
            "lost": self.lost,
            "duplicate": self.duplicate,
            "unacked": self.unacked,
            "errors": self.errors,
            "waitlist_out_of_order": self.waitlist_out_of_order,
        }


def run_one(args) -> int:
    with benchmark_environment(args.only, args.workers, prefix="summit-rush-") as (var_dir, server_env):
        return measure(args, args.only, var_dir, server_env)


@contextlib.contextmanager
def benchmark_environment(label: str, workers: int | None, *, prefix: str):
    """A fresh ``SUMMIT_VAR_DIR`` and, for ``postgresql``, a throwaway database next to the one
    ``SUMMIT_DATABASE_URL`` names; yields ``(var_dir, server_env)``: the folder and the environment the
    server starts with (its database through the pool; this process keeps one plain connection). Everything
    is removed afterwards."""
    var_dir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "summit.settings")
    os.environ.update(
        SUMMIT_VAR_DIR=str(var_dir),
        SUMMIT_EMAIL_URL=f"file://{var_dir / 'mail'}",
        SUMMIT_DEBUG="0",
        SUMMIT_LOG_LEVEL="WARNING",
    )
    drop = None
    if label == "postgresql":
        server_url, own_url, drop = create_pg_database(os.environ["SUMMIT_DATABASE_URL"])
    else:
        os.environ.pop("SUMMIT_DATABASE_URL", None)
        server_url = own_url = None
    server_env = dict(os.environ)
    if server_url:
        server_env["SUMMIT_DATABASE_URL"] = server_url
        os.environ["SUMMIT_DATABASE_URL"] = own_url  # this process: one plain connection, no pool
    if workers:
        server_env["SUMMIT_WORKERS"] = str(workers)
    try:
        yield var_dir, server_env
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not be set up when the run failed early
            pass
        if drop:
            drop()
        shutil.rmtree(var_dir, ignore_errors=True)


def create_pg_database(url: str):
    import psycopg

    parsed = urlparse(url)
    name = f"summit_rush_{uuid.uuid4().hex[:10]}"
    admin = pg_dsn(urlunparse(parsed._replace(path="/postgres")))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    print(f"using PostgreSQL, throwaway database {name}")
    server_url = urlunparse(parsed._replace(path="/" + name))  # as configured: the pool stays on
    own_url = urlunparse(parsed._replace(path="/" + name, query="pool=0"))

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return server_url, own_url, drop


def measure(args, label: str, var_dir: Path, server_env: dict) -> int:
    load = os.getloadavg()[0]  # other work on the machine skews every figure: it is printed with them
    started = time.perf_counter()
    subprocess.run([str(BIN / "summit"), "migrate", "--noinput", "-v", "0"], env=server_env, check=True)
    import django

    django.setup()
    from django.db import connection, connections

    data = build_data(args.participants, args.seats, warm=args.concurrency)
    setup_s = time.perf_counter() - started
    raw_tps = raw_limit(label, connection.settings_dict, args.seats, max(args.participants, 1000))
    connections.close_all()

    port = free_port()
    server_env = {**server_env, "SUMMIT_BIND": f"127.0.0.1:{port}"}
    log_path = var_dir / "gunicorn.log"
    server = start_server(server_env, log_path, f"http://127.0.0.1:{port}", profile=args.profile)
    workers = server_env.get("SUMMIT_WORKERS") or str(2 * os.cpu_count())
    tally = Tally()
    killer = None
    if args.kill_workers:
        if server.profiled:
            raise SystemExit("--kill-workers and --profile do not go together")
        # Only a booking that commits can be lost or left unanswered: the kills fall while seats are sold.
        killer = Killer(server.pid, args.kill_workers, int(workers), min(args.seats, args.participants))
    try:
        phases = asyncio.run(drive(f"http://127.0.0.1:{port}", data, args, tally, killer))
        phases["load"] = load
    finally:
        stop_server(server)
    if any(n.startswith("errors") for n in tally.notes):
        tail = log_path.read_text(errors="replace").splitlines()[-15:]
        print("server log (tail):\n  " + "\n  ".join(tail))
    check_rush(data, phases, args.seats, tally)
    check_waitlist(data, phases, args.seats, tally)
    return report(label, args, data, workers, setup_s, raw_tps, phases, tally)


# --- data ----------------------------------------------------------------------------------------------------


def make_people(event, category, count: int, *, prefix: str) -> tuple[list, list]:
    """``count`` accounts and approved on-site participants of ``category``, in two bulk inserts."""
    from django.contrib.auth import get_user_model

    from summit.registration.models import Participant

    users = get_user_model().objects.bulk_create(
        get_user_model()(email=f"{prefix}{i:05d}@bench.example.org", password="!") for i in range(count)
    )
    people = Participant.objects.bulk_create(
        Participant(
            event=event,
            category=category,
            user=user,
            email=user.email,
            given_name="Wei",
            family_name=f"Wang{i}",
            given_name_latin="Wei",
            family_name_latin=f"Wang{i}",
            name_order=Participant.FAMILY_FIRST,
            country="CN",
            attendance_mode=Participant.ONSITE,
            language="en",
            status=Participant.APPROVED,
            search_text=f"wei wang{i}\n{user.email}",
        )
        for i, user in enumerate(users)
    )
    return users, people


def build_data(n: int, seats: int, *, warm: int) -> dict:
    """The event, the session, and ``n`` (+``warm``) approved on-site participants with their API tokens."""
    from datetime import timedelta

    from summit.accounts.models import ApiToken, hash_token
    from summit.events.testing import make_event
    from summit.program.testing import make_forum, make_session
    from summit.registration.testing import make_category

    event = make_event(SLUG)
    category = make_category(event, "company", needs_approval=False)
    forum = make_forum(event, slug="opening")
    session = make_session(
        event, forum, capacity=seats, online=True, title_en="Opening keynote", title_zh="开幕主旨演讲"
    )
    # The warm-up requests book another session (first call of each worker), never the rushed one.
    warm_session = make_session(event, forum, start=event.start + timedelta(days=1), capacity=warm + 1)
    users, people = make_people(event, category, n + warm, prefix="rush")
    raws = ["smt_" + secrets.token_urlsafe(30) for _ in users]
    ApiToken.objects.bulk_create(
        ApiToken(event=event, user=user, name="app", prefix=raw[:10], token_hash=hash_token(raw))
        for user, raw in zip(users, raws, strict=True)
    )
    return {
        "session": session.pk,
        "warm_session": warm_session.pk,
        "participants": [p.pk for p in people[:n]],
        "tokens": raws[:n],
        "warm_tokens": raws[n:],
    }


# --- the raw limit -------------------------------------------------------------------------------------------


def raw_limit(label: str, settings_dict: dict, seats: int, count: int, min_seconds: float = 1.5) -> float:
    """Booking transactions per second on one bare connection: lock, count, insert, commit."""
    if label == "sqlite":
        conn = sqlite3.connect(settings_dict["NAME"], isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        cur = conn.cursor()
        begin, lock, ph = "BEGIN IMMEDIATE", None, "?"
        pk = "INTEGER PRIMARY KEY"
    else:
        import psycopg

        conn = psycopg.connect(pg_dsn(os.environ["SUMMIT_DATABASE_URL"]), autocommit=True)
        cur = conn.cursor()
        begin, ph = "BEGIN", "%s"
        lock = "SELECT capacity FROM bench_raw_session WHERE id = %s FOR UPDATE"
        pk = "BIGSERIAL PRIMARY KEY"
    try:
        cur.execute("DROP TABLE IF EXISTS bench_raw_booking")
        cur.execute("DROP TABLE IF EXISTS bench_raw_session")
        cur.execute("CREATE TABLE bench_raw_session (id INTEGER PRIMARY KEY, capacity INTEGER NOT NULL)")
        cur.execute(
            f"CREATE TABLE bench_raw_booking (id {pk}, session_id INTEGER NOT NULL, participant_id INTEGER "
            "NOT NULL, mode VARCHAR(10) NOT NULL, status VARCHAR(12) NOT NULL, created_at TIMESTAMP NOT NULL)"
        )
        cur.execute("CREATE INDEX bench_raw_booking_count ON bench_raw_booking (session_id, status, mode)")
        cur.execute(f"INSERT INTO bench_raw_session (id, capacity) VALUES (1, {ph})", (seats,))
        count_sql = (
            "SELECT count(*) FROM bench_raw_booking WHERE session_id = "
            f"{ph} AND status = 'booked' AND mode = 'onsite'"
        )
        insert_sql = (
            "INSERT INTO bench_raw_booking (session_id, participant_id, mode, status, created_at) "
            f"VALUES ({ph}, {ph}, 'onsite', {ph}, CURRENT_TIMESTAMP)"
        )
        done = 0
        started = time.perf_counter()
        while done < count or time.perf_counter() - started < min_seconds:
            cur.execute(begin)
            if lock:
                cur.execute(lock, (1,))
                cur.fetchone()
            cur.execute(count_sql, (1,))
            taken = cur.fetchone()[0]
            cur.execute(insert_sql, (1, done, "booked" if taken < seats else "waitlisted"))
            cur.execute("COMMIT")
            done += 1
        elapsed = time.perf_counter() - started
        cur.execute("DROP TABLE bench_raw_booking")
        cur.execute("DROP TABLE bench_raw_session")
        return done / elapsed
    finally:
        conn.close()


# --- the server ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, log_path: Path, base: str, *, profile: str | None = None) -> subprocess.Popen:
    """The production command of docs/operations.md; returns once ``/healthz`` answers."""
    command = [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONFIG), "summit.wsgi:application"]
    if profile:
        py_spy = os.environ.get("PY_SPY") or shutil.which("py-spy") or "py-spy"
        out = Path(profile).resolve()
        out = out.with_name(
            f"{out.stem}-{env.get('SUMMIT_DATABASE_URL') and 'postgresql' or 'sqlite'}{out.suffix}"
        )
        command = [
            py_spy,
            "record",
            "--subprocesses",
            "--format",
            "raw",
            "--rate",
            "200",
            "-o",
            str(out),
            "--",
        ]
        command += [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONFIG), "summit.wsgi:application"]
    log = log_path.open("wb")
    server = subprocess.Popen(
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    server.profiled = bool(profile)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"gunicorn did not answer /healthz:\n{log_path.read_text(errors='replace')}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        # Under py-spy the gunicorn master is py-spy's child: stop it, and py-spy writes its profile.
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
        profiled = getattr(server, "profiled", False)
        pids = children.read_text().split() if profiled and children.exists() else []
        master = [int(pid) for pid in pids if "gunicorn" in Path(f"/proc/{pid}/cmdline").read_text()]
        for pid in master or [server.pid]:
            os.kill(pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class Killer:
    """Kills ``count`` workers of the gunicorn master ``master`` with SIGKILL as the answers come in: after
    1/(count+1), 2/(count+1), ... of ``span`` answers. It takes the oldest living worker each time (one that
    has booted and is serving, not one the master has just started in place of the last one killed)."""

    def __init__(self, master: int, count: int, workers: int, span: int):
        self.master, self.count, self.workers, self.total = master, count, workers, span
        self.killed: list[int] = []

    def workers_now(self) -> list[int]:
        """The master's children, oldest first (by start time, field 22 of /proc/<pid>/stat)."""
        children = Path(f"/proc/{self.master}/task/{self.master}/children")
        found = []
        for pid in children.read_text().split():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue  # gone meanwhile
            found.append((int(stat.rsplit(")", 1)[1].split()[19]), int(pid)))
        return [pid for _started, pid in sorted(found)]

    def progress(self, done: int) -> None:
        due = self.total and len(self.killed) < self.count
        if due and done >= self.total * (len(self.killed) + 1) / (self.count + 1):
            for pid in self.workers_now():
                if pid not in self.killed:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        continue
                    self.killed.append(pid)
                    return

    async def respawned(self, timeout: float = 60.0) -> bool:
        """Whether the master is back to its number of workers, none of them a killed one, in ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            living = set(self.workers_now())
            if len(living) == self.workers and not living & set(self.killed):
                return True
            await asyncio.sleep(0.2)
        return False


# --- the client ----------------------------------------------------------------------------------------------

# A connection that drops before a whole answer came (the worker died): the request is sent again.
DROPPED = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, asyncio.IncompleteReadError)
RETRIES = 5


class Http:
    """A minimal HTTP/1.1 client on asyncio streams: one connection per request, as gunicorn's sync workers
    close every connection after answering. It costs the shared CPU a fraction of a general-purpose client
    (design.md §8: the load generator must stay lean), and reads each answer by its Content-Length."""

    def __init__(self, base: str, timeout: float = 60.0):
        url = urlparse(base)
        self.host, self.port = url.hostname, url.port or 80
        self.host_header = f"{self.host}:{self.port}".encode()
        self.timeout = timeout

    def encode(self, method: str, path: str, headers: dict | None, body: bytes | None) -> bytes:
        lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self.host_header, b"Connection: close"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}".encode())
        if body is not None:
            lines.append(b"Content-Length: %d" % len(body))
        return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")

    async def send(self, request: bytes) -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = None
            for line in head.split(b"\r\n")[1:]:
                name, _sep, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await (reader.readexactly(length) if length is not None else reader.read())
            return status, body
        finally:
            writer.close()


async def fire(
    http: Http, jobs: list[tuple], concurrency: int, origin: float, killer: Killer | None = None
) -> list[Answer]:
    """Send ``jobs`` (method, path, headers, body bytes or None), ``concurrency`` in flight at any time. A
    dropped connection sends the same bytes (so the same idempotency key) again, at most ``RETRIES`` times;
    ``killer`` hears how many answers came so far."""
    results: list[Answer] = []
    queue = iter(enumerate([http.encode(*job) for job in jobs]))

    async def send(request: bytes) -> tuple[int, bytes, int]:
        for attempt in range(RETRIES + 1):
            try:
                async with asyncio.timeout(http.timeout):
                    status, payload = await http.send(request)
                return status, payload, attempt + 1
            except DROPPED:
                if attempt == RETRIES:
                    raise
                await asyncio.sleep(0.05 * 2**attempt * (1 + secrets.randbelow(100) / 100))
        raise AssertionError("unreachable")

    async def worker():
        for index, request in queue:
            started = time.perf_counter()
            try:
                status, payload, tries = await send(request)
                ended = time.perf_counter()
                try:
                    parsed = json.loads(payload) if payload else None
                except ValueError:
                    parsed = payload[:200]
                results.append(Answer(index, status, parsed, started - origin, ended - origin, tries=tries))
            except Exception as exc:  # noqa: BLE001 - timeouts, refused and reset connections are counted
                ended = time.perf_counter()
                results.append(Answer(index, None, None, started - origin, ended - origin, repr(exc)))
            if killer:
                killer.progress(len(results))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    results.sort(key=lambda a: a.index)
    return results


def booking_job(session: int, token: str, *, join_waitlist: bool = False) -> tuple:
    body = json.dumps(
        {"mode": "onsite", "join_waitlist": join_waitlist, "idempotency_key": str(uuid.uuid4())}
    ).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return ("POST", f"/api/events/{SLUG}/sessions/{session}/bookings", headers, body)


async def drive(base: str, data: dict, args, tally: Tally, killer: Killer | None = None) -> dict:
    http = Http(base)
    phases = {}
    # Warm-up: every worker imports and connects, and runs the booking path once (another session).
    health = [("GET", "/livez", None, None)]
    warm = await fire(http, health * 200, args.concurrency, time.perf_counter())
    tally.error("warm-up /livez", sum(1 for a in warm if a.status != 200))
    warm = await fire(
        http,
        [booking_job(data["warm_session"], t) for t in data["warm_tokens"]],
        args.concurrency,
        time.perf_counter(),
    )
    tally.error("warm-up bookings", sum(1 for a in warm if not acknowledged_status(a)))

    origin = time.perf_counter()
    cpu = time.process_time()
    ceiling = await fire(http, health * args.ceiling_requests, args.concurrency, origin)
    phases["client_cpu_ceiling"] = (time.process_time() - cpu) / len(ceiling)
    phases["ceiling"] = ceiling
    bad = [a for a in ceiling if a.status != 200]
    tally.error("/livez answers", len(bad))

    jobs = [booking_job(data["session"], t) for t in data["tokens"]]
    origin = time.perf_counter()
    cpu = time.process_time()
    phases["rush_keys"] = [json.loads(job[3])["idempotency_key"] for job in jobs]
    phases["rush"] = await fire(http, jobs, args.concurrency, origin, killer)
    phases["client_cpu_rush"] = (time.process_time() - cpu) / len(jobs)
    if killer:
        tally.killed = len(killer.killed)
        if not await killer.respawned():
            tally.error("the master did not start new workers in place of the killed ones")

    # Waitlist: the first who missed out (by answer time) join, then some of the booked cancel at once.
    missed = sorted(
        (a for a in phases["rush"] if is_full(a.status, a.body)),
        key=lambda a: a.ended,
    )[: args.waitlist]
    joiners = [a.index for a in missed]
    phases["joiners"] = joiners
    jobs = [booking_job(data["session"], data["tokens"][i], join_waitlist=True) for i in joiners]
    origin = time.perf_counter()
    phases["join"] = await fire(http, jobs, args.concurrency, origin)
    phases["waitlist_before"] = await asyncio.to_thread(waitlist_snapshot, data["session"])

    booked = sorted(
        (a for a in phases["rush"] if is_booked(a, data["session"])),
        key=lambda a: a.ended,
    )[: args.cancel]
    phases["cancellers"] = [(a.index, a.body["id"]) for a in booked]
    jobs = [
        (
            "DELETE",
            f"/api/events/{SLUG}/me/bookings/{booking_id}",
            {"Authorization": f"Bearer {data['tokens'][i]}"},
            None,
        )
        for i, booking_id in phases["cancellers"]
    ]
    origin = time.perf_counter()
    phases["cancel"] = await fire(http, jobs, args.concurrency, origin)
    return phases


def acknowledged_status(answer: Answer) -> bool:
    """201; or 200, the first result of a retried request (its first attempt committed, then the connection
    dropped). A 200 to a first attempt would mean its fresh key was seen before."""
    return answer.status == 201 or (answer.status == 200 and answer.tries > 1)


def is_booked(answer: Answer, session: int) -> bool:
    """201 booked; or 200 with the booking a first attempt stored before its connection dropped."""
    body = answer.body
    return (
        acknowledged_status(answer)
        and isinstance(body, dict)
        and isinstance(body.get("id"), int)
        and body.get("session") == session
        and body.get("mode") == "onsite"
        and body.get("status") == "booked"
        and body.get("waitlist_position") is None
    )


def is_full(status, body) -> bool:
    return (
        status == 409
        and isinstance(body, dict)
        and body.get("code") == "full"
        and "waitlist" in (body.get("offers") or [])
        and bool(body.get("detail"))
    )


def describe(answer: Answer) -> str:
    if answer.status is None:
        return answer.error[:80]
    code = answer.body.get("code") if isinstance(answer.body, dict) else None
    return f"HTTP {answer.status}" + (f" {code}" if code else "")


# --- checks --------------------------------------------------------------------------------------------------


def waitlist_snapshot(session: int) -> list[tuple[int, int, int]]:
    """(booking id, participant id, position) of the session's waitlist, in position order."""
    from django.db import connections

    from summit.program.models import Booking

    try:
        return list(
            Booking.objects.filter(session_id=session, status=Booking.WAITLISTED)
            .order_by("waitlist_position", "pk")
            .values_list("pk", "participant_id", "waitlist_position")
        )
    finally:
        connections.close_all()


def session_bookings(session: int) -> list[dict]:
    from summit.program.models import Booking

    return list(
        Booking.objects.filter(session_id=session).values(
            "pk", "participant_id", "mode", "status", "waitlist_position", "promoted_at"
        )
    )


def acknowledged(answers: list[Answer], participants: list[int], predicate, tally: Tally, what: str):
    """{booking id: participant} of the 2xx answers; counts ids acknowledged to two clients."""
    acked: dict[int, int] = {}
    for answer in answers:
        if predicate(answer):
            booking_id = answer.body["id"]
            if booking_id in acked:
                tally.add("duplicate", 1, f"{what}: booking {booking_id} acknowledged to two clients")
            acked[booking_id] = participants[answer.index]
    return acked


def check_rush(data: dict, phases: dict, seats: int, tally: Tally) -> None:
    session, participants = data["session"], data["participants"]
    rush = phases["rush"]
    odd = Counter(describe(a) for a in rush if not (is_booked(a, session) or is_full(a.status, a.body)))
    for what, count in odd.items():
        tally.error(f"rush answer {what}", count)
    acked = acknowledged(rush, participants, lambda a: is_booked(a, session), tally, "rush")
    phases["rush_acked"] = acked
    # Stored state before the waitlist phase: the rush's bookings are those not on the waitlist then.
    waitlisted = {row[0] for row in phases["waitlist_before"]}
    rows = [r for r in session_bookings(session) if r["pk"] not in waitlisted]
    by_id = {r["pk"]: r for r in rows}
    cancelled_later = {booking_id for _i, booking_id in phases["cancellers"]}
    for booking_id, participant in acked.items():
        row = by_id.get(booking_id)
        if row is None or row["participant_id"] != participant or row["mode"] != "onsite":
            tally.add("lost", 1, f"booking {booking_id} acknowledged but not stored")
        elif row["status"] != "booked" and booking_id not in cancelled_later:
            tally.add("lost", 1, f"booking {booking_id} acknowledged but {row['status']}")
    for row in rows:
        if row["pk"] not in acked and row["promoted_at"] is None:
            tally.add("unacked", 1, f"booking {row['pk']} stored but nobody was told")
    stored_rush = sum(1 for r in rows if r["promoted_at"] is None)
    phases["stored_rush"] = stored_rush
    check_rush_keys(data, phases, rows, tally)
    tally.add("oversold", max(0, stored_rush - seats), f"{stored_rush} bookings stored for {seats} seats")
    fulls = sum(1 for a in rush if is_full(a.status, a.body))
    if len(acked) < seats and fulls:
        tally.error(f"'full' answered while {seats - len(acked)} seats were free", fulls)


def check_rush_keys(data: dict, phases: dict, rows: list[dict], tally: Tally) -> None:
    """Each rushing participant sent one key: at most one booking each, and the key stored exactly with it
    (a key without its booking, or a booking its key does not return, would answer a retry wrongly)."""
    from summit.core.models import IdempotencyKey

    twice = Counter(r["participant_id"] for r in rows)
    tally.add("duplicate", sum(c - 1 for c in twice.values() if c > 1), "two bookings of one participant")
    booking_of = {r["participant_id"]: r["pk"] for r in rows}
    keys = {
        f"participant:{pk}": key for pk, key in zip(data["participants"], phases["rush_keys"], strict=True)
    }
    stored = {
        owner: result.get("id") if isinstance(result, dict) else None
        for owner, key, result in IdempotencyKey.objects.filter(
            owner__in=list(keys), key__in=list(keys.values())
        ).values_list("owner", "key", "result")
        if keys[owner] == key
    }
    for participant in data["participants"]:
        booking, kept = booking_of.get(participant), stored.get(f"participant:{participant}")
        if booking is None and kept is not None:
            tally.add("lost", 1, f"key of participant {participant} stored without its booking {kept}")
        elif booking is not None and kept is None:
            tally.add("unacked", 1, f"booking {booking} stored without its key")
        elif booking != kept:
            tally.add("duplicate", 1, f"key of participant {participant} names {kept}, stored is {booking}")


def check_waitlist(data: dict, phases: dict, seats: int, tally: Tally) -> None:
    session, participants = data["session"], data["participants"]
    join, joiners = phases["join"], phases["joiners"]

    def joined(answer):
        body = answer.body
        return (
            acknowledged_status(answer)
            and isinstance(body, dict)
            and isinstance(body.get("id"), int)
            and body.get("status") == "waitlisted"
            and body.get("session") == session
            and isinstance(body.get("waitlist_position"), int)
            and body["waitlist_position"] >= 1
        )

    for what, count in Counter(describe(a) for a in join if not joined(a)).items():
        tally.error(f"waitlist join answer {what}", count)
    join_participants = [participants[i] for i in joiners]
    acked = acknowledged(join, join_participants, joined, tally, "waitlist")
    before = phases["waitlist_before"]
    order = [row[0] for row in before]
    stored = {row[0]: row[1] for row in before}
    for booking_id, participant in acked.items():
        if stored.get(booking_id) != participant:
            tally.add("lost", 1, f"waitlist booking {booking_id} acknowledged but not stored")
    tally.add("unacked", len(set(stored) - set(acked)), "waitlist bookings stored but nobody was told")
    # FIFO as clients saw it: who had their answer before another one asked must stand before them.
    position = {row[0]: row[2] for row in before}
    seen = [
        (a.started, a.ended, position[a.body["id"]]) for a in join if joined(a) and a.body["id"] in position
    ]
    inversions = sum(1 for s1, e1, p1 in seen for s2, _e2, p2 in seen if e1 < s2 and p1 > p2)
    tally.add("waitlist_out_of_order", inversions, "a later joiner stands before an earlier one")

    cancel = phases["cancel"]
    cancellers = phases["cancellers"]
    confirmed = []
    for answer, (_i, booking_id) in zip(cancel, cancellers, strict=True):
        body = answer.body
        if answer.status == 200 and isinstance(body, dict) and body.get("status") == "cancelled":
            confirmed.append(booking_id)
        else:
            tally.error(f"cancel answer {describe(answer)}")
    ok = len(confirmed)
    after = {r["pk"]: r for r in session_bookings(session)}
    for booking_id in confirmed:
        if after.get(booking_id, {}).get("status") != "cancelled":
            tally.add("lost", 1, f"cancellation of {booking_id} acknowledged but not stored")
    # The promoted must be the earliest positions (as many as seats were freed), each promoted once.
    promoted = [pk for pk in order if after.get(pk, {}).get("status") == "booked"]
    wrong = set(promoted) ^ set(order[: len(promoted)])
    tally.add("waitlist_out_of_order", len(wrong), "promoted someone other than the earliest positions")
    # The rest keep their relative order: no one removed, no one jumping ahead of another.
    rank = {pk: i for i, pk in enumerate(order)}
    remaining = [
        pk
        for pk, _p in sorted(
            ((pk, r["waitlist_position"]) for pk, r in after.items() if r["status"] == "waitlisted"),
            key=lambda item: item[1],
        )
    ]
    promoted_set = set(promoted)
    expected_rest = [pk for pk in order if pk not in promoted_set]
    missing = len(set(expected_rest) ^ set(remaining))
    jumps = sum(
        1 for a, b in zip(remaining, remaining[1:], strict=False) if rank.get(a, -1) > rank.get(b, -1)
    )
    tally.add("waitlist_out_of_order", missing + jumps, "the remaining waitlist changed order")
    active = Counter(r["participant_id"] for r in after.values() if r["status"] in ("booked", "waitlisted"))
    twice = sum(c - 1 for c in active.values() if c > 1)
    tally.add("duplicate", twice, "participants with two active bookings of the session")
    tally.add("waitlist_out_of_order", twice, "promoted twice")
    booked = sum(1 for r in after.values() if r["status"] == "booked" and r["mode"] == "onsite")
    counted = max(0, phases["stored_rush"] - seats)  # oversold in the rush already
    tally.add("oversold", max(0, booked - seats - counted), f"{booked} seats booked after promotion")
    should = min(seats, phases["stored_rush"] - ok + len(order))
    if booked < should:
        tally.add("waitlist_out_of_order", should - booked, "freed seats not given to the waitlist")
    phases["promoted"] = len(promoted)
    phases["cancelled"] = ok


# --- the report ----------------------------------------------------------------------------------------------


def print_table(rows: list[tuple[str, str, str, str, str, str]]) -> None:
    """A report's table: one row per workload, ``(name, raw, summit, ratio, target, result)``, each as text."""
    print(f"{'workload':<44}{'raw':>12}{'summit':>12}{'ratio':>8}{'target':>12}  result")
    for name, raw, summit, r, target, result in rows:
        print(f"{name:<44}{raw:>12}{summit:>12}{r:>8}{target:>12}  {result}")


def reference_row(name: str, per_s: float, rate: float) -> tuple[str, str, str, str, str, str]:
    """A table row for a reference the same server was measured at (``per_s`` requests/s), with the measured
    ``rate``'s share of it."""
    return (name, "", f"{per_s:.1f}/s", f"{rate / per_s if per_s else 0:.2f}", "", "")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def throughput(answers: list[Answer]) -> float:
    if not answers:
        return 0.0
    span = max(a.ended for a in answers) - min(a.started for a in answers)
    return len(answers) / span if span > 0 else 0.0


def report(label, args, data, workers, setup_s, raw_tps, phases, tally: Tally) -> int:
    rush = phases["rush"]
    ceiling = throughput(phases["ceiling"])
    rate = throughput(rush)
    start = min(a.started for a in rush)
    booked = [a for a in rush if is_booked(a, data["session"])]
    sold_out = max((a.ended for a in booked), default=0.0) - start
    booking_rate = len(booked) / sold_out if sold_out > 0 else 0.0
    latencies = [a.ms for a in rush]
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    full_ms = [a.ms for a in rush if is_full(a.status, a.body)]
    ok_ms = [a.ms for a in booked]
    ratio = rate / raw_tps if raw_tps else 0.0
    join_rate, cancel_rate = throughput(phases["join"]), throughput(phases["cancel"])
    fulls = len(full_ms)

    print()
    print(
        f"seat rush ({label}): {args.participants} participants, one session of {args.seats} seats, "
        f"{args.concurrency} in flight, gunicorn {workers} sync workers; set-up {setup_s:.1f}s"
    )
    target_ratio = TARGET_RATIO[label]

    def verdict(ok: bool) -> str:  # killed workers cost speed: the crash test checks correctness only
        return "(crash)" if args.kill_workers else "PASS" if ok else "FAIL"

    rows = [
        (
            "booking attempts/s (whole rush)",
            f"{raw_tps:.1f}/s",
            f"{rate:.1f}/s",
            f"{ratio:.2f}",
            f">= {target_ratio}",
            verdict(ratio >= target_ratio),
        ),
        (f"bookings/s until sold out ({sold_out * 1000:.0f} ms)", "", f"{booking_rate:.1f}/s", "", "", ""),
        reference_row("framework ceiling (/livez) req/s", ceiling, rate),
        ("latency p50 (all attempts)", "", f"{p50:.0f}ms", "", "", ""),
        (
            "latency p99 (all attempts)",
            "",
            f"{p99:.0f}ms",
            "",
            f"<= {TARGET_P99_MS}ms",
            verdict(p99 <= TARGET_P99_MS),
        ),
        (
            "  p50/p99 of 201 booked",
            "",
            f"{percentile(ok_ms, 50):.0f}/{percentile(ok_ms, 99):.0f}ms",
            "",
            "",
            "",
        ),
        (
            "  p50/p99 of 409 full",
            "",
            f"{percentile(full_ms, 50):.0f}/{percentile(full_ms, 99):.0f}ms",
            "",
            "",
            "",
        ),
        (f"waitlist joins ({len(phases['join'])}) req/s", "", f"{join_rate:.1f}/s", "", "", ""),
        (f"cancellations ({len(phases['cancel'])}) req/s", "", f"{cancel_rate:.1f}/s", "", "", ""),
    ]
    print_table(rows)
    print(
        f"load generator CPU per request: {phases['client_cpu_ceiling'] * 1000:.2f}ms (/livez), "
        f"{phases['client_cpu_rush'] * 1000:.2f}ms (rush); machine load (1 min) at the start: {phases['load']:.2f}"
    )
    print(
        f"answers: 201 booked={len(booked)} 409 full={fulls} other={len(rush) - len(booked) - fulls}; "
        f"stored seats={phases['stored_rush']}; waitlist joined={len(phases['waitlist_before'])} "
        f"cancelled={phases['cancelled']} promoted={phases['promoted']}"
    )
    retried = [a for a in rush if a.tries > 1]
    replayed = sum(1 for a in retried if a.status == 200 and is_booked(a, data["session"]))
    if args.kill_workers:
        print(
            f"crash: killed {tally.killed} of {args.kill_workers} workers during the rush; {len(retried)} "
            f"requests retried after a dropped connection ({sum(a.tries - 1 for a in retried)} retries), "
            f"{replayed} of them answered with the booking stored before the kill"
        )
    for note in tally.notes[:20]:
        print(f"  ! {note}")
    counters = tally.counters()
    print("correctness: " + " ".join(f"{k}={v}" for k, v in counters.items()))
    if args.kill_workers:
        print(
            f"seat_rush {label}-kill: killed={tally.killed} attempts={len(rush)} rate={rate:.1f}/s "
            f"retried={len(retried)} replayed={replayed} p50={p50:.0f}ms p99={p99:.0f}ms "
            + " ".join(f"{k}={v}" for k, v in counters.items())
        )
        if tally.killed < args.kill_workers:
            print(f"killed {tally.killed} workers, not {args.kill_workers}")
        return 1 if any(counters.values()) or tally.killed < args.kill_workers else 0
    targets_ok = ratio >= target_ratio and p99 <= TARGET_P99_MS
    if not targets_ok:
        missed = []
        if p99 > TARGET_P99_MS:
            missed.append(f"p99 {p99:.0f}ms > {TARGET_P99_MS}ms")
        if ratio < target_ratio:
            missed.append(f"ratio {ratio:.2f} < {target_ratio}")
        print("targets missed: " + "; ".join(missed))
    print(
        f"seat_rush {label}: attempts={len(rush)} rate={rate:.1f}/s booking_rate={booking_rate:.1f}/s "
        f"raw={raw_tps:.1f}/s ratio={ratio:.2f} ceiling={ceiling:.1f}/s p50={p50:.0f}ms p99={p99:.0f}ms "
        + " ".join(f"{k}={v}" for k, v in counters.items())
    )
    failed = any(counters.values()) or (args.strict and not targets_ok)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
