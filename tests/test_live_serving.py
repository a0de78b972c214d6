"""The production serving split of docs/operations.md, for real: nginx with docs/nginx/summit.conf in front,
gunicorn's sync workers for the pages and the API, uvicorn processes for ``/live/``, all sharing Redis.

- A question posted through nginx to the API (gunicorn) reaches a WebSocket and an SSE stream opened
  through nginx (uvicorn): the publish crosses processes through Redis, and nginx buffers no live message.
- Two uvicorn processes behind Redis: a change made through process 1 (and the viewer count it publishes)
  reaches a WebSocket client of process 2.

Redis is required under ``CI=true`` (skipped otherwise when it is not running), as in core/tests/test_live.py.
On SQLite the servers share a database of their own in a temporary ``SUMMIT_VAR_DIR``; with
``SUMMIT_DATABASE_URL`` set they use the test database pytest-django created (as tests/test_serving.py).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from django.db import connection
from websockets.sync.client import connect

from tests.test_serving import database_url, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NGINX = Path("/usr/sbin/nginx")
SITE_CONF = ROOT / "docs" / "nginx" / "summit.conf"
REDIS_URL = os.environ.get("SUMMIT_REDIS_URL") or "redis://127.0.0.1:6379/5"

pytestmark = pytest.mark.django_db(transaction=True)


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip("Redis is not reachable")
    return client


@pytest.fixture
def env(tmp_path):
    """The environment of every server process of the test (one database, one Redis)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        SUMMIT_VAR_DIR=str(tmp_path / "var"),
        SUMMIT_DEBUG="0",
        SUMMIT_LOG_LEVEL="WARNING",
        SUMMIT_REDIS_URL=REDIS_URL,
        SUMMIT_RATE_QUESTION="0/60",  # the limit is counted in Redis, which outlives the test's database
        DJANGO_SETTINGS_MODULE="summit.settings",
        PYTHONPATH=str(ROOT / "src"),
    )
    if connection.vendor == "postgresql":
        env["SUMMIT_DATABASE_URL"] = database_url(connection.settings_dict)
    else:
        env.pop("SUMMIT_DATABASE_URL", None)
        subprocess.run(
            [str(BIN / "summit"), "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=120
        )
    return env


SETUP = """
import json
import random
from summit.accounts.services import create_api_token
from summit.events.testing import make_event
from summit.live.models import Stage
from summit.program.testing import make_session
from summit.registration.models import Participant
from summit.registration.testing import make_participant, make_standard_categories

event = make_event("live-serving")
person = make_participant(event, make_standard_categories(event)["company"], status=Participant.APPROVED)
# An id of its own: the topics' keys live in Redis, shared with any other run of this test.
session = make_session(event, pk=random.randrange(10**6, 10**9))
Stage.objects.create(session=session, access=Stage.PUBLIC)
print(json.dumps({"slug": event.slug, "session": session.pk,
                  "token": create_api_token(event=event, user=person.user, name="test")[1]}))
"""


@pytest.fixture
def room(env):
    """A public live room with an approved participant's API token, made in the servers' database; its
    topics' keys in Redis are removed afterwards."""
    client = _redis()
    out = subprocess.run(
        [str(BIN / "summit"), "shell", "-c", SETUP], env=env, check=True, timeout=120, capture_output=True
    )
    data = json.loads(out.stdout.decode().strip().splitlines()[-1])

    def clean():
        for pattern in (f"summit:live:*session:{data['session']}*", f"summit:live:viewers:{data['session']}"):
            for key in client.scan_iter(match=pattern):
                client.delete(key)

    yield data
    clean()
    client.close()


@contextmanager
def process(args, env, log: Path, *, cwd=None):
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for(url: str, proc, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{proc.args[0]} exited early:\n{log.read_text()}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url}:\n{log.read_text()}")


def uvicorn(port: int, env, tmp_path, name: str):
    log = tmp_path / f"{name}.log"
    args = [str(BIN / "uvicorn"), "summit.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--ws-per-message-deflate", "false"]  # as docs/operations.md serves it
    return process([*args, "--no-access-log"], env, log, cwd=tmp_path), log


def gunicorn(port: int, env, tmp_path):
    log = tmp_path / "gunicorn.log"
    gunicorn_env = {
        **env,
        "SUMMIT_BIND": f"127.0.0.1:{port}",
        "SUMMIT_WORKERS": "2",
        "SUMMIT_ACCESS_LOG": str(tmp_path / "gunicorn-access.log"),
    }
    config = ROOT / "src" / "summit" / "gunicorn.conf.py"
    args = [str(BIN / "gunicorn"), "-c", str(config), "summit.wsgi:application"]
    return process(args, gunicorn_env, log, cwd=tmp_path), log


def site_conf(nginx_port: int, web_port: int, live_ports: list[int]) -> str:
    """docs/nginx/summit.conf with the test's addresses in place of the documented ones."""
    conf = SITE_CONF.read_text()

    def upstream(name: str, ports: list[int]) -> None:
        nonlocal conf
        pattern = re.compile(r"(upstream " + re.escape(name) + r" \{)(.*?)(\})", re.S)
        assert pattern.search(conf), f"no upstream {name} in {SITE_CONF}"
        servers = "".join(f"\n    server 127.0.0.1:{port};" for port in ports)
        conf = pattern.sub(lambda m: m[1] + servers + "\n" + m[3], conf, count=1)

    upstream("summit_web", [web_port])
    upstream("summit_live", live_ports)
    conf, listens = re.subn(r"^(\s*)listen 80;", rf"\1listen 127.0.0.1:{nginx_port};", conf, flags=re.M)
    assert listens == 1
    return conf


def nginx(port: int, site: str, tmp_path):
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "summit.conf").write_text(site)
    (prefix / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"""worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/summit.conf;
}}
"""
    )
    args = [str(NGINX), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]
    return process(args, {"PATH": os.environ.get("PATH", "")}, prefix / "stderr.log"), prefix / "error.log"


