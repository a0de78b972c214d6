"""Small request helpers shared by pages and the API."""


def base_url(request) -> str:
    """The site's address as the request reached it (used for links in e-mails)."""
    return request.build_absolute_uri("/")
