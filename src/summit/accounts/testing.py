"""Helpers for API tests: a token for a user on an event, and a call with it."""

from __future__ import annotations

import json

from summit.accounts.services import create_api_token


def api_token(user, event, name: str = "test") -> str:
    """The raw bearer token of a new API token of ``user`` on ``event``."""
    return create_api_token(user=user, event=event, name=name)[1]


def api_call(client, method: str, path: str, raw: str | None = None, body=None):
    """``method`` on ``/api/events/<path>`` with the bearer token ``raw`` (none: anonymous) and a JSON body."""
    extra = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if raw else {}
    if method == "get":
        return client.get(f"/api/events/{path}", **extra)
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(f"/api/events/{path}", data, content_type="application/json", **extra)
