"""Rate limits on the Django cache: at most ``count`` hits per ``seconds`` for one key.

The cache is an in-process ``LocMemCache`` in the embedded default and Redis when ``SUMMIT_REDIS_URL`` is set
(``settings.CACHES``): with several server processes, only Redis makes the limit hold across them.

A limit is a fixed window: the first hit of a key starts a window of ``seconds`` and each hit counts in it;
the hit that goes over raises :class:`RateLimited` (429, ``rate_limited``) with the seconds left, which pages
show as a message and the API as ``{"code": "rate_limited", "detail": …}`` with a ``Retry-After`` header.
Keys are hashed, so no e-mail address is stored in the cache. Limits come from settings (``RATE_LIMITS``):
``"<count>/<seconds>"``, ``SUMMIT_RATE_<NAME>`` to change one (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render
from django.utils.translation import ngettext

from summit.core.errors import SummitError


class RateLimited(SummitError):
    status = 429
    code = "rate_limited"

    def __init__(self, message=None, *, retry_after: int = 60, **kwargs):
        self.retry_after = max(1, int(retry_after))
        super().__init__(message or wait_message(self.retry_after), **kwargs)


def wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many attempts. Please try again in %(minutes)d minute.",
        "Too many attempts. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def parse(limit: str) -> tuple[int, int]:
    """``"5/3600"`` → (5, 3600)."""
    count, _sep, seconds = str(limit).partition("/")
    return int(count), int(seconds or 60)


def _cache():
    return caches[getattr(settings, "RATE_LIMIT_CACHE", "default")]


def _key(name: str, value: str, window_start: int) -> str:
    digest = hashlib.sha256(f"{name}\0{value}".encode()).hexdigest()[:32]
    return f"summit:rl:{name}:{digest}:{window_start}"


def hit(name: str, value: str, *, limit: str | None = None) -> None:
    """Count one attempt of ``value`` (an address, a client IP, a user id) against limit ``name``; raise
    :class:`RateLimited` once it is over."""
    count, seconds = parse(limit or settings.RATE_LIMITS[name])
    if count <= 0:
        return  # 0 switches a limit off
    now = int(time.time())
    window_start = now - now % seconds
    key = _key(name, str(value).strip().lower(), window_start)
    cache = _cache()
    if cache.add(key, 1, timeout=seconds + 1):
        used = 1
    else:
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=seconds + 1)
            used = 1
    if used > count:
        raise RateLimited(retry_after=window_start + seconds - now)


def check(request, name: str, *values: str) -> None:
    """Count one attempt against ``<name>_ip`` for the client's address and against ``name`` for each of
    ``values`` (an e-mail address…). Every counter is counted, then the first one over raises."""
    over = None
    for limit_name, value in [(f"{name}_ip", client_ip(request)), *[(name, v) for v in values if v]]:
        try:
            hit(limit_name, value)
        except RateLimited as exc:
            over = over or exc
    if over is not None:
        raise over


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or with ``SUMMIT_CLIENT_IP_HEADER`` set (behind a reverse proxy
    that sets it, e.g. ``X-Forwarded-For``) the last address in that header, the one the proxy added."""
    return _client_address(request) or "unknown"


def axes_client_ip(request) -> str | None:
    """The client address for django-axes (``AXES_CLIENT_IP_CALLABLE``): None when there is none (a
    sign-in made in code, ``force_login``), as axes stores it in an IP address column."""
    return _client_address(request)


def _client_address(request) -> str | None:
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        addresses = [part.strip() for part in value.split(",") if part.strip()]
        if addresses and _is_ip(addresses[-1]):
            return addresses[-1]
    remote = request.META.get("REMOTE_ADDR", "")
    return remote if _is_ip(remote) else None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def retry_after_header(response, exc: RateLimited):
    response["Retry-After"] = str(exc.retry_after)
    return response


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in (``AXES_LOCKOUT_CALLABLE``): the error page, 429."""
    exc = RateLimited(retry_after=int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return retry_after_header(render(request, "core/error.html", {"error": exc}, status=exc.status), exc)
