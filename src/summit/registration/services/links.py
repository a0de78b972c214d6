"""Sign-in links and the mails that carry them; the participant behind an API token."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from summit.accounts import services as accounts
from summit.accounts.auth import authenticate_token as authenticate_api_token
from summit.core import mail
from summit.core.errors import Forbidden, NotFound
from summit.core.locking import write_transaction
from summit.core.text import UnsafeEmail, clean_email
from summit.events.models import Event
from summit.registration.models import (
    Participant,
)


def issue_magic_link(*, participant: Participant, base_url: str | None = None, next_path: str = "") -> str:
    """Create a one-time sign-in link for ``participant`` and return its full URL.

    ``next_path`` (a page of the participant's event) is where the link lands after signing in. An account
    that may not use links (a staff role or a password, ``accounts.link_allowed``) gets the address of the
    password sign-in form instead, leading to the same page.
    """
    return _signin_address(participant, base_url=base_url, next_path=next_path)[0]


def _signin_address(participant: Participant, *, base_url: str | None, next_path: str) -> tuple[str, bool]:
    """(address, whether it is the password form's). ``issue_link`` decides who may have a link."""
    try:
        link = accounts.issue_link(user=participant.user, event=participant.event, base_url=base_url)
    except Forbidden as refused:
        if refused.code != "link_not_allowed":
            raise
        target = next_path if next_path and safe_next_path(participant.event, next_path) else ""
        target = target or reverse("registration:me", args=[participant.event.slug])
        site = (base_url or settings.SITE_URL).rstrip("/")
        return f"{site}{reverse('core:login')}?{urlencode({'next': target})}", True
    if next_path and safe_next_path(participant.event, next_path):
        link += "?" + urlencode({"next": next_path})
    return link, False


def safe_next_path(event: Event, path: str) -> bool:
    """Only a page of the same event, on this site, may follow a sign-in."""
    return (
        isinstance(path, str)
        and len(path) <= 500
        and path.startswith(f"/events/{event.slug}/")
        and "//" not in path
        and "\\" not in path
        and all(ch.isprintable() and not ch.isspace() for ch in path)
    )


def link_participant(link) -> Participant | None:
    """The registration a sign-in link was sent for: the user's record in the link's event."""
    if link.event_id is None:
        return None
    return (
        Participant.objects.filter(event_id=link.event_id, user_id=link.user_id)
        .select_related("event")
        .first()
    )


def request_magic_link(*, event: Event, email: str, base_url: str | None = None, next_path: str = "") -> bool:
    """E-mail a sign-in link to a registered address. Returns whether one was sent (never shown to the visitor)."""
    try:
        email = clean_email(email)
    except UnsafeEmail:
        return False
    participant = Participant.objects.filter(event=event, email=email).select_related("event").first()
    if participant is None:
        return False
    with write_transaction():
        send_status_mail(
            participant, template="registration/mail/magic_link", base_url=base_url, next_path=next_path
        )
    return True


def send_status_mail(
    participant: Participant, *, template: str, base_url: str | None = None, next_path: str = ""
) -> None:
    """Send one of the participant mails in their language, with a fresh sign-in link."""
    link, password_signin = _signin_address(participant, base_url=base_url, next_path=next_path)
    mail.send(
        to=participant.email,
        template=template,
        language=participant.language,
        context={
            "participant": participant,
            "event": participant.event,
            "link": link,
            "hours": settings.MAGIC_LINK_HOURS,
            "status": participant.status,
            # Staff and password accounts get the password form's address instead of a link.
            "password_signin": password_signin,
        },
    )


# The participant a token belongs to (alias ``x``), loaded with the token in one query.
_PARTICIPANT_OF_TOKEN = (Participant, "x.event_id = t.event_id AND x.user_id = t.user_id")


def authenticate_token(raw: str):
    """The active API token for ``raw`` with its user, its event and ``participant`` (the user's record in
    that event, or None), all in one query (``accounts.auth.authenticate_token``); None if not valid."""
    token = authenticate_api_token(raw, subject=_PARTICIPANT_OF_TOKEN)
    if token is None:
        return None
    token.participant = participant = token.subject
    if participant is not None:
        participant.event = token.event
    return token


def own_registration(user, event: Event) -> Participant:
    """The signed-in ``user``'s registration for ``event``, with its category, organization and event; a
    friendly NotFound for a visitor who is not signed in or not registered."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound(_("Please sign in with the link from your e-mail."))
    participant = (
        Participant.objects.filter(event=event, user=user)
        .select_related("category", "organization", "event")
        .first()
    )
    if participant is None:
        raise NotFound(_("You are not registered for this event."))
    return participant
