"""Who may use the sign-in and account pages (roles × actions): the second-factor page, the code step, the
event's security settings, a sign-in link of one's own account, the registration confirmation. Refusals
answer 403/404 (or the sign-in page for someone signed out) and show nothing of the event's settings."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from summit.accounts import services as accounts
from summit.accounts.models import MagicLink, hash_token
from summit.events.testing import make_event, make_staff
from summit.registration.testing import make_delegate, make_standard_categories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "participant", "officer", "organizer", "organizer_elsewhere"]
STAFF = {"officer", "organizer", "organizer_elsewhere"}


@pytest.fixture
def world():
    event = make_event("wic")
    categories = make_standard_categories(event)
    elsewhere = make_event("elsewhere")
    participant = make_delegate(event, categories["company"], email="delegate@example.org")
    users = {
        "anonymous": None,
        "participant": participant.user,
        "officer": make_staff(event, "accreditation_officer", "officer@example.org"),
        "organizer": make_staff(event, "organizer", "owner@example.org"),
        "organizer_elsewhere": make_staff(elsewhere, "organizer", "away@example.org"),
    }
    return {"event": event, "elsewhere": elsewhere, "users": users}


def client_for(client, world, role):
    user = world["users"][role]
    if role == "participant":
        # Participants sign in the way they do: with a link.
        link = accounts.issue_link(user=user, event=world["event"])
        assert client.post(urlsplit(link).path).status_code == 302
    elif user is not None:
        client.force_login(user)
    return client


def refused(response, *forbidden: bytes) -> None:
    assert response.status_code in (403, 404)
    for text in forbidden:
        assert text not in response.content


@pytest.mark.parametrize("role", ROLES)
def test_second_factor_page(client, world, role):
    response = client_for(client, world, role).get("/accounts/two-factor/")
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    elif role == "participant":
        refused(response, b"two-factor-state")
    else:
        assert response.status_code == 200 and b"two-factor-state" in response.content


@pytest.mark.parametrize("role", ROLES)
def test_setting_up_a_second_factor(client, world, role):
    response = client_for(client, world, role).post("/accounts/two-factor/", {"action": "start"})
    user = world["users"][role]
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    elif role == "participant":
        refused(response)
        assert not TOTPDevice.objects.filter(user=user).exists()
    else:
        assert response.status_code == 302
        assert TOTPDevice.objects.filter(user=user, confirmed=False).count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_code_step_without_a_password_step(client, world, role):
    response = client_for(client, world, role).post("/accounts/login/code/", {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_event_security_settings(client, world, role, method):
    event = world["event"]
    url = f"/events/{event.slug}/manage/security/"
    c = client_for(client, world, role)
    response = c.get(url) if method == "get" else c.post(url, {"staff_two_factor": "on"})
    event.refresh_from_db()
    if role == "organizer":
        assert response.status_code == (200 if method == "get" else 302)
        assert event.staff_two_factor is (method == "post")
    else:
        refused(response, b"staff_two_factor", b"Staff need a second factor")
        assert not event.staff_two_factor


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_a_sign_in_link_of_ones_own_account(client, world, role):
    """A link row for the account (as if sent before it became staff): only a participant signs in."""
    user = world["users"][role]
    raw = f"raw-{role}"
    MagicLink.objects.create(
        user=user,
        event=world["event"],
        token_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    response = client.post(f"/signin/{raw}/")
    if role == "participant":
        assert response.status_code == 302 and response["Location"] == "/events/wic/me/"
        assert client.session["_auth_user_id"] == str(user.pk)
    else:
        refused(response)
        assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", ROLES)
def test_registration_confirmation_needs_ones_own_registration(client, world, role):
    response = client_for(client, world, role).get("/events/wic/register/done/")
    assert response.status_code == 302 and response["Location"] == "/events/wic/"
