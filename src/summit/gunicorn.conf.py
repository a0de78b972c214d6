"""Gunicorn settings for production: WSGI sync workers serving the pages and the API (design.md §10).

    gunicorn -c src/summit/gunicorn.conf.py summit.wsgi:application

Sync workers answer a rush of bookings faster, and with a far shorter tail, than one ASGI process that runs
every sync view on a single thread. Every value can be overridden from the environment:

``SUMMIT_BIND``
    address to listen on, ``host:port`` or ``unix:/path`` (default ``$SUMMIT_HOST:$SUMMIT_PORT``, which
    default to ``127.0.0.1`` and ``$PORT`` or 8000); several addresses may be given, comma-separated.
``SUMMIT_WORKERS`` (or ``WEB_CONCURRENCY``)
    number of worker processes (default two per CPU core).
``SUMMIT_TIMEOUT``
    seconds a request may take before its worker is restarted (default 30; a SQLite writer waits at most
    ``SUMMIT_SQLITE_TIMEOUT``, 20 s, for the lock).
``SUMMIT_GRACEFUL_TIMEOUT``
    seconds a worker has to finish its requests on restart or shutdown (default 30).
``SUMMIT_KEEPALIVE``
    seconds to keep an idle connection from a proxy open (default 5).
``SUMMIT_MAX_REQUESTS``
    restart a worker after this many requests, with some jitter (default 0: never).
``SUMMIT_ACCESS_LOG``
    ``1`` to log every request to stderr, or a file path (default off: the proxy in front logs requests).
``SUMMIT_PRELOAD``
    ``1`` to import the application once in the master before forking (default off).
``SUMMIT_LIMIT_REQUEST_LINE``, ``SUMMIT_LIMIT_REQUEST_FIELDS``, ``SUMMIT_LIMIT_REQUEST_FIELD_SIZE``
    bounds of the request line, the number of header fields and the size of each (4094, 100, 8190 bytes).

Each sync worker handles one request at a time on one thread, so it keeps one persistent database
connection (``SUMMIT_DB_PERSISTENT=1``, set here unless given): on PostgreSQL that saves taking a connection
from a pool on every request, and the server holds one connection per worker. Under ASGI, which runs views
on threads, the pool stays in charge (design.md §10).
"""

from __future__ import annotations

import multiprocessing
import os


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"SUMMIT_{name}", "").strip() or default


def _int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value else default


def _bool(name: str, default: bool) -> bool:
    value = _env(name)
    return default if not value else value.lower() in {"1", "true", "yes", "on"}


def _bind() -> list[str]:
    explicit = _env("BIND")
    if explicit:
        return [part.strip() for part in explicit.split(",") if part.strip()]
    port = _env("PORT", os.environ.get("PORT", "").strip() or "8000")
    return [f"{_env('HOST', '127.0.0.1')}:{port}"]


def _workers() -> int:
    value = _env("WORKERS") or os.environ.get("WEB_CONCURRENCY", "").strip()
    return max(1, int(value)) if value else 2 * multiprocessing.cpu_count()


# Read by summit.settings when each worker imports the application.
os.environ.setdefault("SUMMIT_DB_PERSISTENT", "1")

wsgi_app = "summit.wsgi:application"
bind = _bind()
workers = _workers()
worker_class = "sync"
timeout = _int("TIMEOUT", 30)
graceful_timeout = _int("GRACEFUL_TIMEOUT", 30)
keepalive = _int("KEEPALIVE", 5)
max_requests = _int("MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
preload_app = _bool("PRELOAD", False)
# Many requests of a rush wait here for a free worker instead of being refused.
backlog = _int("BACKLOG", 2048)

_access_log = _env("ACCESS_LOG")
accesslog = (
    None
    if _access_log.lower() in {"", "0", "false", "no", "off"}
    else ("-" if _access_log.lower() in {"1", "true", "yes", "on"} else _access_log)
)
errorlog = "-"
loglevel = _env("GUNICORN_LOG_LEVEL", "info")
proc_name = "summit"

# Hostile requests stop at the door: a request line of at most 4 KB, at most 100 header fields of at most
# 8 KB each. Bodies are bounded by the proxy (client_max_body_size, docs/operations.md) and by Summit's
# LimitRequestSizeMiddleware, which answers 413 from the Content-Length before reading.
limit_request_line = _int("LIMIT_REQUEST_LINE", 4094)
limit_request_fields = _int("LIMIT_REQUEST_FIELDS", 100)
limit_request_field_size = _int("LIMIT_REQUEST_FIELD_SIZE", 8190)

# The worker heartbeat file lives in memory when it can (a slow disk would otherwise stall workers).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
