"""Summit settings: one module, every value overridable by a ``SUMMIT_*`` environment variable."""

from __future__ import annotations

import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"SUMMIT_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value in (None, "") else int(value)


VAR_DIR = Path(env("VAR_DIR", str(PROJECT_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _generated_once(path: Path, make) -> str:
    """The secret in ``path``, which the first process to start writes (mode 0600, written to a temporary
    file and linked into place, so that processes starting together all read the same whole secret)."""
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
        try:
            os.link(temporary, path)  # fails if another process was first: theirs is kept
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


def _secret_from_var(filename: str) -> str:
    """Read a secret from ``var/``; generate it there (mode 0600) on first run."""
    return _generated_once(VAR_DIR / filename, lambda: secrets.token_urlsafe(50))


SECRET_KEY = env("SECRET_KEY") or _secret_from_var("secret_key")


def _fernet_key_from_var(filename: str) -> str:
    """A Fernet key (32 random bytes, URL-safe base64) from ``var/``; generated there (mode 0600) on first run."""
    return _generated_once(
        VAR_DIR / filename, lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    )


# Keys that encrypt health proofs and badge signing keys at rest (entry/crypto.py): the first encrypts, all
# decrypt. Rotate by putting a new key first and running `summit rotate-health-key` (docs/operations.md).
HEALTH_KEYS = [k.strip() for k in env("HEALTH_KEYS", "").split(",") if k.strip()] or [
    _fernet_key_from_var("health_key")
]
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# A refused form (missing or stale CSRF token) shows the site's own page, in the viewer's language.
CSRF_FAILURE_VIEW = "summit.core.views.csrf_failure"
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",
    "csp",
    # Serves the OpenAPI docs (Swagger UI) from its own static files instead of a CDN.
    "ninja",
    # Lockout after repeated wrong passwords on the sign-in form (docs/operations.md: rate limits).
    "axes",
    # Second factor (TOTP) for staff accounts (core/two_factor.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "summit.core",
    "summit.events",
    "summit.accounts",
    "summit.registration",
    "summit.program",
    "summit.live",
    "summit.entry",
    "summit.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # django-csp, with the one policy built once (core/middleware.py).
    "summit.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "summit.core.middleware.LimitRequestSizeMiddleware",
    "summit.core.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    # A session opened by a sign-in link acts on its link's event only.
    "summit.accounts.middleware.LinkSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "summit.core.middleware.SummitErrorMiddleware",
    # Staff of an event that requires a second factor set it up and enter a code before its back office.
    "summit.events.middleware.TwoFactorRequiredMiddleware",
    # Must stay last (django-axes).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "summit.urls"
ASGI_APPLICATION = "summit.asgi.application"
WSGI_APPLICATION = "summit.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]


# --- database -------------------------------------------------------------------------------------------
def database_from_url(url: str) -> dict:
    """Turn ``postgres://user:pass@host:port/name?opt=..`` or ``sqlite:///path`` into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        options: dict = {k: v for k, v in query.items() if k not in {"pool", "test_name"}}
        # Every wait for a row lock is bounded, so a stuck writer gives a clear "busy" answer instead of
        # hanging (core/locking.py); set once per connection rather than per transaction.
        timeout = f"-c lock_timeout={env_int('LOCK_TIMEOUT_MS', 5000)}"
        options["options"] = f"{options['options']} {timeout}" if options.get("options") else timeout
        # One sync worker thread per process (gunicorn, see gunicorn.conf.py) keeps one persistent
        # connection; anything threaded (ASGI) takes connections from a pool (design.md §10).
        persistent = env_bool("DB_PERSISTENT", False)
        if not persistent and query.get("pool", "1") not in {"0", "false", "no"}:
            options["pool"] = {
                "min_size": env_int("DB_POOL_MIN", 2),
                "max_size": env_int("DB_POOL_MAX", 20),
                "timeout": env_int("DB_POOL_TIMEOUT", 10),
            }
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "summit",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            # Pooled connections: CONN_MAX_AGE must stay 0 (design.md §10).
            "CONN_MAX_AGE": 600 if persistent else 0,
            "CONN_HEALTH_CHECKS": persistent,
            "OPTIONS": options,
            "TEST": {"NAME": query.get("test_name") or None},
        }
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path) if parsed.path not in {"", "/"} else str(VAR_DIR / "summit.sqlite3")
        return sqlite_database(path)
    raise ValueError(f"SUMMIT_DATABASE_URL: unsupported scheme {parsed.scheme!r}")


def sqlite_database(path: str) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            # Every write transaction takes the write lock up front, so two writers never both read and
            # then both write (design.md §3); busy writers wait instead of failing at once.
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_TIMEOUT", 20),
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                f"PRAGMA busy_timeout={env_int('SQLITE_TIMEOUT', 20) * 1000};"
            ),
        },
        # Opening a SQLite connection (and running the PRAGMAs) costs more than a small request: keep it.
        # Connections are per thread, so this is safe under WSGI workers and under ASGI alike.
        "CONN_MAX_AGE": env_int("SQLITE_CONN_MAX_AGE", 600),
        "CONN_HEALTH_CHECKS": True,
    }


# API token use is written in batches, at most this often per process (accounts/token_use.py).
TOKEN_USE_FLUSH_SECONDS = env_int("TOKEN_USE_FLUSH_SECONDS", 30)

# The hot statements of core/rows.py (API tokens, scans, bookings) as prepared statements on PostgreSQL; 0 behind
# a pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
DB_PREPARED = env_bool("DB_PREPARED", True)

# How long a writer waits for a locked row on PostgreSQL before answering "busy, try again" (set as the
# connections' lock_timeout by database_from_url).
LOCK_TIMEOUT_MS = env_int("LOCK_TIMEOUT_MS", 5000)
DATABASE_URL = env("DATABASE_URL")
DATABASES = {
    "default": database_from_url(DATABASE_URL)
    if DATABASE_URL
    else sqlite_database(str(VAR_DIR / "summit.sqlite3"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# django-axes first: it refuses a locked-out address or account before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
MAGIC_LINK_HOURS = env_int("MAGIC_LINK_HOURS", 72)

# --- rate limits (core/ratelimit.py; docs/operations.md) ------------------------------------------------
# "<count>/<seconds>" per key; SUMMIT_RATE_<NAME> overrides one ("0/60" switches it off). "<x>_ip" counts
# per client address, "<x>" per e-mail address (or per account for "otp").
_RATE_DEFAULTS = {
    "signin_link": "5/3600",  # sign-in link requests for one address
    "signin_link_ip": "30/3600",
    "register": "5/3600",  # registrations (form) of one address
    "register_ip": "100/3600",  # a delegation's office or the venue's network shares one address
    "api_register": "120/3600",  # registrations through the API, per address and per token's client
    "api_register_ip": "600/3600",
    "otp": "5/300",  # second-factor codes tried for one account
    "otp_ip": "30/300",
    "chat": "10/30",  # chat messages of one person in one event's live rooms
    "question": "10/300",  # questions of one person
    "report": "20/3600",  # chat reports of one person
    "proof": "10/3600",  # entry proofs one participant uploads
    "export": "10/3600",  # downloads of all of one's own data
    "photo": "10/3600",  # badge photos one participant uploads
}
RATE_LIMITS = {name: env(f"RATE_{name.upper()}", default) for name, default in _RATE_DEFAULTS.items()}
# Behind a reverse proxy, the header that carries the client address (e.g. X-Forwarded-For; its last entry,
# the one the proxy added, is used). Empty: REMOTE_ADDR. Set it only when a proxy always sets the header.
CLIENT_IP_HEADER = env("CLIENT_IP_HEADER", "")
# The password form (django-axes): AXES_FAILURE_LIMIT wrong passwords lock out the address and, separately,
# the account for AXES_COOLOFF_TIME. The attempts are stored in the database (visible in the admin).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "summit.core.ratelimit.axes_client_ip"
AXES_LOCKOUT_CALLABLE = "summit.core.ratelimit.lockout_response"

# Second factor (core/two_factor.py): the name authenticator apps show; django-otp's own slow-down after a
# wrong code is off, the code pages are rate-limited instead (RATE_LIMITS["otp"]).
OTP_TOTP_ISSUER = env("OTP_ISSUER", "Summit")
OTP_TOTP_THROTTLE_FACTOR = 0

# --- cache ----------------------------------------------------------------------------------------------
# Rate limit counters (and nothing that must survive a restart). In-process by default; with several
# server processes set SUMMIT_REDIS_URL so that the limits hold across them.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("REDIS_URL")}
    if env("REDIS_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "summit"}
}

# --- i18n -----------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_TZ = True

# --- static and uploaded files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served by WhiteNoise from STATIC_ROOT (``summit collectstatic``); in DEBUG straight from the apps.
WHITENOISE_USE_FINDERS = DEBUG or env_bool("STATIC_FROM_FINDERS", False)
# Uploads (press cards, ...) live outside static and are only served through permission-checked views.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
# A CSV/XLSX file of participants to import (registration/import_views.py).
MAX_IMPORT_BYTES = env_int("MAX_IMPORT_BYTES", 10 * 1024 * 1024)
# Request bodies are refused with 413 from their Content-Length before they are read
# (core.middleware.LimitRequestSizeMiddleware): a file upload up to the largest file taken plus the form
# around it, any other body (a form, JSON) up to DATA_UPLOAD_MAX_MEMORY_SIZE, which Django applies as well.
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", max(MAX_UPLOAD_BYTES, MAX_IMPORT_BYTES) + 256 * 1024)
# Extra room for the form around a file on the pages that take a larger one (``core.middleware.large_upload``).
UPLOAD_FORM_BYTES = 256 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- live rooms: streams and broadcasts (live/streams.py, live/jobs.py) -----------------------------------
# The largest video an organizer may upload for a scheduled broadcast; its upload page alone takes a request
# this large (core.middleware.LimitRequestSizeMiddleware, ``large_upload``). ffmpeg/ffprobe check it by
# content and package it to HLS in a background job.
MAX_VIDEO_BYTES = env_int("MAX_VIDEO_BYTES", 2 * 1024 * 1024 * 1024)
FFMPEG = env("FFMPEG", "/usr/bin/ffmpeg")
FFPROBE = env("FFPROBE", "/usr/bin/ffprobe")
# Streaming platforms whose player a session may embed (host names; a subdomain of one counts too). The live
# page's Content-Security-Policy lets exactly the embedded address's origin be framed.
EMBED_HOSTS = [
    h.strip().lower()
    for h in env(
        "EMBED_HOSTS",
        "youtube.com,youtube-nocookie.com,player.vimeo.com,vimeo.com,player.bilibili.com,"
        "player.twitch.tv,v.qq.com,live.bilibili.com,player.youku.com",
    ).split(",")
    if h.strip()
]
# How long the signed address of a packaged video (playlists and segments) handed to a viewer stays valid.
LIVE_MEDIA_HOURS = env_int("LIVE_MEDIA_HOURS", 12)

# --- entry: health proofs, badges, gates (entry/) -------------------------------------------------------
# Proof documents and health details are deleted this many days after the event ends (a scheduled job, or
# `summit purge-health-data <event>`); only counts are kept.
HEALTH_PURGE_DAYS = env_int("HEALTH_PURGE_DAYS", 14)
# A proof may be dated this far ahead of the server's clock (a phone's clock a little fast), no further.
PROOF_CLOCK_SLACK_SECONDS = env_int("PROOF_CLOCK_SLACK_SECONDS", 300)

# --- e-mail ---------------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("FROM_EMAIL", "Summit <noreply@summit.localhost>")


def email_from_url(url: str | None) -> dict:
    """``console:`` (default), ``file:///dir``, ``smtp://user:pass@host:port`` or ``smtp+tls://...``."""
    if not url or url.startswith("console:"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": parsed.path,
        }
    if parsed.scheme in {"smtp", "smtp+tls", "smtp+ssl"}:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parsed.hostname or "localhost",
            "EMAIL_PORT": parsed.port or 25,
            "EMAIL_HOST_USER": unquote(parsed.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
            "EMAIL_USE_TLS": parsed.scheme == "smtp+tls",
            "EMAIL_USE_SSL": parsed.scheme == "smtp+ssl",
            # A mail server that hangs must not hold a worker forever: the mail is retried later.
            "EMAIL_TIMEOUT": env_int("EMAIL_TIMEOUT", 30),
        }
    raise ValueError(f"SUMMIT_EMAIL_URL: unsupported scheme {parsed.scheme!r}")


globals().update(email_from_url(env("EMAIL_URL")))

# Mail goes through an outbox (core/mail.py): a failed delivery is retried after MAIL_RETRY_SECONDS,
# doubling each time up to MAIL_RETRY_MAX_SECONDS, and marked failed after MAIL_MAX_ATTEMPTS attempts.
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 10)
MAIL_RETRY_SECONDS = env_int("MAIL_RETRY_SECONDS", 60)
MAIL_RETRY_MAX_SECONDS = env_int("MAIL_RETRY_MAX_SECONDS", 3600)

# --- background jobs (core/jobs.py, summit/celery.py) ----------------------------------------------------
# "thread": a small pool in the serving process (the embedded default, no extra server); "celery":
# Celery workers with Redis or RabbitMQ as broker (production); "eager": run at once after commit, in the
# same thread (the test suite).
JOBS_BACKEND = env("JOBS_BACKEND", "thread")
if JOBS_BACKEND not in {"thread", "celery", "eager"}:
    raise ValueError(f"SUMMIT_JOBS_BACKEND: unknown backend {JOBS_BACKEND!r} (thread, celery or eager)")
JOB_THREADS = env_int("JOB_THREADS", 2)
# A running job whose heartbeat is older than this is taken to be dead and is run again (from its
# checkpoint); a queued job handed to the queue this long ago and never started is handed over again.
JOB_STALE_SECONDS = env_int("JOB_STALE_SECONDS", 120)
# How often the sweep looks for such jobs and for mail due for another attempt.
JOB_SWEEP_SECONDS = env_int("JOB_SWEEP_SECONDS", 30)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3)
# Wait before retrying a job that failed with an unexpected error (doubling with each attempt).
JOB_RETRY_SECONDS = env_int("JOB_RETRY_SECONDS", 10)
# Back-office work at least this large runs as a background job with a progress page (registration/jobs.py):
# a decision on this many participants, an export of this many rows.
BULK_JOB_THRESHOLD = env_int("BULK_JOB_THRESHOLD", 200)
# A job's result file (an export of participants...) is deleted this many days after the job finished.
JOB_FILE_DAYS = env_int("JOB_FILE_DAYS", 7)
EXPORT_JOB_THRESHOLD = env_int("EXPORT_JOB_THRESHOLD", 1000)

REDIS_URL = env("REDIS_URL") or None
# Celery reads every CELERY_* setting below (summit/celery.py). redis://… or amqp://… (RabbitMQ).
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or REDIS_URL
if JOBS_BACKEND == "celery" and not CELERY_BROKER_URL:
    raise ValueError("SUMMIT_JOBS_BACKEND=celery needs SUMMIT_REDIS_URL or SUMMIT_CELERY_BROKER_URL")
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "summit")
# A task's message is acknowledged only once the task has finished, and a worker that dies mid-task
# hands its message back; one message at a time per worker process, so none wait behind a long job.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Celery beat runs the sweep (core/jobs.py: sweep) every JOB_SWEEP_SECONDS.
CELERY_BEAT_SCHEDULE = {"summit-sweep": {"task": "summit.sweep", "schedule": float(JOB_SWEEP_SECONDS)}}
CELERY_BEAT_SCHEDULE_FILENAME = env("CELERY_BEAT_SCHEDULE_FILE", str(VAR_DIR / "celerybeat-schedule"))

