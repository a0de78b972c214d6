"""Gate rush benchmark: 2,000 badge holders through the gates, offline and online, and their badges printed.

    .venv/bin/python benchmarks/gate_rush.py [--quick] [--strict] [--only offline|online|pdf]

Each part runs in a process of its own against a fresh database (tables from ``summit migrate``, data built
with the ORM): SQLite in a temporary SUMMIT_VAR_DIR always, and for the online part PostgreSQL too when
SUMMIT_DATABASE_URL points at a server (a throwaway database is created next to the one named there and
dropped afterwards). The server, the client and the raw limits are seat_rush's (``benchmarks/seat_rush.py``).

offline   what a gate does with its offline package (``summit.entry.offline.Verifier``: base32 decode,
          prefix, version and event checks, Ed25519 verification, revision, zone, rules, anti-passback) on
          2,000 genuine badge tokens, against the raw limit in the same run: ``public_key.verify(sig, msg)``
          alone on the same 2,000 pre-split pairs (interleaved in chunks of 50, the best of 7 rounds for each chunk). Then 2,000
          forged tokens (a flipped bit in the signature, signed with another key, for another event signed
          with the right key or another one): every one must be refused (``forged_accepted``), and every
          genuine one admitted (``genuine_refused``).
online    8 gates (8 connections, each a gate staff member's API token) scan 2,000 distinct approved badge
          holders through ``POST /api/events/<slug>/entry/scans``, served as in production (gunicorn,
          ``src/summit/gunicorn.conf.py``); 100 of the badges are scanned at two gates at the same moment
          (the pair of gates waits for each other, then both send): exactly one of the two is admitted, the
          other refused ``already_inside``. The zone has an entry rule (a vaccination certificate) and the
          category a badge colour and zones, so every check reads them. Raw limit, in the same run: one
          connection inserting one scan row per transaction, no HTTP, no ORM (SQLite as seat_rush measures
          it: WAL, synchronous=FULL, BEGIN IMMEDIATE; PostgreSQL: BEGIN; INSERT; COMMIT). Two more
          figures of the same server, as many in flight: the framework's ceiling (``ceiling``: ``/livez``,
          an empty view) and the floor of every API call (``api_floor``: ``GET /api/events/`` with the
          gates' tokens, which reads the token and nothing more), with its ratio to the raw limit
          (``floor_ratio``): no scan, which also reads the badge holder and writes, can be faster.
          Counters: ``lost`` (an answer whose scan is not stored as answered, or a stored scan nobody was
          answered), ``double_entries`` (a badge admitted twice without an exit), ``errors`` (5xx, timeouts,
          refused connections, and any answer other than the expected one).
pdf       2,000 badges as one PDF through the ``entry.badges_pdf`` job (eager backend, in this process),
          when that job kind exists; skipped otherwise.

Targets: offline ratio >= 0.8; online ratio >= 0.2 (SQLite) / 0.4 (PostgreSQL) and p99 <= 150 ms; the PDF
in <= 60 s. The script exits non-zero when a counter is not zero (``--strict``: also when a target is
missed). The last lines are one ``gate_rush <part>: key=value ...`` summary per measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from seat_rush import (
    BIN,
    ROOT,
    Answer,
    Http,
    benchmark_environment,
    fire,
    free_port,
    is_postgres,
    make_people,
    percentile,
    pg_dsn,
    print_table,
    reference_row,
    run_children,
    start_server,
    stop_server,
    throughput,
)

SLUG = "gates"
ZONE = "main"
GATES = 8
TARGET_OFFLINE_RATIO = 0.8
TARGET_RATIO = {"sqlite": 0.2, "postgresql": 0.4}
TARGET_P99_MS = 150
TARGET_PDF_SECONDS = 60
CHUNK = 50  # offline: tokens timed at a time
CEILING_REQUESTS = 500


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="400 badges, 20 at two gates (well under a minute)"
    )
    parser.add_argument("--badges", type=int, help="badge holders (default 2000; 400 quick)")
    parser.add_argument(
        "--pairs", type=int, help="badges scanned at two gates at once (default 100; 20 quick)"
    )
    parser.add_argument(
        "--rounds", type=int, default=7, help="offline: timed rounds (the best of each chunk counts)"
    )
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the config's, 2 per core)")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="online: run the server under py-spy and write its collapsed stacks to FILE (seat_rush's)",
    )
    parser.add_argument("--strict", action="store_true", help="also exit non-zero when a target is missed")
    parser.add_argument("--only", choices=["offline", "online", "pdf"], help="one part only")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.badges = args.badges or (400 if args.quick else 2000)
    args.pairs = args.pairs if args.pairs is not None else (20 if args.quick else 100)
    args.pairs = min(args.pairs - args.pairs % (GATES // 2), args.badges // 2)
    return args


def main() -> int:
    args = parse_args()
    if args.database:
        return run_one(args, args.only, args.database)
    url = os.environ.get("SUMMIT_DATABASE_URL", "")
    runs = []
    for part in [args.only] if args.only else ["offline", "online", "pdf"]:
        runs.append((part, "sqlite"))
        if part == "online" and is_postgres(url):
            runs.append((part, "postgresql"))
    rest = [a for a in sys.argv[1:] if a not in ("--only", args.only)]
    # One process per part and database: Django is configured once per process, and each starts clean.
    return run_children(
        [[__file__, *rest, "--only", part, "--database", database] for part, database in runs], "gate_rush "
    )


# --- one part, one database ----------------------------------------------------------------------------------


def run_one(args, part: str, label: str) -> int:
    # This tree's code, in this process and the server's, whatever Summit the virtualenv has installed.
    src = str(ROOT / "src")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    if part == "pdf":
        os.environ["SUMMIT_JOBS_BACKEND"] = "eager"
    with benchmark_environment(label, args.workers, prefix="summit-gates-") as (var_dir, server_env):
        subprocess.run([str(BIN / "summit"), "migrate", "--noinput", "-v", "0"], env=server_env, check=True)
        import django

        django.setup()
        if part == "offline":
            return run_offline(args)
        if part == "pdf":
            return run_pdf(args)
        return run_online(args, label, var_dir, server_env)


# --- data ----------------------------------------------------------------------------------------------------


def build_event(*, rule: bool = True):
    """The event, its main zone and one category whose badge opens it (a colour, the zone), with a rule:
    a vaccination certificate, checked before arrival."""
    from summit.entry.models import CategoryAccess
    from summit.entry.testing import make_rule
    from summit.events.testing import make_event
    from summit.registration.testing import make_category

    event = make_event(SLUG)
    zone = event.zones.get(code=ZONE)
    category = make_category(event, "company", needs_approval=False)
    access = CategoryAccess.objects.create(category=category, colour="#1f6feb")
    access.zones.set([zone])
    if rule:
        make_rule(event, kinds=("vaccination",))
    return event, zone, category


def build_holders(event, category, n: int, *, prefix: str = "gate", proofs: bool = True) -> list[tuple]:
    """``n`` approved on-site participants with badge revision 1 (and an accepted vaccination certificate):
    ``(participant id, token)`` each."""
    from datetime import timedelta

    from django.utils import timezone

    from summit.entry.models import Badge, Proof
    from summit.entry.services import badges

    users, people = make_people(event, category, n, prefix=prefix)
    rows = Badge.objects.bulk_create(Badge(event=event, participant=p, revision=1) for p in people)
    if proofs:
        now = timezone.now()
        Proof.objects.bulk_create(
            Proof(
                event=event,
                participant=p,
                kind="vaccination",
                taken_at=now - timedelta(days=30),
                status=Proof.ACCEPTED,
                decided_at=now,
            )
            for p in people
        )
    return [(badge.participant_id, badges.token_for(badge)) for badge in rows]


def gate_staff_tokens(event, zone, n: int) -> list[str]:
    from summit.accounts.models import ApiToken, hash_token
    from summit.entry.testing import make_gate_staff

    raws = []
    for i in range(n):
        user = make_gate_staff(event, zone, email=f"gate{i}@bench.example.org")
        raw = "smt_" + secrets.token_urlsafe(30)
        ApiToken.objects.create(
            event=event, user=user, name="gate", prefix=raw[:10], token_hash=hash_token(raw)
        )
        raws.append(raw)
    return raws


# --- offline -------------------------------------------------------------------------------------------------


def forgeries(event_id: int, private_key, holders: list[tuple]) -> list[str]:
    """As many forged tokens as ``holders``: flipped signature bits, another key, another event."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from summit.entry import tokens

    other = Ed25519PrivateKey.generate()
    forged = []
    for i, (participant, token) in enumerate(holders):
        kind = i % 4
        if kind == 0:  # one bit of the signature flipped
            _claims, message, signature = tokens.split(token)
            raw = bytearray(signature)
            bit = secrets.randbelow(len(raw) * 8)
            raw[bit // 8] ^= 1 << (bit % 8)
            forged.append(tokens.PREFIX + base64.b32encode(message + bytes(raw)).decode("ascii"))
        elif kind == 1:  # the right claims, signed with another key
            forged.append(tokens.sign(other, event_id=event_id, participant_id=participant, revision=1))
        elif kind == 2:  # another event, signed with this event's key
            forged.append(
                tokens.sign(private_key, event_id=event_id + 1, participant_id=participant, revision=1)
            )
        else:  # another event, signed with its own key
            forged.append(tokens.sign(other, event_id=event_id + 1, participant_id=participant, revision=1))
    return forged


def run_offline(args) -> int:
    from summit.entry import tokens
    from summit.entry.offline import Verifier
    from summit.entry.services import badges, gates

    load = os.getloadavg()[0]
    started = time.perf_counter()
    event, zone, category = build_event()
    holders = build_holders(event, category, args.badges)
    package = json.loads(json.dumps(gates.offline_package(event=event, zone=zone)))
    setup_s = time.perf_counter() - started
    texts = [token for _p, token in holders]
    pairs = [tokens.split(token)[1:] for token in texts]
    public_key = badges.public_key(event)
    forged = forgeries(event.pk, badges._load(event.pk, private=True)[0], holders)

    # Interleaved in chunks, the best time of each chunk over the rounds: both see the same machine.
    chunks = [range(i, min(i + CHUNK, len(texts))) for i in range(0, len(texts), CHUNK)]
    raw_best = [float("inf")] * len(chunks)
    summit_best = [float("inf")] * len(chunks)
    verify = public_key.verify
    genuine_refused = 0
    for _round in range(args.rounds):
        scan = Verifier(package).scan
        admitted = 0
        for c, chunk in enumerate(chunks):
            began = time.perf_counter()
            for i in chunk:
                message, signature = pairs[i]
                verify(signature, message)
            middle = time.perf_counter()
            for i in chunk:
                admitted += scan(texts[i])[0]
            ended = time.perf_counter()
            raw_best[c] = min(raw_best[c], middle - began)
            summit_best[c] = min(summit_best[c], ended - middle)
        genuine_refused = max(genuine_refused, len(texts) - admitted)
    raw_best, summit_best = sum(raw_best), sum(summit_best)
    gate = Verifier(package)
    verdicts = [gate.check(text) for text in forged]
    forged_accepted = sum(1 for admitted, _reason in verdicts if admitted)
    reasons = Counter(reason for _admitted, reason in verdicts)

    rate, raw = len(texts) / summit_best, len(pairs) / raw_best
    ratio = rate / raw
    print()
    print(
        f"gate rush (offline): {len(texts)} badge tokens, {len(package['participants'])} people in the package; "
        f"best of {args.rounds} rounds per chunk of {CHUNK}; set-up {setup_s:.1f}s; machine load (1 min) at the start: {load:.2f}"
    )
    ok = ratio >= TARGET_OFFLINE_RATIO
    print_table(
        [
            (
                "offline verifications/s",
                f"{raw:.1f}/s",
                f"{rate:.1f}/s",
                f"{ratio:.2f}",
                f">= {TARGET_OFFLINE_RATIO}",
                "PASS" if ok else "FAIL",
            )
        ]
    )
    print(f"per token: raw {1e6 / raw:.1f}us, summit {1e6 / rate:.1f}us")
    print(
        f"forged tokens: {len(forged)} refused as "
        + ", ".join(f"{k}={v}" for k, v in sorted(reasons.items()))
    )
    if not ok:
        print(f"targets missed: ratio {ratio:.2f} < {TARGET_OFFLINE_RATIO}")
    print(
        f"gate_rush offline: rate={rate:.1f}/s raw={raw:.1f}/s ratio={ratio:.2f} "
        f"forged_accepted={forged_accepted} genuine_refused={genuine_refused}"
    )
    failed = forged_accepted or genuine_refused or (args.strict and not ok)
    return 1 if failed else 0


# --- online --------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    lost: int = 0
    double_entries: int = 0
    errors: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, count: int, what: str) -> None:
        if count:
            setattr(self, name, getattr(self, name) + count)
            self.notes.append(f"{name} +{count}: {what}")

    def counters(self) -> dict[str, int]:
        return {"lost": self.lost, "double_entries": self.double_entries, "errors": self.errors}


