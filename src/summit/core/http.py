"""Small request helpers shared by pages and the API."""


def base_url(request) -> str:
    """The site's address as the request reached it (used for links in e-mails)."""
    return request.build_absolute_uri("/")


def posted_next(request, fallback: str) -> str:
    """Where to go after a POST: the form's ``next`` if it is a path on this site, else ``fallback``."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = (request.POST.get("next") or "").strip()
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return fallback