def recv_until(ws, predicate, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if predicate(frame):
            return frame


def post_question(base: str, room: dict, text: str) -> dict:
    """The change that publishes on ``session:<id>``: a question through the API (services.ask publishes it
    after its commit)."""
    request = urllib.request.Request(
        f"{base}/api/events/{room['slug']}/sessions/{room['session']}/questions",
        data=json.dumps({"text": text}).encode(),
        headers={"Authorization": f"Bearer {room['token']}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.loads(response.read())


def is_question(text: str):
    return lambda f: f["type"] == "message" and f["data"].get("question", {}).get("text") == text


def sse_stream(port: int, session_id: int):
    """An SSE response through nginx, read line by line."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", f"/live/sessions/{session_id}/events", headers={"Accept": "text/event-stream"})
    response = conn.getresponse()
    assert response.status == 200, response.read()
    assert response.getheader("Content-Type").startswith("text/event-stream")
    return conn, response


def sse_until(response, predicate, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = response.fp.readline().decode().strip()
        if line.startswith("data:"):
            frame = json.loads(line[5:])
            if predicate(frame):
                return frame
    raise AssertionError("the event never came")


@pytest.mark.skipif(not NGINX.exists(), reason="nginx is not installed (Debian: apt install nginx)")
def test_nginx_sends_live_to_uvicorn_and_the_rest_to_gunicorn(env, room, tmp_path):
    web_port, nginx_port = free_port(), free_port()
    live_ports = [free_port(), free_port()]
    with ExitStack() as stack:
        web_cm, web_log = gunicorn(web_port, env, tmp_path)
        web = stack.enter_context(web_cm)
        lives = []
        for n, port in enumerate(live_ports):
            cm, log = uvicorn(port, env, tmp_path, f"uvicorn-{n}")
            lives.append((stack.enter_context(cm), log, port))
        proxy_cm, proxy_log = nginx(nginx_port, site_conf(nginx_port, web_port, live_ports), tmp_path)
        proxy = stack.enter_context(proxy_cm)
        wait_for(f"http://127.0.0.1:{web_port}/livez", web, web_log)
        for proc, log, port in lives:
            wait_for(f"http://127.0.0.1:{port}/livez", proc, log)
        base = f"http://127.0.0.1:{nginx_port}"
        wait_for(f"{base}/livez", proxy, proxy_log)

        ws = stack.enter_context(
            connect(f"ws://127.0.0.1:{nginx_port}/live/sessions/{room['session']}/socket")
        )
        ws.send(json.dumps({"type": "hello"}))
        welcome = recv_until(ws, lambda f: f["type"] == "welcome")
        assert welcome["topics"] == [f"session:{room['session']}"]
        conn, events = sse_stream(nginx_port, room["session"])
        stack.callback(conn.close)
        sse_until(events, lambda f: f["type"] == "welcome")

        text = "Will the slides be shared? 会后分享幻灯片吗？"
        asked = post_question(base, room, text)
        frame = recv_until(ws, is_question(text))
        assert frame["topic"] == f"session:{room['session']}"
        assert frame["data"]["question"]["id"] == asked["id"]
        assert sse_until(events, is_question(text))["data"]["question"]["id"] == asked["id"]
        # The question went to gunicorn (its access log), the live connections to uvicorn.
        # (A worker writes its access line after it answered: wait for it.)
        line = f"POST /api/events/{room['slug']}/sessions/{room['session']}/questions"
        deadline = time.monotonic() + 10
        while line not in (access := (tmp_path / "gunicorn-access.log").read_text()):
            assert time.monotonic() < deadline, access
            time.sleep(0.1)
        assert "/live/" not in access


def test_two_uvicorn_processes_share_messages_through_redis(env, room, tmp_path):
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        procs = []
        for n, port in enumerate(ports):
            cm, log = uvicorn(port, env, tmp_path, f"uvicorn-{n}")
            procs.append((stack.enter_context(cm), log, port))
        for proc, log, port in procs:
            wait_for(f"http://127.0.0.1:{port}/livez", proc, log)
        first, second = (f"127.0.0.1:{port}" for port in ports)
        path = f"/live/sessions/{room['session']}/socket"

        watcher = stack.enter_context(connect(f"ws://{second}{path}"))
        watcher.send(json.dumps({"type": "hello"}))
        assert recv_until(watcher, lambda f: f["type"] == "welcome")["viewers"] == 1

        other = stack.enter_context(connect(f"ws://{first}{path}"))
        other.send(json.dumps({"type": "hello"}))
        assert recv_until(other, lambda f: f["type"] == "welcome")["viewers"] == 2  # both processes count
        # Process 1's viewer count reaches process 2's client.
        recv_until(watcher, lambda f: f["type"] == "message" and f["data"] == {"kind": "viewers", "count": 2})

        text = "A question through process 1"
        post_question(f"http://{first}", room, text)
        frame = recv_until(watcher, is_question(text))
        assert frame["seq"] > 0
