"""Ways into an account besides its password: sign-in links sent by e-mail and API tokens.

Both are scoped to one event and store only a hash of their secret.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from summit.core.locking import RANK_LINK
from summit.events.models import Event


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class MagicLink(models.Model):
    """A one-time sign-in link sent by e-mail, for ``user`` on ``event``. Only the hash of the token is stored."""

    lock_rank = RANK_LINK  # core/locking.py

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="magic_links")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sign-in link for {self.user} (expires {self.expires_at:%Y-%m-%d %H:%M})"


class ApiToken(models.Model):
    """A bearer token for the REST API, acting as its user on one event. Only the hash is stored."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
