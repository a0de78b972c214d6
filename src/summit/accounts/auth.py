"""Bearer-token authentication for the REST API.

A token (created at ``/events/<slug>/manage/tokens/`` or ``/events/<slug>/me/tokens/``) acts as its user, but
only on its own event: every other event answers 404, exactly as if it did not exist (design.md §5; the check
is ``events.roles.token_event``).

Every API request reads its token, so :func:`authenticate_token` is one plain query (``core.rows``) for the
token, its user and its event, and, when a higher layer names one, the row the token stands for in that
event (registration passes the user's participant record: the booking hot path needs it).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from summit.accounts import token_use
from summit.accounts.models import ApiToken, hash_token
from summit.core import rows
from summit.events.models import Event


class TokenInvalid(AuthenticationError):
    """A token was sent but is unknown, revoked or belongs to an inactive user."""

    code = "token_invalid"

    def __init__(self) -> None:
        super().__init__(401, str(_("The API token is not valid or has been revoked.")))


def authenticate_token(raw: str, *, subject=None) -> ApiToken | None:
    """The active token whose hash matches ``raw`` with its user and event, or None; its use is recorded by
    ``token_use``. ``subject`` is ``(Model, join condition)``: that model's row (alias ``x``) joined on the
    token ``t`` is set as ``token.subject`` (None when there is none)."""
    specs = [ApiToken, "t", get_user_model(), "u", Event, "e"]
    sql = (
        f"SELECT {{columns}} FROM {ApiToken._meta.db_table} t"
        f" JOIN {get_user_model()._meta.db_table} u ON u.id = t.user_id"
        f" JOIN {Event._meta.db_table} e ON e.id = t.event_id"
    )
    if subject is not None:
        model, on = subject
        specs += [model, "x"]
        sql += f" LEFT JOIN {model._meta.db_table} x ON {on}"
    sql += " WHERE t.token_hash = %s" + (" ORDER BY x.id" if subject is not None else "") + " LIMIT 1"
    found = rows.fetch(sql, [hash_token(raw or "")], *specs)
    if not found:
        return None
    token, user, event, *rest = found[0]
    if token.revoked_at is not None or not user.is_active:
        return None
    token.user, token.event = user, event
    token_use.note(token)
    if subject is not None:
        token.subject = rest[0] if rest[0].pk is not None else None
    return token


class TokenAuth(HttpBearer):
    """Ninja's bearer auth: ``request.auth`` is the ApiToken, ``request.user`` its user. ``load`` turns the raw
    value into a token (the API assembly in ``summit.api`` passes one that also loads the participant)."""

    def __init__(self, load=None):
        super().__init__()
        self.load = load or authenticate_token

    def authenticate(self, request, token: str) -> ApiToken:
        api_token = self.load(token.strip())
        if api_token is None:
            raise TokenInvalid()
        request.user = api_token.user
        return api_token
