"""The API's token authentication: a token with its user, its event and, for participants, their record in
that event, in one query (``registration.services.authenticate_token``; see ``accounts.auth``)."""

from __future__ import annotations

from summit.accounts.auth import TokenAuth
from summit.registration import services

token_auth = TokenAuth(load=services.authenticate_token)
