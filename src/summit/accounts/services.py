"""Every change to sign-in links and API tokens (design.md §2).

A sign-in link signs ``user`` in for one ``event``; it is used once and expires after
``MAGIC_LINK_HOURS``. An API token acts as its user on its event only; its raw value is shown once.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from summit.accounts.models import ApiToken, MagicLink, hash_token
from summit.core import audit
from summit.core.errors import Conflict, NotFound, ValidationFailed
from summit.core.locking import write_transaction

# --- sign-in links -----------------------------------------------------------------------------------------


def issue_link(*, user, event, base_url: str | None = None) -> str:
    """Create a one-time sign-in link for ``user`` on ``event`` and return its full URL."""
    raw = secrets.token_urlsafe(32)
    MagicLink.objects.create(
        user=user,
        event=event,
        token_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(hours=settings.MAGIC_LINK_HOURS),
    )
    return (base_url or settings.SITE_URL).rstrip("/") + reverse("magic", args=[raw])


def check_link(raw: str, *, queryset=None) -> MagicLink:
    """The usable link for ``raw``; expired, used or unknown links raise a clear error. Read-only."""
    queryset = queryset if queryset is not None else MagicLink.objects.all()
    link = queryset.filter(token_hash=hash_token(raw or "")).select_related("user", "event").first()
    if link is None:
        raise NotFound(_("This sign-in link is not valid. Please request a new one."), code="link_invalid")
    if link.used_at is not None:
        raise Conflict(
            _("This sign-in link has already been used. Please request a new one."), code="link_used"
        )
    if link.expires_at <= timezone.now():
        raise Conflict(_("This sign-in link has expired. Please request a new one."), code="link_expired")
    return link


def consume_link(raw: str) -> MagicLink:
    """Use a link once (the row is locked, so two clicks cannot both sign in)."""
    with write_transaction():
        link = check_link(raw, queryset=MagicLink.objects.select_for_update(of=("self",)))
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    return link


# --- API tokens --------------------------------------------------------------------------------------------


def create_api_token(*, event, user, name: str) -> tuple[ApiToken, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the token a name."), code="required", field="name")
    if len(name) > 100:
        raise ValidationFailed(
            _("The name is too long (at most 100 characters)."), code="too_long", field="name"
        )
    raw = "smt_" + secrets.token_urlsafe(30)
    with write_transaction():
        token = ApiToken.objects.create(
            event=event, user=user, name=name, prefix=raw[:10], token_hash=hash_token(raw)
        )
        audit.record(actor=user, action="api_token.created", obj=token, event=event, data={"name": name})
    return token, raw


def revoke_api_token(*, token: ApiToken, actor) -> ApiToken:
    with write_transaction():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit.record(actor=actor, action="api_token.revoked", obj=token, event=token.event)
    return token