@dataclass
class Item:
    """One scan a gate sends: the badge, and for a badge scanned at two gates at once the pair's barrier."""

    participant: int
    token: str
    barrier: asyncio.Barrier | None = None
    pair: int | None = None


def plan(holders: list[tuple], pairs: int) -> tuple[list[list[tuple]], list[tuple]]:
    """Each gate's scans in order, as ``(participant, token, pair number or None)``, and the pairs.

    The badges of the pairs are scanned in rounds: in each round every gate is in one pair (gates 0-1, 2-3,
    ... in even rounds, 1-2, 3-4, ..., 7-0 in odd ones), at the same place in both gates' lists."""
    paired, singles = holders[:pairs], holders[pairs:]
    lanes: list[list[tuple]] = [[] for _ in range(GATES)]
    for i, (participant, token) in enumerate(singles):
        lanes[i % GATES].append((participant, token, None))
    per_round = GATES // 2
    rounds = pairs // per_round
    shortest = min(len(lane) for lane in lanes)
    step = max(1, shortest // max(rounds, 1))
    couples = []
    for r in range(rounds):
        position = r * step + step // 2 + r  # the pair slots already placed shift the later ones by one each
        for k in range(per_round):
            a = (2 * k + r % 2) % GATES
            b = (a + 1) % GATES
            number = r * per_round + k
            participant, token = paired[number]
            couples.append((a, b, participant))
            lanes[a].insert(position, (participant, token, number))
            lanes[b].insert(position, (participant, token, number))
    return lanes, couples


def scan_request(gate: int, staff_token: str, token: str) -> tuple:
    body = json.dumps(
        {
            "token": token,
            "zone": ZONE,
            "direction": "in",
            "gate": f"Gate {gate + 1}",
            "device": f"bench-gate-{gate + 1}",
            "client_id": uuid.uuid4().hex,
        }
    ).encode()
    headers = {"Authorization": f"Bearer {staff_token}", "Content-Type": "application/json"}
    return ("POST", f"/api/events/{SLUG}/entry/scans", headers, body)


@dataclass
class Sent:
    gate: int
    participant: int
    pair: int | None
    answer: Answer


async def run_gates(http: Http, lanes: list[list[tuple]], staff: list[str], origin: float) -> list[Sent]:
    """The 8 gates at once, each one scan at a time; the two gates of a pair wait for each other at its
    badge and then send together."""
    barriers: dict[int, asyncio.Barrier] = defaultdict(lambda: asyncio.Barrier(2))
    sent: list[Sent] = []

    async def gate(g: int):
        for participant, token, pair in lanes[g]:
            request = http.encode(*scan_request(g, staff[g], token))
            if pair is not None:
                async with asyncio.timeout(http.timeout):
                    await barriers[pair].wait()
            started = time.perf_counter()
            try:
                async with asyncio.timeout(http.timeout):
                    status, payload = await http.send(request)
                ended = time.perf_counter()
                try:
                    body = json.loads(payload) if payload else None
                except ValueError:
                    body = payload[:200]
                answer = Answer(len(sent), status, body, started - origin, ended - origin)
            except Exception as exc:  # noqa: BLE001 - timeouts, refused and reset connections are counted
                ended = time.perf_counter()
                answer = Answer(len(sent), None, None, started - origin, ended - origin, repr(exc))
            sent.append(Sent(g, participant, pair, answer))

    await asyncio.gather(*(gate(g) for g in range(GATES)))
    return sent


def raw_limit(label: str, settings_dict: dict, count: int, min_seconds: float = 1.5) -> float:
    """Scan rows inserted per second on one bare connection, one transaction each."""
    if label == "sqlite":
        conn = sqlite3.connect(settings_dict["NAME"], isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        cur = conn.cursor()
        begin, ph, pk = "BEGIN IMMEDIATE", "?", "INTEGER PRIMARY KEY"
    else:
        import psycopg

        conn = psycopg.connect(pg_dsn(os.environ["SUMMIT_DATABASE_URL"]), autocommit=True)
        cur = conn.cursor()
        begin, ph, pk = "BEGIN", "%s", "BIGSERIAL PRIMARY KEY"
    try:
        cur.execute("DROP TABLE IF EXISTS bench_raw_scan")
        cur.execute(
            f"CREATE TABLE bench_raw_scan (id {pk}, event_id INTEGER NOT NULL, zone_id INTEGER NOT NULL, "
            "participant_id INTEGER, revision INTEGER, direction VARCHAR(3) NOT NULL, admitted BOOLEAN NOT NULL, "
            "reason VARCHAR(20) NOT NULL, scanned_at TIMESTAMP NOT NULL, gate VARCHAR(100) NOT NULL, "
            "device VARCHAR(64) NOT NULL, client_id VARCHAR(64) NOT NULL)"
        )
        insert = (
            "INSERT INTO bench_raw_scan (event_id, zone_id, participant_id, revision, direction, admitted, "
            f"reason, scanned_at, gate, device, client_id) VALUES (1, 1, {ph}, 1, 'in', TRUE, '', "
            f"CURRENT_TIMESTAMP, 'Gate 1', 'bench-gate-1', {ph})"
        )
        done = 0
        started = time.perf_counter()
        while done < count or time.perf_counter() - started < min_seconds:
            cur.execute(begin)
            cur.execute(insert, (done, uuid.uuid4().hex))
            cur.execute("COMMIT")
            done += 1
        elapsed = time.perf_counter() - started
        cur.execute("DROP TABLE bench_raw_scan")
        return done / elapsed
    finally:
        conn.close()


def run_online(args, label: str, var_dir: Path, server_env: dict) -> int:
    from django.db import connection, connections

    load = os.getloadavg()[0]  # other work on the machine skews every figure: it is printed with them
    started = time.perf_counter()
    event, zone, category = build_event()
    holders = build_holders(event, category, args.badges)
    warm = build_holders(event, category, GATES * 6, prefix="warm")
    staff = gate_staff_tokens(event, zone, GATES)
    event_id, zone_id = event.pk, zone.pk
    setup_s = time.perf_counter() - started
    raw_tps = raw_limit(label, connection.settings_dict, max(args.badges, 1000))
    connections.close_all()

    lanes, couples = plan(holders, args.pairs)
    port = free_port()
    server_env = {**server_env, "SUMMIT_BIND": f"127.0.0.1:{port}"}
    log_path = var_dir / "gunicorn.log"
    base = f"http://127.0.0.1:{port}"
    server = start_server(server_env, log_path, base, profile=args.profile)
    workers = server_env.get("SUMMIT_WORKERS") or str(2 * os.cpu_count())
    tally = Tally()
    try:
        sent, warm_sent, ceiling, floor, client_cpu = asyncio.run(drive(base, lanes, warm, staff))
    finally:
        stop_server(server)
    check_online(event_id, zone_id, holders, couples, sent, warm_sent, tally)
    tally.add("errors", sum(1 for a in ceiling if a.status != 200), "/livez answers")
    tally.add("errors", sum(1 for a in floor if a.status != 200), "/api/events/ answers")
    if any(n.startswith("errors") for n in tally.notes):
        tail = log_path.read_text(errors="replace").splitlines()[-15:]
        print("server log (tail):\n  " + "\n  ".join(tail))
    return report_online(
        label,
        args,
        workers,
        setup_s,
        load,
        raw_tps,
        (throughput(ceiling), throughput(floor)),
        sent,
        couples,
        client_cpu,
        tally,
    )


async def drive(base: str, lanes, warm: list[tuple], staff: list[str]):
    http = Http(base, timeout=30.0)
    # Warm-up: every worker imports and connects, and runs the scan path (other badge holders).
    warm_lanes = [[(p, t, None) for p, t in warm[g::GATES]] for g in range(GATES)]
    warm_sent = await run_gates(http, warm_lanes, staff, time.perf_counter())
    # The framework's ceiling on this machine now: an empty Django view (no database), as many in flight.
    ceiling = await fire(http, [("GET", "/livez", None, None)] * CEILING_REQUESTS, GATES, time.perf_counter())
    # The floor of every API call: the gates' tokens authenticated, and nothing else read (the token's event).
    events = [
        ("GET", "/api/events/", {"Authorization": f"Bearer {staff[i % GATES]}"}, None)
        for i in range(CEILING_REQUESTS)
    ]
    floor = await fire(http, events, GATES, time.perf_counter())
    origin = time.perf_counter()
    cpu = time.process_time()
    sent = await run_gates(http, lanes, staff, origin)
    client_cpu = (time.process_time() - cpu) / max(len(sent), 1)
    return sent, warm_sent, ceiling, floor, client_cpu


def check_online(event_id, zone_id, holders, couples, sent: list[Sent], warm_sent, tally: Tally) -> None:
    from summit.entry.models import Presence, Scan

    for item in warm_sent:
        a = item.answer
        if a.status != 200 or not isinstance(a.body, dict) or not a.body.get("admitted"):
            tally.add("errors", 1, f"warm-up scan answered {describe(a)}")
    expected_people = {p for p, _t in holders}
    answered: dict[int, tuple[int, bool]] = {}  # scan id -> (participant, admitted)
    admitted_answers = Counter()
    by_pair = defaultdict(list)
    for item in sent:
        a, body = item.answer, item.answer.body
        if a.status != 200 or not isinstance(body, dict) or not isinstance(body.get("scan"), int):
            tally.add("errors", 1, f"scan answered {describe(a)}")
            continue
        if body["scan"] in answered:
            tally.add("lost", 1, f"scan {body['scan']} answered to two requests")
        answered[body["scan"]] = (item.participant, bool(body.get("admitted")))
        person = body.get("person") or {}
        if person.get("id") != item.participant:
            tally.add("errors", 1, f"scan of participant {item.participant} answered for {person.get('id')}")
        if body.get("admitted"):
            admitted_answers[item.participant] += 1
        if item.pair is not None:
            by_pair[item.pair].append(body)
        elif not body.get("admitted"):
            tally.add("errors", 1, f"badge of participant {item.participant} refused: {body.get('reason')}")
    for number, bodies in sorted(by_pair.items()):
        admitted = sum(1 for b in bodies if b.get("admitted"))
        if len(bodies) == 2 and admitted == 1:
            refused = next(b for b in bodies if not b.get("admitted"))
            if refused.get("reason") != "already_inside":
                tally.add("errors", 1, f"pair {number}: refused {refused.get('reason')}, not already_inside")
        elif len(bodies) == 2 and admitted == 0:
            tally.add("errors", 1, f"pair {number}: neither gate admitted the badge")
    stored = {
        pk: (participant, admitted)
        for pk, participant, admitted in Scan.objects.filter(
            event_id=event_id, zone_id=zone_id, participant_id__in=expected_people
        ).values_list("pk", "participant_id", "admitted")
    }
    for scan_id, (participant, admitted) in answered.items():
        row = stored.get(scan_id)
        if row is None:
            tally.add("lost", 1, f"scan {scan_id} answered but not stored")
        elif row != (participant, admitted):
            tally.add("lost", 1, f"scan {scan_id} answered {participant, admitted}, stored {row}")
    tally.add("lost", len(set(stored) - set(answered)), "scans stored that nobody was answered")
    stored_admitted = Counter(participant for participant, admitted in stored.values() if admitted)
    twice = sum(
        max(stored_admitted[p], admitted_answers[p]) - 1
        for p in expected_people
        if max(stored_admitted[p], admitted_answers[p]) > 1
    )
    tally.add("double_entries", twice, "badges admitted twice without an exit")
    inside = Presence.objects.filter(zone_id=zone_id, inside=True, participant_id__in=expected_people).count()
    if inside != len(set(stored_admitted)):
        tally.add(
            "lost", abs(inside - len(stored_admitted)), f"{inside} inside, {len(stored_admitted)} admitted"
        )


def describe(answer: Answer) -> str:
    if answer.status is None:
        return answer.error[:80]
    code = answer.body.get("code") if isinstance(answer.body, dict) else None
    return f"HTTP {answer.status}" + (f" {code}" if code else "")


def report_online(
    label, args, workers, setup_s, load, raw_tps, ceilings, sent, couples, client_cpu, tally
) -> int:
    ceiling, floor = ceilings
    answers = [s.answer for s in sent]
    rate = throughput(answers)
    ratio = rate / raw_tps if raw_tps else 0.0
    latencies = [a.ms for a in answers]
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    admitted = sum(1 for a in answers if isinstance(a.body, dict) and a.body.get("admitted"))
    target_ratio = TARGET_RATIO[label]
    print()
    print(
        f"gate rush ({label}): {args.badges} badge holders at {GATES} gates ({GATES} connections), "
        f"{len(couples)} of them at two gates at once; gunicorn {workers} sync workers; set-up {setup_s:.1f}s"
    )
    rows = [
        (
            f"scans/s ({len(answers)} scans)",
            f"{raw_tps:.1f}/s",
            f"{rate:.1f}/s",
            f"{ratio:.2f}",
            f">= {target_ratio}",
            "PASS" if ratio >= target_ratio else "FAIL",
        ),
        reference_row("framework ceiling (/livez) req/s", ceiling, rate),
        reference_row("authenticated API floor (/api/events/) req/s", floor, rate),
        ("latency p50", "", f"{p50:.0f}ms", "", "", ""),
        (
            "latency p99",
            "",
            f"{p99:.0f}ms",
            "",
            f"<= {TARGET_P99_MS}ms",
            "PASS" if p99 <= TARGET_P99_MS else "FAIL",
        ),
    ]
    print_table(rows)
    print(
        f"answers: admitted={admitted} refused={len(answers) - admitted}; load generator CPU per scan: "
        f"{client_cpu * 1000:.2f}ms; machine load (1 min) at the start: {load:.2f}"
    )
    for note in tally.notes[:20]:
        print(f"  ! {note}")
    counters = tally.counters()
    targets_ok = ratio >= target_ratio and p99 <= TARGET_P99_MS
    if not targets_ok:
        missed = []
        if ratio < target_ratio:
            missed.append(f"ratio {ratio:.2f} < {target_ratio}")
        if p99 > TARGET_P99_MS:
            missed.append(f"p99 {p99:.0f}ms > {TARGET_P99_MS}ms")
        print("targets missed: " + "; ".join(missed))
    print(
        f"gate_rush {label}: rate={rate:.1f}/s raw={raw_tps:.1f}/s ratio={ratio:.2f} p50={p50:.0f}ms "
        f"p99={p99:.0f}ms ceiling={ceiling:.1f}/s api_floor={floor:.1f}/s floor_ratio={floor / raw_tps if raw_tps else 0:.2f} "
        + " ".join(f"{k}={v}" for k, v in counters.items())
    )
    return 1 if any(counters.values()) or (args.strict and not targets_ok) else 0


# --- pdf -----------------------------------------------------------------------------------------------------

# (given, family, latin given, latin family, family first): names in the scripts badges must draw.
WORLD_NAMES = [
    ("伟", "王", "Wei", "Wang", True),
    ("花子", "田中", "Hanako", "Tanaka", True),
    ("민준", "김", "Minjun", "Kim", True),
    ("محمد", "عبد الله", "", "", False),
    ("Анна", "Иванова", "Anna", "Ivanova", False),
    ("สมชาย", "ใจดี", "", "", False),
    ("राहुल", "शर्मा", "", "", False),
    ("Zoë", "Ñúñez", "Zoë", "Ñúñez", False),
    ("Νίκος", "Παπαδόπουλος", "Nikos", "Papadopoulos", False),
]


def world_names_and_photos(ids: list[int]) -> int:
    """Give the badge holders names in nine scripts and every other one a photo of its own (a distinct
    600 × 800 JPEG, as the photo service stores them); return how many have a photo."""
    import io
    import random

    from django.core.files.base import ContentFile
    from PIL import Image

    from summit.core.storage import private_storage, random_name
    from summit.entry.models import Portrait
    from summit.registration.models import Participant

    people = list(Participant.objects.filter(pk__in=ids).order_by("pk"))
    for n, person in enumerate(people):
        given, family, latin_given, latin_family, family_first = WORLD_NAMES[n % len(WORLD_NAMES)]
        person.given_name, person.family_name = given, family
        person.given_name_latin, person.family_name_latin = latin_given, latin_family
        person.latin_given = bool(latin_given)
        person.name_order = Participant.FAMILY_FIRST if family_first else Participant.GIVEN_FIRST
    Participant.objects.bulk_update(
        people,
        ["given_name", "family_name", "given_name_latin", "family_name_latin", "latin_given", "name_order"],
    )
    rng = random.Random(7)
    portraits = []
    for person in people[::2]:
        image = Image.new("RGB", (60, 80), tuple(rng.randrange(256) for _ in range(3)))
        image.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(60 * 80)])
        image = image.resize((600, 800))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
        name = private_storage().save(f"portraits/{random_name('jpg')}", ContentFile(out.getvalue()))
        portraits.append(Portrait(participant=person, file_name=name, thumbnail=b""))
    Portrait.objects.bulk_create(portraits)
    return len(portraits)


