"""A sign-in link asked for from a page brings the participant back to that page."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from summit.registration.testing import make_delegate

pytestmark = pytest.mark.django_db


def link_in(message) -> str:
    return re.search(r"https?://\S+/signin/\S+", message.body).group(0)


def test_signin_from_a_session_page_returns_there(client, event, categories):
    person = make_delegate(event, categories["company"], email="amina@example.org")
    page = f"/events/{event.slug}/program/sessions/7/"
    response = client.post(f"/events/{event.slug}/signin/?next={page}", {"email": "amina@example.org"})
    assert response.status_code == 302
    link = link_in(mail.outbox[-1])
    assert "next=" in link
    parts = urlsplit(link)
    signed_in = client.post(f"{parts.path}?{parts.query}")
    assert signed_in.status_code == 302 and signed_in["Location"] == page
    assert client.session["_auth_user_id"] == str(person.user_id)


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/events/other/program/", "/admin/", "/events/wic/\\x"],
)
def test_signin_never_sends_people_elsewhere(client, event, categories, target):
    make_delegate(event, categories["company"], email="amina@example.org")
    client.post(
        f"/events/{event.slug}/signin/", {"email": "amina@example.org"}, QUERY_STRING=f"next={target}"
    )
    link = link_in(mail.outbox[-1])
    assert "next=" not in link
    # Even a hand-edited link falls back to "my registration".
    response = client.post(urlsplit(link).path, QUERY_STRING=f"next={target}")
    assert response["Location"] == f"/events/{event.slug}/me/"
