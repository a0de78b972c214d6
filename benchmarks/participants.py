"""Participants benchmark: CSV import of a delegation list and the back-office list page.

    .venv/bin/python benchmarks/participants.py [--quick]

Uses its own database: a fresh SQLite file in a temporary SUMMIT_VAR_DIR, or, when SUMMIT_DATABASE_URL
points at PostgreSQL, a throwaway database created next to the one named there and dropped afterwards.

Measures
  (a) raw import: parse the same CSV and insert equivalent rows with the bare driver (executemany, one
      transaction) into a scratch table;
  (b) Summit import: ``summit.registration.imports.import_participants`` (target: 2,000 rows in <= 10 s);
  (c) the list page ``/events/<slug>/manage/participants/?status=submitted&q=<common term>`` through
      Django's test client as the organizer: p50/p95 over 50 requests after a warm-up (target p95 <= 100 ms)
      and SQL queries per request; raw: the same page of rows fetched with the bare driver.
Exits non-zero when a correctness counter is not zero (lost rows, oversold quota, duplicate waitlist
positions, failed requests).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

LOCALES = {
    # Faker locale: countries (as a delegation list would write them: codes or English names), name order
    "zh_CN": (["CN", "CHN", "China"], "family_first"),
    "ja_JP": (["JP", "Japan"], "family_first"),
    "ko_KR": (["KR", "KOR"], "family_first"),
    "ru_RU": (["RU", "Russia", "BY", "KZ"], "given_first"),
    "ar_AA": (["EG", "SA", "AE", "Egypt", "JOR"], "given_first"),
    "hi_IN": (["IN", "India"], "given_first"),
    "en_US": (["US", "USA", "GB", "Canada", "AU"], "given_first"),
    "de_DE": (["DE", "Germany", "AT", "CHE"], "given_first"),
    "fr_FR": (["FR", "France", "BE", "SN"], "given_first"),
    "es_ES": (["ES", "Spain", "MX", "ARG"], "given_first"),
}
CATEGORY_WEIGHTS = {
    "government": 20,
    "international": 10,
    "company": 30,
    "research": 12,
    "media": 15,
    "exhibitor": 8,
    "vip": 5,
    "online": 10,
}
ORG_TYPE = {
    "government": "government",
    "international": "international",
    "company": "company",
    "research": "research",
    "media": "media",
    "exhibitor": "company",
    "vip": "other",
    "online": "other",
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 rows instead of 2,000 (under a minute)")
    parser.add_argument("--rows", type=int, help="number of CSV rows (default 2000, 200 with --quick)")
    parser.add_argument("--requests", type=int, default=50, help="timed list-page requests")
    return parser.parse_args()


# --- environment -------------------------------------------------------------------------------------------


def prepare_database() -> tuple[str, object]:
    """Point Summit at a fresh database. Returns (label, cleanup callable)."""
    var_dir = tempfile.mkdtemp(prefix="summit-bench-")
    os.environ["SUMMIT_VAR_DIR"] = var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "summit.settings"
    url = os.environ.get("SUMMIT_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        os.environ.pop("SUMMIT_DATABASE_URL", None)
        return "sqlite", lambda: shutil.rmtree(var_dir, ignore_errors=True)

    import psycopg

    parsed = urlparse(url)
    name = f"summit_bench_{uuid.uuid4().hex[:10]}"
    # CREATE/DROP DATABASE from the server's maintenance database: the URL's own may not exist yet.
    admin_dsn = _pg_dsn(urlunparse(parsed._replace(path="/postgres")))
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    # No pool: one connection, closed before the database is dropped.
    bench_url = urlunparse(parsed._replace(path="/" + name, query="pool=0"))
    os.environ["SUMMIT_DATABASE_URL"] = bench_url
    print(f"using PostgreSQL, throwaway database {name}")

    def cleanup():
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        shutil.rmtree(var_dir, ignore_errors=True)

    return "postgresql", cleanup


def _pg_dsn(url: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(scheme="postgresql", query=""))


def raw_connection(vendor: str):
    """A bare driver connection to the benchmark database, and its placeholder style."""
    from django.db import connection

    if vendor == "sqlite":
        import sqlite3

        conn = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn, "?"
    import psycopg

    return psycopg.connect(_pg_dsn(os.environ["SUMMIT_DATABASE_URL"])), "%s"


# --- data --------------------------------------------------------------------------------------------------


def generate_csv(rows: int, seed: int = 42) -> bytes:
    from faker import Faker

    from summit.core.names import latin_is_reliable
    from summit.registration.imports import COLUMNS
    from summit.registration.services import to_latin

    random.seed(seed)
    fakers = {}
    for locale in LOCALES:
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(seed)
    orgs = {locale: [fakers[locale].company() for _ in range(max(5, rows // 40))] for locale in LOCALES}
    cats, weights = zip(*CATEGORY_WEIGHTS.items(), strict=True)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    locales = list(LOCALES)
    for i in range(rows):
        locale = locales[i % len(locales)]
        fake = fakers[locale]
        countries, order = LOCALES[locale]
        category = random.choices(cats, weights)[0]
        given, family = fake.first_name(), fake.last_name()
        org = random.choice(orgs[locale])
        country = random.choice(countries)
        # Most lists leave the Latin names to transliteration where it is reliable; names in other scripts
        # (Arabic, Hindi, Korean, Japanese) come with their passport spelling (a stand-in here).
        latin = random.random() < 0.3 or not latin_is_reliable(f"{given} {family} {org}", country)
        mode = "online" if category == "online" or random.random() < 0.2 else "onsite"
        writer.writerow(
            {
                "email": f"delegate{i:05d}@{locale.lower().replace('_', '-')}.example.org",
                "given_name": given,
                "family_name": family,
                "given_name_latin": to_latin(given) if latin else "",
                "family_name_latin": to_latin(family) if latin else "",
                "name_order": order,
                "title": random.choice(["", "", "Dr.", "Prof.", "H.E."]),
                "position": fake.job()[:200],
                "organization": org,
                "organization_latin": to_latin(org) if latin else "",
                "organization_type": ORG_TYPE[category],
                "country": country,
                "phone": fake.phone_number()[:40],
                "category": category,
                "attendance_mode": mode,
                "language": "zh-hans" if locale == "zh_CN" else "en",
                "outlet": org if category == "media" else "",
                "press_card_number": f"PC-{i:06d}" if category == "media" else "",
            }
        )
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


# --- measurements ------------------------------------------------------------------------------------------


def raw_import(vendor: str, data: bytes) -> float:
    conn, ph = raw_connection(vendor)
    from summit.registration.imports import COLUMNS as columns

    try:
        cur = conn.cursor()
        cur.execute("DROP TABLE IF EXISTS bench_scratch_participant")
        pk = "id INTEGER PRIMARY KEY" if vendor == "sqlite" else "id BIGSERIAL PRIMARY KEY"
        cur.execute(
            f"CREATE TABLE bench_scratch_participant ({pk}, "
            + ", ".join(f"{c} TEXT" for c in columns)
            + ", search_text TEXT)"
        )
        conn.commit()
        started = time.perf_counter()
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        values = []
        for row in reader:
            row["email"] = row["email"].strip().lower()
            search = "\n".join(
                row[c] for c in ("given_name", "family_name", "email", "position", "organization") if row[c]
            ).casefold()
            values.append([row[c] for c in columns] + [search])
        sql = (
            f"INSERT INTO bench_scratch_participant ({', '.join(columns)}, search_text) "
            f"VALUES ({', '.join([ph] * (len(columns) + 1))})"
        )
        cur.executemany(sql, values)
        conn.commit()
        elapsed = time.perf_counter() - started
        cur.execute("DROP TABLE bench_scratch_participant")
        conn.commit()
        return elapsed
    finally:
        conn.close()


def raw_list(vendor: str, event_id: int, term: str, repeats: int) -> tuple[float, int]:
    """The list page's rows (one page of 50, with category and organization, plus the total) by bare SQL."""
    conn, ph = raw_connection(vendor)
    where = f"p.event_id = {ph} AND p.status = {ph} AND p.search_text LIKE {ph}"
    params = [event_id, "submitted", f"%{term.casefold()}%"]
    page_sql = (
        "SELECT p.id, p.given_name, p.family_name, p.given_name_latin, p.family_name_latin, p.email, p.country, "
        "p.status, p.attendance_mode, c.code, c.name_en, o.name, o.name_latin "
        "FROM registration_participant p JOIN registration_category c ON c.id = p.category_id "
        "LEFT JOIN registration_organization o ON o.id = p.organization_id "
        f"WHERE {where} ORDER BY p.family_name_latin, p.given_name_latin, p.id LIMIT 50"
    )
    count_sql = f"SELECT COUNT(*) FROM registration_participant p WHERE {where}"
    try:
        cur = conn.cursor()
        timings = []
        rows = 0
        for _ in range(repeats + 3):
            started = time.perf_counter()
            cur.execute(count_sql, params)
            cur.fetchone()
            cur.execute(page_sql, params)
            rows = len(cur.fetchall())
            timings.append(time.perf_counter() - started)
        return statistics.median(timings[3:]), rows
    finally:
        conn.close()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> int:
    args = parse_args()
    n_rows = args.rows or (200 if args.quick else 2000)
    vendor, cleanup = prepare_database()
    try:
        return run(vendor, n_rows, args.requests)
    finally:
        cleanup()


