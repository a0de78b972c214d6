"""Bearer-token authentication for the REST API.

A token (created in the back office at ``/events/<slug>/manage/tokens/``) acts as its user, but only on its
own event: every other event answers 404, exactly as if it did not exist (design.md §5).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from summit.core import roles
from summit.core.errors import NotFound
from summit.events.models import Event
from summit.registration import services
from summit.registration.models import ApiToken


class TokenInvalid(AuthenticationError):
    """A token was sent but is unknown, revoked or belongs to an inactive user."""

    code = "token_invalid"

    def __init__(self) -> None:
        super().__init__(401, str(_("The API token is not valid or has been revoked.")))


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str) -> ApiToken:
        api_token = services.authenticate_token(token.strip())
        if api_token is None:
            raise TokenInvalid()
        request.user = api_token.user
        return api_token


token_auth = TokenAuth()


def token_event(request, slug: str, *, staff: bool = False, organizer: bool = False) -> Event:
    """The event ``slug`` if the request's token may see it; 404 otherwise.

    ``staff`` requires :func:`roles.can_accredit`, ``organizer`` requires :func:`roles.is_organizer`. A
    missing role is 404 too: the API leaks nothing about events or objects the caller may not see.
    """
    token: ApiToken = request.auth
    event = token.event
    if event.slug != slug:
        raise NotFound()
    if staff:
        roles.require(roles.can_accredit(token.user, event))
    if organizer:
        roles.require(roles.is_organizer(token.user, event))
    return event
