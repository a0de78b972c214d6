"""Small request helpers shared by pages and the API."""

from django.conf import settings


def base_url(request=None) -> str:
    """The site's public address for links in e-mails and on pages: always ``SUMMIT_SITE_URL``.

    Never the request's Host header: a request sent with a forged Host would otherwise put the attacker's
    address into sign-in links mailed to someone else. ``request`` is accepted so call sites stay uniform.
    """
    return site_url("")


def site_url(path: str) -> str:
    """The absolute address of ``path`` (a path on this site) under ``SUMMIT_SITE_URL``."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def safe_next(request, value: str | None) -> str:
    """``value`` if it is a path on this site (where to go next), else ""."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = (value or "").strip()
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return ""


def posted_next(request, fallback: str) -> str:
    """Where to go after a POST: the form's ``next`` if it is a path on this site, else ``fallback``."""
    return safe_next(request, request.POST.get("next")) or fallback


def error_answer(request, error, *, template: str = "core/error.html", status: int | None = None):
    """A refused request: JSON ``{"code": ..., "detail": ...}`` under /api/, the site's error page elsewhere."""
    from django.http import JsonResponse
    from django.shortcuts import render

    status = status or error.status
    if request.path.startswith("/api/"):
        return JsonResponse(error.as_dict(), status=status)
    return render(request, template, {"error": error, "status": status}, status=status)