def run(vendor: str, n_rows: int, n_requests: int) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from summit.core.errors import SummitError
    from summit.events.testing import make_event, make_staff
    from summit.registration.imports import import_participants
    from summit.registration.models import Participant
    from summit.registration.testing import make_standard_categories

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    event = make_event("bench")
    categories = make_standard_categories(event)
    # VIP guests are admitted without review here, so the 50 on-site places fill and the waitlist is exercised.
    categories["vip"].needs_approval = False
    categories["vip"].save(update_fields=["needs_approval"])
    organizer = make_staff(event, "organizer", "organizer@bench.example.org")
    setup_s = time.perf_counter() - started

    data = generate_csv(n_rows)
    errors = 0

    # (a) raw baseline
    raw_s = raw_import(vendor, data)

    # (b) Summit import
    started = time.perf_counter()
    try:
        result = import_participants(event=event, data=data, actor=organizer, notify=False)
    except SummitError as exc:
        print(f"import failed: {exc.detail}", file=sys.stderr)
        for e in exc.errors[:20]:
            print(f"  row {e['row']} {e['column']}: {e['detail']} [{e['code']}]", file=sys.stderr)
        errors += len(exc.errors) or 1
        result = None
    import_s = time.perf_counter() - started

    stored = Participant.objects.filter(event=event).count()
    lost = n_rows - stored
    oversold = 0
    for category in categories.values():
        category.refresh_from_db()
        if category.onsite_quota is not None:
            taken = Participant.objects.filter(
                category=category, status="approved", attendance_mode="onsite"
            ).count()
            oversold += max(0, taken - category.onsite_quota)
    positions = list(
        Participant.objects.filter(event=event, status="waitlisted").values_list(
            "category_id", "waitlist_position"
        )
    )
    duplicate_positions = len(positions) - len(set(positions))
    statuses = Counter(Participant.objects.filter(event=event).values_list("status", flat=True))

    # (c) the list page
    submitted = Participant.objects.filter(event=event, status="submitted")
    surnames = Counter(
        n.casefold() for n in submitted.values_list("family_name_latin", flat=True) if len(n) >= 2
    )
    term = surnames.most_common(1)[0][0] if surnames else "a"
    matching = submitted.filter(search_text__contains=term).count()
    url = reverse("manage:participants", args=[event.slug]) + f"?status=submitted&q={quote(term)}"
    client = Client()
    client.force_login(organizer)
    for _ in range(3):
        response = client.get(url)
    bad_responses = 0 if response.status_code == 200 else 1
    timings, query_counts = [], []
    for _ in range(n_requests):
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - t0)
        query_counts.append(len(queries))
        if response.status_code != 200:
            bad_responses += 1
    errors += bad_responses
    shows_term = term.casefold() in response.content.decode().casefold()
    raw_list_s, raw_rows = raw_list(vendor, event.pk, term, n_requests)
    p50, p95 = statistics.median(timings), percentile(timings, 95)
    queries = max(query_counts) if query_counts else 0

    ratio = import_s / raw_s if raw_s else float("inf")
    target_import = 10.0 * n_rows / 2000
    print()
    print(
        f"participants benchmark ({vendor}): {n_rows} CSV rows in {len(LOCALES)} locales, setup {setup_s:.1f}s"
    )
    print(f"{'workload':<38}{'raw':>12}{'summit':>12}{'ratio':>10}{'target':>12}")
    target_text = f"<= {target_import:.1f}s"
    print(
        f"{'import ' + str(n_rows) + ' rows':<38}{raw_s:>11.3f}s{import_s:>11.2f}s{ratio:>10.1f}{target_text:>12}"
    )
    print(
        f"{'list page p50 (q=' + term + ', ' + str(matching) + ' hits)':<38}{raw_list_s * 1000:>10.1f}ms"
        f"{p50 * 1000:>10.1f}ms{p50 / raw_list_s if raw_list_s else 0:>10.1f}{'':>12}"
    )
    print(f"{'list page p95':<38}{'':>12}{p95 * 1000:>10.1f}ms{'':>10}{'<= 100ms':>12}")
    print(f"{'SQL queries per list request':<38}{'':>12}{queries:>12}")
    print(
        f"statuses: {dict(sorted(statuses.items()))}; list shows the term: {'yes' if shows_term else 'no'}; "
        f"raw page rows: {raw_rows}"
    )
    print(
        f"correctness: lost={lost} oversold={oversold} duplicate_positions={duplicate_positions} "
        f"failed_requests={bad_responses} import_errors={errors - bad_responses}"
    )
    slow = []
    if import_s > target_import:
        slow.append(f"import {import_s:.2f}s > {target_import:.1f}s")
    if p95 > 0.1:
        slow.append(f"list p95 {p95 * 1000:.0f}ms > 100ms")
    if slow:
        print("targets missed: " + "; ".join(slow))
    print(
        f"participants {vendor}: import_{n_rows}={import_s:.2f}s import_raw={raw_s:.3f}s import_ratio={ratio:.1f} "
        f"list_p50={p50 * 1000:.0f}ms list_p95={p95 * 1000:.0f}ms list_raw={raw_list_s * 1000:.1f}ms "
        f"queries={queries} rows={stored} lost={lost} oversold={oversold} duplicate={duplicate_positions} errors={errors}"
    )
    ok = (
        result is not None
        and lost == 0
        and stored == n_rows
        and oversold == 0
        and duplicate_positions == 0
        and errors == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