def run_pdf(args) -> int:
    from summit.core import jobs
    from summit.core.models import Job

    if jobs.get_kind("entry.badges_pdf") is None:
        print("gate_rush pdf: skipped (no badge PDF job)")
        return 0
    event, _zone, category = build_event(rule=False)
    holders = build_holders(event, category, args.badges, proofs=False)
    ids = [participant for participant, _token in holders]
    with_photos = world_names_and_photos(ids)
    started = time.perf_counter()
    job = jobs.enqueue(
        "entry.badges_pdf",
        args={"event": event.pk, "ids": ids, "size": "A6"},
        scope=f"event:{event.pk}",
        label="Badges",
    )
    seconds = time.perf_counter() - started
    job = Job.objects.get(pk=job.pk)
    ok = job.state == Job.SUCCEEDED
    size = 0
    if ok and job.result_file:
        from summit.core.storage import private_storage

        size = private_storage().size(job.result_file)
    pages = 0
    if ok and job.result_file:
        import re

        from summit.core.storage import private_storage

        with private_storage().open(job.result_file, "rb") as handle:
            pages = len(re.findall(rb"/Type\s*/Page\b", handle.read()))
    ok = ok and pages == len(ids)
    print()
    print(
        f"gate rush (pdf): {len(ids)} badges ({with_photos} with a photo, names in nine scripts), A6, "
        f"job {job.state}, {pages} pages"
        + (f" ({job.error.strip().splitlines()[-1][:200]})" if job.error else "")
        + f"; file {size / 1e6:.1f} MB"
    )
    fast = seconds <= TARGET_PDF_SECONDS
    if not fast:
        print(f"targets missed: {seconds:.1f}s > {TARGET_PDF_SECONDS}s")
    print(
        f"gate_rush pdf: badges={len(ids)} seconds={seconds:.1f} pages_per_s={pages / seconds:.1f}"
        + ("" if ok else " errors=1")
    )
    return 1 if not ok or (args.strict and not fast) else 0


if __name__ == "__main__":
    sys.exit(main())
