"""The production start command in docs/operations.md serves the site: gunicorn with Summit's config.

On SQLite the server gets its own database in a temporary ``SUMMIT_VAR_DIR`` (after ``summit migrate``);
with ``SUMMIT_DATABASE_URL`` set it uses the test database pytest-django created, so both backends are
covered by the same test.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "src" / "summit" / "gunicorn.conf.py"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """A ``SUMMIT_DATABASE_URL`` for the database this test run uses (PostgreSQL)."""
    auth = quote(settings_dict["USER"] or "", safe="")
    if settings_dict["PASSWORD"]:
        auth += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = settings_dict["HOST"] or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def first_line_of_oversized_post(port: int) -> bytes:
    """Announce a 100 MB anonymous upload, send none of it, and read the answer's status line."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /events/nope/register/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 104857600\r\n\r\n"
        )
        return sock.makefile("rb").readline()


def test_gunicorn_serves_the_site(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        SUMMIT_VAR_DIR=str(tmp_path / "var"),
        SUMMIT_DEBUG="0",
        SUMMIT_LOG_LEVEL="WARNING",
        SUMMIT_WORKERS="2",
        DJANGO_SETTINGS_MODULE="summit.settings",
        # The code of this checkout, whichever copy of Summit the environment has installed.
        PYTHONPATH=str(ROOT / "src"),
    )
    if connection.vendor == "postgresql":
        env["SUMMIT_DATABASE_URL"] = database_url(connection.settings_dict)
    else:
        env.pop("SUMMIT_DATABASE_URL", None)
        subprocess.run(
            [str(BIN / "summit"), "migrate", "--noinput", "-v", "0"],
            env=env,
            check=True,
            timeout=120,
        )
    port = free_port()
    env["SUMMIT_BIND"] = f"127.0.0.1:{port}"
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(CONFIG), "summit.wsgi:application"],
            env=env,
            cwd=tmp_path,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            status = None
            while time.monotonic() < deadline:
                assert server.poll() is None, f"gunicorn exited early:\n{log.read_text()}"
                try:
                    status, body = get(f"{base}/healthz", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            assert status == 200, f"no answer from /healthz:\n{log.read_text()}"
            assert f'"database": "{connection.vendor}"' in body.decode()

            status, body = get(f"{base}/api/docs")
            assert status == 200
            assert b"swagger" in body.lower()

            status, body = get(f"{base}/healthz")
            assert status == 200
            assert b'"ok": true' in body
            assert get(f"{base}/livez") == (200, b"ok")
            assert first_line_of_oversized_post(port).startswith(b"HTTP/1.1 413")
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    assert server.returncode == 0, log.read_text()
