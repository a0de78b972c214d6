"""Hostile input at the registration door: forged Host headers, mail text, invisible characters."""

import pytest
from django.core import mail
from django.urls import reverse

from summit.registration import services
from summit.registration.models import Participant
from summit.registration.testing import make_participant

pytestmark = pytest.mark.django_db


def form_data(category, **extra):
    data = {
        "email": "anna@example.org",
        "category": str(category.pk),
        "attendance_mode": "onsite",
        "given_name": "Anna",
        "family_name": "Schmidt",
        "name_order": "given_first",
        "country": "DE",
        "language": "en",
        "organization_name": "Example GmbH",
        "organization_type": "company",
        "position": "CTO",
    }
    data.update(extra)
    return data


# --- links in mails come from SUMMIT_SITE_URL, never from the Host header --------------------------------


def test_mail_links_ignore_a_forged_host_header(client, event, categories, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "https://summit.example.org"
    client.post(
        reverse("registration:register", args=[event.slug]),
        form_data(categories["company"]),
        HTTP_HOST="evil.example",
    )
    make_participant(event, categories["company"], email="known@example.org")
    client.post(
        reverse("registration:signin", args=[event.slug]),
        {"email": "known@example.org"},
        HTTP_HOST="evil.example",
    )
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert "evil.example" not in message.body
        assert "https://summit.example.org/signin/" in message.body


def test_api_invitation_link_ignores_a_forged_host_header(client, event, categories, organizer, settings):
    from summit.accounts.services import create_api_token

    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "https://summit.example.org"
    _, raw = create_api_token(user=organizer, event=event, name="t")
    answer = client.post(
        f"/api/events/{event.slug}/invitations",
        data={"category": categories["vip"].code},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_HOST="evil.example",
    )
    assert answer.status_code in (200, 201), answer.content
    assert answer.json()["link"].startswith("https://summit.example.org/")


# --- plain-text mails are not HTML-escaped ----------------------------------------------------------------


def test_plain_text_mail_is_not_html_escaped(client, event, categories):
    client.post(
        reverse("registration:register", args=[event.slug]),
        form_data(categories["company"], given_name="Ann", family_name="O'Brien <Ann> & Co"),
    )
    (message,) = mail.outbox
    assert "O'Brien <Ann> & Co" in message.body
    assert "&#x27;" not in message.body and "&lt;" not in message.body and "&amp;" not in message.body
    p = Participant.objects.get()
    services.request_magic_link(event=event, email=p.email)
    assert "O'Brien <Ann> & Co" in mail.outbox[-1].body
