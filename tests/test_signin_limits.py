"""Rate limits on sign-in links, registration and the password form; no answer tells who is registered."""

import os
import re
import uuid
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import override_settings

from summit.accounts import services as accounts
from summit.core import ratelimit
from summit.core.testing import PASSWORD
from summit.registration.models import Participant
from summit.registration.testing import make_delegate, person_data

pytestmark = pytest.mark.django_db


def form(category, **extra):
    data = person_data(name_order="given_first", **extra)
    data["category"] = str(category.pk)
    return data


def same(text: str, email: str) -> str:
    """The page without the address it names and without its CSRF token."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text.replace(email, "X"))


def links_in(outbox) -> list[str]:
    return [urlsplit(m).path for msg in outbox for m in re.findall(r"https?://\S+/signin/\S+", msg.body)]


def test_one_address_gets_a_few_links_then_429_and_only_the_last_link_works(client, event, categories):
    make_delegate(event, categories["company"], email="amina@example.org")
    answers = [
        client.post(f"/events/{event.slug}/signin/", {"email": "amina@example.org"}).status_code
        for _ in range(30)
    ]
    assert answers[:5] == [302] * 5
    assert set(answers[5:]) == {429}
    assert len(mail.outbox) == 5
    refused = client.post(f"/events/{event.slug}/signin/", {"email": "Amina@Example.org"})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.text and int(refused["Retry-After"]) > 0
    *older, last = links_in(mail.outbox)
    assert all(client.post(path).status_code == 409 for path in older)
    assert client.post(last).status_code == 302


def test_an_unknown_address_is_limited_the_same_way(client, event, categories):
    answers = [
        client.post(f"/events/{event.slug}/signin/", {"email": "nobody@example.org"}).status_code
        for _ in range(7)
    ]
    assert answers == [302] * 5 + [429] * 2


def test_one_client_address_is_limited_across_addresses(client, settings, event, categories):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin_link_ip": "3/3600"}
    answers = [
        client.post(f"/events/{event.slug}/signin/", {"email": f"p{i}@example.org"}).status_code
        for i in range(4)
    ]
    assert answers == [302, 302, 302, 429]
    # Another client is not affected.
    other = client.post(f"/events/{event.slug}/signin/", {"email": "x@example.org"}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302


def test_the_client_address_comes_from_the_configured_proxy_header(rf, settings):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert ratelimit.client_ip(request) == "127.0.0.1"
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    assert ratelimit.client_ip(request) == "203.0.113.9"
    # Something that is not an address is never used (nor stored by the password lockout).
    forged = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, <script>")
    assert ratelimit.client_ip(forged) == "127.0.0.1"
    assert ratelimit.axes_client_ip(rf.get("/", REMOTE_ADDR="")) is None


def test_registration_form_is_limited_per_address(client, event, categories):
    answers = [
        client.post(
            f"/events/{event.slug}/register/", form(categories["company"], email="anna@example.org")
        ).status_code
        for _ in range(6)
    ]
    assert answers == [302] * 5 + [429]
    assert Participant.objects.count() == 1
    assert len(mail.outbox) == 5  # one confirmation, then four "already registered" notices


def test_registration_api_answers_429_with_a_code_and_retry_after(
    client, settings, event, categories, organizer
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_register_ip": "2/3600"}
    raw = accounts.create_api_token(event=event, user=organizer, name="CRM")[1]
    answers = []
    for i in range(3):
        body = person_data(email=f"api{i}@example.org", category="company")
        answers.append(
            client.post(
                f"/api/events/{event.slug}/participants",
                body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {raw}",
            )
        )
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].json()["code"] == "rate_limited" and answers[2].json()["detail"]
    assert int(answers[2]["Retry-After"]) > 0


def test_wrong_passwords_lock_the_password_form(client, settings, organizer):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/accounts/login/", {"username": organizer.email, "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": organizer.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many attempts" in locked.text and int(locked["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_limits_hold_across_processes_with_redis(settings):
    """With SUMMIT_REDIS_URL the counters live in Redis: two cache connections (two server processes) share
    them."""
    from django.core.cache import caches

    url = os.environ.get("SUMMIT_REDIS_URL") or "redis://127.0.0.1:6379/0"
    prefix = f"summit-test-{uuid.uuid4().hex[:8]}"
    redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}
    with override_settings(CACHES={"default": redis}):
        ratelimit.hit("x", "a@example.org", limit="2/60")
        caches["default"].close()
        del caches["default"]  # a new connection, as in another process
        ratelimit.hit("x", "a@example.org", limit="2/60")
        with pytest.raises(ratelimit.RateLimited):
            ratelimit.hit("x", "a@example.org", limit="2/60")


# --- no answer tells whether an address is registered --------------------------------------------------


def test_registering_a_registered_address_looks_like_a_new_registration(client, event, categories):
    owner = make_delegate(event, categories["company"], email="wei@example.cn", language="zh-hans")
    new = client.post(f"/events/{event.slug}/register/", form(categories["company"], email="new@example.org"))
    new_page = client.get(new["Location"]).text
    again = client.post(
        f"/events/{event.slug}/register/", form(categories["company"], email="wei@example.cn")
    )
    again_page = client.get(again["Location"]).text
    assert (new.status_code, new["Location"]) == (again.status_code, again["Location"])
    assert same(new_page, "new@example.org") == same(again_page, "wei@example.cn")
    assert Participant.objects.filter(email="wei@example.cn").count() == 1
    notice = mail.outbox[-1]
    assert notice.to == ["wei@example.cn"]
    # In the owner's language (strings the catalogue already has).
    assert notice.subject.startswith("您的") and "尊敬的" in notice.body and "状态" in notice.body
    assert "/signin/" in notice.body
    owner.refresh_from_db()
    assert owner.status == "approved"


def test_sign_in_form_answers_the_same_for_unknown_addresses(client, event, categories):
    make_delegate(event, categories["company"], email="amina@example.org")
    known = client.post(f"/events/{event.slug}/signin/", {"email": "amina@example.org"}, follow=True)
    unknown = client.post(f"/events/{event.slug}/signin/", {"email": "zora@example.org"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert same(known.text, "amina@example.org") == same(unknown.text, "zora@example.org")


def test_forms_sent_back_with_mistakes_do_not_use_up_the_limit(client, event, categories):
    url = f"/events/{event.slug}/register/"
    for _ in range(8):  # a delegate fixing typos: the form comes back with a field error each time
        page = client.post(url, form(categories["company"], email="anna@example.org", country=""))
        assert page.status_code == 200
    assert client.post(url, form(categories["company"], email="anna@example.org")).status_code == 302
    assert Participant.objects.count() == 1