# --- live hub (core/live.py) ----------------------------------------------------------------------------
# In-process, or Redis pub/sub when SUMMIT_REDIS_URL is set. Messages kept per topic for clients that
# reconnect (an older last_seq gets a full refresh), and the queue of each subscriber (one that falls this
# far behind is dropped and resumes).
LIVE_HISTORY = env_int("LIVE_HISTORY", 1000)
LIVE_QUEUE = env_int("LIVE_QUEUE", 256)
if LIVE_HISTORY < 1 or LIVE_QUEUE < 1:
    raise ValueError("SUMMIT_LIVE_HISTORY and SUMMIT_LIVE_QUEUE must be at least 1")
# The live transport (live/transport.py): how often each serving process refreshes its open attendance
# visits and its viewer counts (a process silent for 3 heartbeats is taken for dead), and how often an
# idle SSE stream gets a comment so that proxies keep it open.
LIVE_HEARTBEAT_SECONDS = env_int("LIVE_HEARTBEAT_SECONDS", 30)
LIVE_SSE_KEEPALIVE_SECONDS = env_int("LIVE_SSE_KEEPALIVE_SECONDS", 15)
# A session's viewer count is published at most this often: every publish goes to every viewer, and while
# thousands connect at once the count changes all the time (live/attendance.py).
LIVE_VIEWERS_SECONDS = env_int("LIVE_VIEWERS_SECONDS", 2)
if min(LIVE_HEARTBEAT_SECONDS, LIVE_SSE_KEEPALIVE_SECONDS, LIVE_VIEWERS_SECONDS) < 1:
    raise ValueError(
        "SUMMIT_LIVE_HEARTBEAT_SECONDS, SUMMIT_LIVE_SSE_KEEPALIVE_SECONDS and SUMMIT_LIVE_VIEWERS_SECONDS"
        " must be at least 1"
    )

# --- security -------------------------------------------------------------------------------------------
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG and SITE_URL.startswith("https://"))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if SECURE_COOKIES:
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", True)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", False)

# Content-Security-Policy on every response (django-csp): scripts, styles and images from this site only, no
# inline script, no on* attribute, no style attribute (pages use static/summit/summit.js and summit.css), no
# plugins, no framing; the Swagger UI at /api/docs works under it too (tests/browser/
# test_content_security_policy.py). Served files get their own sandbox (core/storage.py).
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # The players' MediaSource buffers (hls.js) are blob: addresses.
        "media-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"without_connection_lines": {"()": "summit.core.logs.WithoutConnectionLines"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    "loggers": {
        # A 4xx answer ("this session is full") is the app working, not a problem: log server errors only.
        "django.request": {"level": env("REQUEST_LOG_LEVEL", "ERROR")},
        # uvicorn's own logger: without a line per WebSocket opened (core/logs.py).
        "uvicorn.error": {"filters": ["without_connection_lines"]},
    },
}
