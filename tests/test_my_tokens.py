"""A participant's own API tokens: create one (shown once), use it to book, revoke it."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.urls import reverse

from summit.accounts import services as accounts
from summit.accounts.models import ApiToken
from summit.core.testing import make_user
from summit.program.testing import make_session
from summit.registration.testing import make_delegate

pytestmark = pytest.mark.django_db


@pytest.fixture
def delegate(event, categories):
    return make_delegate(event, categories["company"])


def url(event, name="registration:my_tokens", *args):
    return reverse(name, args=[event.slug, *args])


def test_signed_out_goes_to_sign_in(client, event):
    response = client.get(url(event))
    assert response.status_code == 302
    assert response["Location"] == reverse("registration:signin", args=[event.slug])


def test_user_without_registration_gets_404(client, event, other_event, categories):
    client.force_login(make_user())
    assert client.get(url(event)).status_code == 404
    # Registered for another event only: still nothing here.
    stranger = make_delegate(other_event)
    client.force_login(stranger.user)
    assert client.get(url(event)).status_code == 404
    assert client.post(url(event), {"name": "phone"}).status_code == 404
    assert not ApiToken.objects.exists()


def test_create_shows_token_once_and_it_books(client, event, delegate):
    client.force_login(delegate.user)
    page = client.get(url(event))
    assert page.status_code == 200
    assert 'id="create-token"' in page.text
    assert "no tokens" in page.text

    response = client.post(url(event), {"name": "My phone"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = re.search(r'id="raw-token"[^>]*>([^<]+)<', response.text).group(1)
    token = ApiToken.objects.get()
    assert (token.user, token.event, token.name) == (delegate.user, event, "My phone")
    assert raw.startswith(token.prefix)
    assert "/api/events/wic/" in response.text

    again = client.get(url(event))
    assert raw not in again.text and token.prefix in again.text

    session = make_session(event, capacity=3)
    booked = client.post(
        f"/api/events/wic/sessions/{session.pk}/bookings",
        json.dumps({"mode": "onsite"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert booked.status_code == 201, booked.content


def test_empty_name_is_a_field_error(client, event, delegate):
    client.force_login(delegate.user)
    response = client.post(url(event), {"name": "  "})
    assert response.status_code == 200
    assert "field-error" in response.text
    assert not ApiToken.objects.exists()


def test_page_is_bilingual(client, event, delegate):
    client.force_login(delegate.user)
    english = client.get(url(event), HTTP_ACCEPT_LANGUAGE="en")
    assert "My API tokens" in english.text
    assert 'name="viewport"' in english.text


def test_revoke_own_token_only(client, event, delegate, categories, organizer):
    mine, raw = accounts.create_api_token(event=event, user=delegate.user, name="phone")
    other = make_delegate(event, categories["company"])
    theirs, _ = accounts.create_api_token(event=event, user=other.user, name="theirs")
    organizers, _ = accounts.create_api_token(event=event, user=organizer, name="desk")
    client.force_login(delegate.user)

    page = client.get(url(event))
    assert "phone" in page.text and "theirs" not in page.text and "desk" not in page.text

    for token in (theirs, organizers):
        assert client.post(url(event, "registration:revoke_my_token", token.pk)).status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None
    assert client.post(url(event, "registration:revoke_my_token", 999999)).status_code == 404
    assert client.get(url(event, "registration:revoke_my_token", mine.pk)).status_code == 405

    response = client.post(url(event, "registration:revoke_my_token", mine.pk), follow=True)
    assert response.status_code == 200
    assert "has been revoked" in response.text
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    api = client.get("/api/events/wic/forums", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.status_code == 401 and api.json()["code"] == "token_invalid"
