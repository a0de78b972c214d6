"""Every change to sign-in links and API tokens (design.md §2).

A sign-in link signs ``user`` in for one ``event`` only (the session it opens is scoped to that event's
pages, ``accounts/middleware.py``); it is used once, expires after ``MAGIC_LINK_HOURS``, and a newer link
for the same user and event replaces it. Links never sign in an account with a staff role or a usable
password (:func:`link_allowed`): those sign in with their password (and second factor). An API token acts as
its user on its event only; its raw value is shown once.
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
from summit.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from summit.core.locking import write_transaction
from summit.events.models import EventRole

# --- sign-in links -----------------------------------------------------------------------------------------


def link_allowed(user) -> bool:
    """Whether a sign-in link may sign ``user`` in: never an account with a staff role on any event, a Django
    staff or superuser flag, or a usable password (those sign in with the password form)."""
    if user is None or not user.is_active:
        return False
    if user.is_staff or user.is_superuser or user.has_usable_password():
        return False
    return not EventRole.objects.filter(user=user).exists()


def _link_refused() -> Forbidden:
    return Forbidden(
        _("This account signs in with its password, not with a link. Please use the sign-in form."),
        code="link_not_allowed",
    )


def issue_link(*, user, event, base_url: str | None = None) -> str:
    """Create a one-time sign-in link for ``user`` on ``event`` and return its full URL.

    Older unused links of the same user and event stop working. Refused (``link_not_allowed``) for accounts
    that must sign in with their password (:func:`link_allowed`).
    """
    if event is None or not link_allowed(user):
        raise _link_refused()
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    with write_transaction():
        MagicLink.objects.filter(user=user, event=event, used_at=None, expires_at__gt=now).update(
            expires_at=now
        )
        MagicLink.objects.create(
            user=user,
            event=event,
            token_hash=hash_token(raw),
            expires_at=now + timedelta(hours=settings.MAGIC_LINK_HOURS),
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
    if link.event_id is None or not link_allowed(link.user):
        # The account got a staff role or a password after the link was sent.
        raise _link_refused()
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
