"""Hostile input at the registration door: forged Host headers, mail text, invisible characters."""

import pytest
from django.core import mail
from django.urls import reverse

from summit.core.models import OutboxMail
from summit.registration import services
from summit.registration.models import Participant
from summit.registration.testing import form_data, make_participant, person_data

pytestmark = pytest.mark.django_db


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


# --- NUL characters, whatever the content type ------------------------------------------------------------


@pytest.fixture
def api_token(event, organizer):
    from summit.accounts.services import create_api_token

    return create_api_token(user=organizer, event=event, name="t")[1]


def api_post(client, path, body, token, content_type="application/json"):
    return client.post(path, data=body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}")


def api_person(**extra) -> dict:
    data = {
        "email": "nul@example.org",
        "category": "company",
        "given_name": "Anna",
        "family_name": "Schmidt",
        "country": "DE",
        "organization_name": "Example GmbH",
        "position": "CTO",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/octet-stream", ""])
def test_nul_in_a_json_body_is_refused_whatever_the_content_type(
    client, event, categories, api_token, content_type
):
    import json

    escaped = json.dumps(api_person(given_name="An\x00na"))  # the JSON escape \u0000
    raw = json.dumps(api_person(given_name="An\x00na"), ensure_ascii=False).replace("\\u0000", "\x00")
    for body in (escaped, raw):
        answer = api_post(client, f"/api/events/{event.slug}/participants", body, api_token, content_type)
        assert answer.status_code == 400, answer.content
        assert answer.json()["code"] == "bad_input"
    assert not Participant.objects.exists()


def test_an_escaped_backslash_before_u0000_is_not_a_nul(client, event, categories, api_token):
    import json

    body = json.dumps(api_person(position="C:\\u0000dir"))  # text "C:\u0000dir": a backslash, not NUL
    assert "\\\\u0000" in body
    answer = api_post(client, f"/api/events/{event.slug}/participants", body, api_token)
    assert answer.status_code == 201, answer.content
    assert Participant.objects.get().position == "C:\\u0000dir"


def test_nul_in_a_multipart_text_field_is_refused_but_binary_files_pass(client, event, categories):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from summit.core.testing import PDF_BYTES

    url = reverse("registration:register", args=[event.slug])
    response = client.post(url, form_data(categories["company"], given_name="A\x00"))
    assert response.status_code == 400
    pdf = SimpleUploadedFile("card.pdf", PDF_BYTES + b"\x00\x00", content_type="application/pdf")
    response = client.post(url, form_data(categories["company"], press_card_file=pdf))
    assert response.status_code in (200, 302)
    assert Participant.objects.filter(email="anna@example.org").exists()


# --- request size ------------------------------------------------------------------------------------------


def test_an_oversized_json_body_is_refused_with_413_before_it_is_read(client, event, categories, api_token):
    body = '{"email": "' + "a" * (3 * 1024 * 1024) + '"}'
    answer = api_post(client, f"/api/events/{event.slug}/participants", body, api_token)
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_large" and "too large" in answer.json()["detail"]


def test_an_oversized_anonymous_upload_is_refused_with_413_from_its_content_length(client, event, settings):
    class Unreadable:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    url = reverse("registration:register", args=[event.slug])
    page = client.generic(
        "POST",
        url,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(100 * 1024 * 1024),
        **{"wsgi.input": Unreadable()},
    )
    assert page.status_code == 413
    assert "too large" in page.text
    small = client.generic(
        "POST", url, data=b"", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH="-5"
    )
    assert small.status_code != 413


def test_an_upload_within_the_limit_reaches_the_form(client, event, categories, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from summit.core.testing import PDF_BYTES

    assert settings.MAX_REQUEST_BYTES > settings.MAX_UPLOAD_BYTES
    big = SimpleUploadedFile(
        "card.pdf", PDF_BYTES + b"0" * settings.MAX_UPLOAD_BYTES, content_type="application/pdf"
    )
    page = client.post(
        reverse("registration:register", args=[event.slug]),
        form_data(categories["company"], press_card_file=big),
    )
    assert page.status_code == 200  # the form, with its field error
    assert not Participant.objects.exists()


# --- invisible and direction-control characters ------------------------------------------------------------

RLO, PDF_, ZWSP, ZWNJ, ZWJ, BOM = "\u202e", "\u202c", "\u200b", "\u200c", "\u200d", "\ufeff"


def test_the_same_person_cannot_register_three_times_with_invisible_variants(client, event, categories):
    url = reverse("registration:register", args=[event.slug])
    client.post(url, form_data(categories["company"]))
    for email in (f"Anna@EXAMPLE.org{ZWSP}", "anna@ｅｘａｍｐｌｅ.org"):
        # The same neutral answer as a new registration (no enumeration); the owner is told by mail.
        page = client.post(url, form_data(categories["company"], email=email))
        assert page.status_code == 302 and page.url.endswith("/register/done/")
        assert (
            OutboxMail.objects.filter(to="anna@example.org", template__contains="already_registered").count()
            >= 1
        )
    page = client.post(url, form_data(categories["company"], email=f"an{ZWSP}na@example.org"))
    assert page.status_code == 200 and "invisible characters" in page.text
    page = client.post(url, form_data(categories["company"], email=f"anna@{RLO}gro.elpmaxe"))
    assert "changes the direction of the text" in page.text
    assert list(Participant.objects.values_list("email", flat=True)) == ["anna@example.org"]


def test_names_and_organizations_lose_direction_overrides_and_zero_width_characters(
    client, event, categories
):
    client.post(
        reverse("registration:register", args=[event.slug]),
        form_data(
            categories["company"],
            given_name=f"{RLO}annA{PDF_}",
            family_name=f"Sch{ZWSP}midt{BOM}",
            organization_name=f"Example{ZWJ} GmbH\x07",
            position="CTO\x00"[:3],
        ),
    )
    p = Participant.objects.get()
    assert (p.given_name, p.family_name, p.organization.name) == ("annA", "Schmidt", "Example GmbH")
    assert p.given_name_latin == "annA"


def test_persian_indic_and_emoji_joiners_are_kept_in_names(event, categories):
    p = services.register(
        event=event,
        data=person_data(
            given_name=f"می{ZWNJ}نا",
            family_name=f"क्{ZWJ}षत्रिय",
            given_name_latin="Mina",
            family_name_latin="Kshatriya",
            position=f"👩{ZWJ}💻",
        ),
        category=categories["company"],
    )
    p.refresh_from_db()
    assert p.given_name == f"می{ZWNJ}نا" and p.family_name == f"क्{ZWJ}षत्रिय" and p.position == f"👩{ZWJ}💻"


def test_api_refuses_hostile_email_and_cleans_names(client, event, categories, api_token):
    import json

    answer = api_post(
        client,
        f"/api/events/{event.slug}/participants",
        json.dumps(api_person(email=f"nul@exam{RLO}ple.org")),
        api_token,
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["field"] == "email" and body["errors"][0]["code"] == "email_invisible_characters"
    assert "direction" in body["detail"]
    answer = api_post(
        client,
        f"/api/events/{event.slug}/participants",
        json.dumps(
            api_person(email="NUL@Example.ORG", given_name=f"{RLO}Anna", family_name=f"Sch{ZWSP}midt")
        ),
        api_token,
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["email"] == "nul@example.org"
    p = Participant.objects.get()
    assert (p.given_name, p.family_name) == ("Anna", "Schmidt")


def test_csv_import_reports_hostile_emails_per_row_and_catches_lookalike_duplicates(
    event, categories, organizer
):
    import csv
    import io

    from summit.core.errors import ValidationFailed
    from summit.registration.imports import import_participants

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["email", "given_name", "family_name", "country", "category", "organization"])
    writer.writerows(
        [
            ["anna@example.org", f"{RLO}Anna", "Schmidt", "DE", "company", "Example GmbH"],
            [f"ANNA@example.org{ZWSP}", "Anna", "Schmidt", "DE", "company", "Example GmbH"],
            ["anna@ｅｘａｍｐｌｅ.org", "Anna", "Schmidt", "DE", "company", "Example GmbH"],
            [f"an{ZWSP}na@example.org", "Anna", "Schmidt", "DE", "company", "Example GmbH"],
            [f"bob@{RLO}gro.elpmaxe", "Bob", "Brown", "GB", "company", "Example GmbH"],
            ["carl@\u0435xample.org", "Carl", "Cole", "GB", "company", "Example GmbH"],
        ]
    )
    with pytest.raises(ValidationFailed) as excinfo:
        import_participants(event=event, data=out.getvalue().encode(), actor=organizer)
    found = {(e["row"], e["column"], e["code"]) for e in excinfo.value.errors}
    assert found == {
        (3, "email", "duplicate_email"),
        (4, "email", "duplicate_email"),
        (5, "email", "email_invisible_characters"),
        (6, "email", "email_invisible_characters"),
        (7, "email", "email_mixed_scripts"),
    }
    assert not Participant.objects.exists()


# --- uploads are served as attachments that cannot act as a page -------------------------------------------


def test_press_card_is_served_as_a_sandboxed_attachment(client, event, categories, officer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from summit.core.testing import PDF_BYTES
    from summit.registration.testing import make_invitation

    p = services.register(
        event=event,
        data=person_data(email="j@example.org", outlet="Le Monde", press_card_number="1"),
        invitation_code=make_invitation(event, categories["media"]).code,
        press_card=SimpleUploadedFile("c.pdf", PDF_BYTES),
    )
    client.force_login(officer)
    response = client.get(reverse("registration:press_card", args=[event.slug, p.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="press-card-{p.pk}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert response["Cache-Control"] == "private, no-store"


def test_csv_headers_with_invisible_characters_are_understood(event, categories, organizer):
    from summit.registration.imports import import_participants

    data = (
        f"{BOM}email{ZWSP},given_name,{RLO}family_name,country,category,organization\r\n"
        "anna@example.org,Anna,Schmidt,DE,company,Example GmbH\r\n"
    ).encode()
    import_participants(event=event, data=data, actor=organizer)
    assert Participant.objects.get().family_name == "Schmidt"


def test_a_participant_saved_through_the_admin_is_cleaned_too(event, categories):
    p = make_participant(event, categories["company"])
    p.given_name = f"{RLO}annA{PDF_}"
    p.decision_reason = f"Welcome{ZWSP}\r\nagain"
    p.save()
    p.refresh_from_db()
    assert (p.given_name, p.decision_reason) == ("annA", "Welcome\nagain")
    assert RLO not in p.search_text
