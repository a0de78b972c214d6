"""The pages a delegate uses: register (also by invitation), sign in by link, see and change the registration."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from summit.core.testing import EXE_BYTES, PDF_BYTES, expired, make_user
from summit.registration import services
from summit.registration.models import Participant
from summit.registration.testing import form_data, make_invitation, make_participant

pytestmark = pytest.mark.django_db


def link_from(message) -> str:
    return next(line for line in message.body.splitlines() if "/signin/" in line).strip()


def test_event_home_lists_open_categories_in_both_languages(client, event, categories):
    page = client.get(reverse("events:home", args=[event.slug]))
    assert page.status_code == 200
    assert "World Internet Conference" in page.text and "Company" in page.text
    assert "VIP guest" not in page.text  # invitation only
    page = client.get(reverse("events:home", args=[event.slug]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "世界互联网大会" in page.text


def test_unknown_event_is_404(client, db):
    assert client.get("/events/nope/").status_code == 404


def test_register_confirms_and_mails_the_status_with_a_link(client, event, categories):
    page = client.post(
        reverse("registration:register", args=[event.slug]), form_data(categories["company"]), follow=True
    )
    assert page.status_code == 200
    # The page shows nothing of the registration (an address already registered gets the same page).
    assert 'id="done-mail"' in page.text and "anna@example.org" in page.text
    p = Participant.objects.get(email="anna@example.org")
    assert p.organization.name == "Example GmbH"
    assert len(mail.outbox) == 1
    assert "Submitted" in mail.outbox[0].body and "/signin/" in mail.outbox[0].body


def test_empty_form_shows_field_errors_and_stores_nothing(client, event, categories):
    page = client.post(reverse("registration:register", args=[event.slug]), {})
    assert page.status_code == 200
    assert page.text.count('class="errorlist"') >= 4
    assert not Participant.objects.exists()


def test_category_required_field_is_shown_on_the_field(client, event, categories):
    page = client.post(
        reverse("registration:register", args=[event.slug]), form_data(categories["government"], position="")
    )
    assert 'id="id_position_error"' in page.text
    assert "required for the category" in page.text


def test_overlong_name_is_refused(client, event, categories):
    page = client.post(
        reverse("registration:register", args=[event.slug]),
        form_data(categories["company"], given_name="A" * 101),
    )
    assert 'id="id_given_name_error"' in page.text
    assert not Participant.objects.exists()


def test_invitation_link_registers_a_journalist_with_press_card(client, event, categories):
    inv = make_invitation(event, categories["media"], code="PRESS")
    url = reverse("registration:register", args=[event.slug]) + "?code=PRESS"
    page = client.get(url)
    assert "You were invited as: Media" in page.text
    card = SimpleUploadedFile("card.pdf", PDF_BYTES, content_type="application/pdf")
    data = form_data(
        categories["media"],
        outlet="Xinhua",
        press_card_number="PC-9",
        invitation_code="PRESS",
        press_card_file=card,
    )
    page = client.post(url, data, follow=True)
    assert 'id="done-mail"' in page.text
    p = Participant.objects.get()
    assert p.status == "submitted"
    assert p.category.code == "media" and p.invitation == inv and p.press_card_file


def test_press_card_that_is_not_a_document_is_refused(client, event, categories):
    make_invitation(event, categories["media"], code="PRESS")
    card = SimpleUploadedFile("card.pdf", EXE_BYTES, content_type="application/pdf")
    data = form_data(
        categories["media"], outlet="X", press_card_number="1", invitation_code="PRESS", press_card_file=card
    )
    page = client.post(reverse("registration:register", args=[event.slug]) + "?code=PRESS", data)
    assert 'id="id_press_card_file_error"' in page.text and "PDF, JPEG or PNG" in page.text
    assert not Participant.objects.exists()


@pytest.mark.parametrize(
    "setup, text",
    [
        (dict(expires_at=expired()), "expired"),
        (dict(max_uses=1, uses=1), "already been used"),
    ],
)
def test_expired_or_used_invitation_link(client, event, categories, setup, text):
    make_invitation(event, categories["vip"], code="VIP1", **setup)
    page = client.get(reverse("registration:register", args=[event.slug]) + "?code=VIP1")
    assert page.status_code == 410 and text in page.text


def test_magic_link_signs_in_once(client, event, categories):
    p = make_participant(event, categories["company"])
    services.request_magic_link(event=event, email=p.email.upper())
    link = link_from(mail.outbox[-1])
    # Opening the link (as a mail scanner would) only shows a button; it does not use the link up.
    for _ in range(2):
        page = client.get(link)
        assert page.status_code == 200 and 'id="magic-signin"' in page.text
    assert client.get(reverse("registration:me", args=[event.slug])).status_code == 302
    page = client.post(link, follow=True)
    assert page.status_code == 200 and p.display_name in page.text and 'id="status"' in page.text
    client.logout()
    again = client.post(link)
    assert again.status_code == 409 and "already been used" in again.text
    assert client.get(link).status_code == 409


def test_expired_magic_link_is_refused(client, event, categories):
    p = make_participant(event, categories["company"])
    link = services.issue_magic_link(participant=p)
    p.user.magic_links.update(expires_at=expired())
    page = client.get(link)
    assert page.status_code == 409 and "expired" in page.text


def test_signin_page_does_not_reveal_whether_an_address_is_registered(client, event, categories):
    make_participant(event, categories["company"], email="known@example.org")
    a = client.post(
        reverse("registration:signin", args=[event.slug]), {"email": "known@example.org"}, follow=True
    )
    b = client.post(
        reverse("registration:signin", args=[event.slug]), {"email": "unknown@example.org"}, follow=True
    )
    assert len(mail.outbox) == 1
    messages = [
        [str(m).replace("unknown@", "X@").replace("known@", "X@") for m in r.context["messages"]]
        for r in (a, b)
    ]
    assert (
        messages[0]
        == messages[1]
        == ["If X@example.org is registered for this event, a sign-in link is on its way."]
    )


def test_participant_edits_switches_and_cancels(client, event, categories):
    cat = categories["company"]
    cat.onsite_quota, cat.needs_approval = 1, False
    cat.save()
    me = services.register(
        event=event,
        data={
            "email": "me@example.org",
            "given_name": "Li",
            "family_name": "Na",
            "country": "CN",
            "organization_name": "Org",
        },
        category=cat,
    )
    waiting = services.register(
        event=event,
        data={
            "email": "w@example.org",
            "given_name": "Jo",
            "family_name": "Do",
            "country": "FR",
            "organization_name": "Org",
        },
        category=cat,
    )
    client.force_login(me.user)
    page = client.get(reverse("registration:me", args=[event.slug]))
    assert "Approved" in page.text
    form = client.get(reverse("registration:edit", args=[event.slug]))
    assert form.status_code == 200 and form.text.count("summit/names.js") == 1
    page = client.post(
        reverse("registration:edit", args=[event.slug]),
        {
            "given_name": "Na",
            "family_name": "Li",
            "name_order": "family_first",
            "country": "CN",
            "language": "zh-hans",
            "organization_name": "New Org",
            "organization_type": "research",
            "position": "Professor",
        },
        follow=True,
    )
    me.refresh_from_db()
    assert (me.position, me.language, me.organization.name) == ("Professor", "zh-hans", "New Org")
    client.post(reverse("registration:switch", args=[event.slug]), {"mode": "online"})
    waiting.refresh_from_db()
    assert waiting.status == "approved"
    page = client.post(reverse("registration:switch", args=[event.slug]), {"mode": "onsite"}, follow=True)
    assert "stay online" in page.text or "留在线上" in page.text
    page = client.post(reverse("registration:cancel", args=[event.slug]), {}, follow=True)
    me.refresh_from_db()
    assert me.status == "approved"  # not confirmed
    client.post(reverse("registration:cancel", args=[event.slug]), {"confirm": "yes"})
    me.refresh_from_db()
    assert me.status == "cancelled"


def test_press_card_only_for_owner_and_accreditation_staff(client, event, categories, officer, other_event):
    inv = make_invitation(event, categories["media"])
    p = services.register(
        event=event,
        data={
            "email": "j@example.org",
            "given_name": "J",
            "family_name": "K",
            "country": "FR",
            "outlet": "Le Monde",
            "press_card_number": "1",
        },
        invitation_code=inv.code,
        press_card=SimpleUploadedFile("c.pdf", PDF_BYTES),
    )
    url = reverse("registration:press_card", args=[event.slug, p.pk])
    assert client.get(url).status_code == 404
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    client.force_login(p.user)
    assert client.get(url).status_code == 200
    client.force_login(officer)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client.get(reverse("registration:press_card", args=[other_event.slug, p.pk])).status_code == 404


def test_the_country_list_is_in_the_viewers_language(client, event, categories):
    url = reverse("registration:register", args=[event.slug])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").text
    assert '<option value="DE">Germany</option>' in english
    client.cookies.load({"django_language": "zh-hans"})
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").text
    assert '<option value="DE">德国</option>' in chinese and ">Germany<" not in chinese
