"""Sign-in links sign a participant in for the link's event only, never a staff or password account."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from summit.accounts import services as accounts
from summit.accounts.models import MagicLink
from summit.core.errors import Forbidden
from summit.core.testing import make_user
from summit.events.models import EventRole
from summit.registration.testing import make_delegate, person_data

pytestmark = pytest.mark.django_db


def link_in(message) -> str | None:
    found = re.search(r"https?://\S+/signin/\S+", message.body)
    return urlsplit(found.group(0)).path if found else None


def register(client, event, categories, **data):
    payload = person_data(name_order="given_first", **data)
    payload["category"] = str(categories["company"].pk)
    return client.post(f"/events/{event.slug}/register/", payload)


def test_registering_an_organizers_address_elsewhere_mails_no_link(client, event, other_event):
    # The organizer of `wic` has no password yet: their staff role alone must keep links away.
    boss = make_user("boss@example.org", password=None)
    EventRole.objects.create(event=event, user=boss, role=EventRole.ORGANIZER)
    categories = {c.code: c for c in other_event.categories.all()}
    response = register(client, other_event, categories, email="boss@example.org")
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.to == ["boss@example.org"]
    assert link_in(message) is None
    assert "/accounts/login/" in message.body
    assert "signs in with its password" in message.body and "no password needed" not in message.body
    assert not MagicLink.objects.filter(user=boss).exists()


def test_a_link_of_a_staff_or_password_account_does_not_sign_in(client, event, categories):
    person = make_delegate(event, categories["company"], email="amina@example.org")
    raw_link = accounts.issue_link(user=person.user, event=event)
    # The account becomes staff after the link was sent.
    EventRole.objects.create(event=event, user=person.user, role=EventRole.ACCREDITATION_OFFICER)
    response = client.post(urlsplit(raw_link).path)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    manage = client.get(f"/events/{event.slug}/manage/")
    assert manage.status_code in (302, 404)


@pytest.mark.parametrize("kind", ["password", "is_staff", "superuser", "role"])
def test_links_are_never_issued_to_staff_or_password_accounts(event, categories, kind):
    user = make_user(password="secret-pass-1" if kind == "password" else None)
    if kind == "is_staff":
        user.is_staff = True
        user.save()
    if kind == "superuser":
        user.is_superuser = True
        user.save()
    if kind == "role":
        EventRole.objects.create(event=event, user=user, role=EventRole.ORGANIZER)
    with pytest.raises(Forbidden):
        accounts.issue_link(user=user, event=event)


def test_sign_in_link_form_for_an_organizer_sends_the_password_form(client, event, categories, other_event):
    boss = make_user("boss@example.org", password=None)
    EventRole.objects.create(event=event, user=boss, role=EventRole.ORGANIZER)
    make_delegate(other_event, other_event.categories.first(), email="boss@example.org", user=boss)
    client.post(f"/events/{other_event.slug}/signin/", {"email": "boss@example.org"})
    assert link_in(mail.outbox[-1]) is None
    assert not MagicLink.objects.exists()


def test_a_link_for_event_a_does_not_open_event_b(client, event, categories, other_event):
    person = make_delegate(event, categories["company"], email="amina@example.org")
    make_delegate(other_event, other_event.categories.first(), email="amina@example.org", user=person.user)
    path = urlsplit(accounts.issue_link(user=person.user, event=event)).path
    assert client.post(path)["Location"] == f"/events/{event.slug}/me/"
    assert client.get(f"/events/{event.slug}/me/").status_code == 200
    assert client.get(f"/events/{event.slug}/agenda/").status_code == 200
    # Event B's pages see nobody signed in.
    assert client.get(f"/events/{other_event.slug}/me/")["Location"].endswith(f"/{other_event.slug}/signin/")
    assert client.get(f"/events/{other_event.slug}/me/tokens/").status_code == 302
    assert client.get(f"/events/{other_event.slug}/agenda/").status_code in (302, 404)
    assert client.post(f"/events/{other_event.slug}/me/cancel/", {"confirm": "yes"}).status_code in (302, 404)
    other = other_event.participants.get()
    assert other.status == "approved"
    # B's own link adds B to the same session.
    path_b = urlsplit(accounts.issue_link(user=person.user, event=other_event)).path
    client.post(path_b)
    assert client.get(f"/events/{other_event.slug}/me/").status_code == 200
    assert client.get(f"/events/{event.slug}/me/").status_code == 200


def test_a_new_link_replaces_the_older_unused_ones(client, event, categories):
    person = make_delegate(event, categories["company"], email="amina@example.org")
    first = urlsplit(accounts.issue_link(user=person.user, event=event)).path
    second = urlsplit(accounts.issue_link(user=person.user, event=event)).path
    assert client.post(first).status_code == 409
    assert "_auth_user_id" not in client.session
    assert client.post(second).status_code == 302


def test_a_link_session_never_reaches_a_back_office(client, event, categories):
    person = make_delegate(event, categories["company"], email="amina@example.org")
    client.post(urlsplit(accounts.issue_link(user=person.user, event=event)).path)
    # She becomes an accreditation officer while signed in by link.
    EventRole.objects.create(event=event, user=person.user, role=EventRole.ACCREDITATION_OFFICER)
    assert client.get(f"/events/{event.slug}/manage/participants/").status_code == 404
    assert client.get("/admin/").status_code == 302
    assert client.get(f"/events/{event.slug}/me/").status_code == 200
