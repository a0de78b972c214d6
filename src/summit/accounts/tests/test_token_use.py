"""API tokens: who the token is, and when it was last used, written in batches rather than per request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from summit.accounts import services, token_use
from summit.accounts.auth import authenticate_token
from summit.accounts.models import ApiToken
from summit.core.testing import make_user
from summit.events.testing import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizer_token(event):
    return services.create_api_token(event=event, user=make_staff(event), name="CRM")


@pytest.fixture
def batched(settings):
    settings.TOKEN_USE_FLUSH_SECONDS = 30
    token_use.flush()
    yield
    token_use.flush()


def forums(client, raw):
    return client.get("/api/events/wic/forums", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_authenticate_returns_the_token_with_its_user_and_event(event, organizer_token):
    token, raw = organizer_token
    found = authenticate_token(raw)
    assert found.pk == token.pk
    assert found.user.email == token.user.email and found.event.slug == "wic"
    assert found.event.start == event.start  # converted like the ORM does (an aware datetime)
    assert authenticate_token(raw + "x") is None
    assert authenticate_token("") is None


def test_revoked_tokens_and_inactive_users_are_refused(event, organizer_token):
    token, raw = organizer_token
    token.user.is_active = False
    token.user.save()
    assert authenticate_token(raw) is None
    other, other_raw = services.create_api_token(event=event, user=make_user(), name="x")
    services.revoke_api_token(token=other, actor=other.user)
    assert authenticate_token(other_raw) is None


def test_first_use_is_recorded_in_a_batch_not_on_the_request(client, event, organizer_token, batched):
    token, raw = organizer_token
    assert forums(client, raw).status_code == 200
    # The fixture flushed a moment ago: this use waits for the interval to end (or for the process to exit).
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None
    assert token.pk in token_use.pending()
    assert token_use.flush() == 1
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    assert token.pk not in token_use.pending()


def test_later_uses_within_the_resolution_write_nothing(client, event, organizer_token, batched):
    token, raw = organizer_token
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=5))
    assert forums(client, raw).status_code == 200
    assert token.pk not in token_use.pending()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=20))
    authenticate_token(raw)
    assert token.pk in token_use.pending()


def test_flush_never_moves_a_later_time_back(event, organizer_token, batched):
    token, raw = organizer_token
    authenticate_token(raw)  # pending with "now"
    later = timezone.now() + timedelta(minutes=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=later)  # written by another process meanwhile
    token_use.flush()
    assert ApiToken.objects.get(pk=token.pk).last_used_at == later


def test_a_request_finishing_after_the_interval_writes_the_batch(client, event, organizer_token, batched):
    token, raw = organizer_token
    authenticate_token(raw)
    token_use._last_flush -= 31  # the interval has passed
    forums(client, raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    assert not token_use.pending()


def test_without_batching_the_use_is_written_at_once(client, event, organizer_token, settings):
    settings.TOKEN_USE_FLUSH_SECONDS = 0
    token, raw = organizer_token
    assert forums(client, raw).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
