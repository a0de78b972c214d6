"""Odd input and failure cases: each gets a clear answer and leaves nothing half-done."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from summit.core.errors import Conflict, as_id
from summit.core.testing import PDF_BYTES
from summit.registration import services
from summit.registration.models import Participant
from summit.registration.testing import make_invitation, make_participant, person_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "value, expected",
    [("42", 42), (7, 7), ("²", None), ("-1", None), ("0", None), ("9" * 30, None), ("", None), (True, None)],
)
def test_as_id_accepts_only_plain_database_ids(value, expected):
    assert as_id(value) == expected


@pytest.mark.parametrize(
    "query",
    [
        "?category=%C2%B2",
        "?organization=%C2%B2",
        "?organization=999999999999999999999",
        "?category=nope",
        "?q=a%00b",
    ],
)
def test_odd_list_filters_answer_clearly(officer_client, event, categories, query):
    page = officer_client.get(reverse("manage:participants", args=[event.slug]) + query)
    assert page.status_code in (200, 400, 422)
    if "category=nope" in query:
        assert "Unknown category" in page.text


def test_decide_with_odd_ids_is_refused_without_change(officer_client, event, categories):
    p = make_participant(event, categories["company"])
    for ids in (["²"], ["99999999999999999999"]):
        officer_client.post(reverse("manage:decide", args=[event.slug]), {"ids": ids, "action": "approved"})
    p.refresh_from_db()
    assert p.status == "submitted"


def test_nul_characters_are_refused_at_the_door(client, officer_client, event, categories):
    assert client.get(reverse("registration:register", args=[event.slug]) + "?code=%00").status_code == 400
    response = client.post(
        reverse("registration:register", args=[event.slug]), {"email": "a\x00@example.org"}
    )
    assert response.status_code == 400
    api = client.post(
        "/api/events/wic/participants", data='{"email": "x\\u0000"}', content_type="application/json"
    )
    assert api.status_code == 400 and api.json()["code"] == "bad_input"
    assert not Participant.objects.exists()


def test_a_cancelled_registration_cannot_be_decided_on(event, categories, officer):
    p = make_participant(event, categories["company"])
    services.cancel(participant=p, actor=p.user)
    with pytest.raises(Conflict) as exc:
        services.decide(participant=p, status="approved", actor=officer)
    assert exc.value.code == "cancelled"
    p.refresh_from_db()
    assert p.status == "cancelled"


def test_online_participants_have_no_waitlist(event, categories, officer):
    p = make_participant(event, categories["company"], attendance_mode="online")
    with pytest.raises(Conflict) as exc:
        services.decide(participant=p, status="waitlisted", actor=officer)
    assert exc.value.code == "online_no_waitlist"


def test_waitlist_promotion_follows_positions_not_ids(event, categories):
    cat = categories["company"]
    cat.onsite_quota, cat.needs_approval = 1, False
    cat.save()
    holder = make_participant(event, cat, status="approved")
    later = make_participant(event, cat, status="waitlisted", waitlist_position=2)
    earlier = make_participant(event, cat, status="waitlisted", waitlist_position=1)
    services.cancel(participant=holder, actor=None)
    earlier.refresh_from_db()
    later.refresh_from_db()
    assert (earlier.status, later.status) == ("approved", "waitlisted")


def test_a_mail_server_failure_does_not_undo_or_break_a_registration(
    event, categories, settings, monkeypatch
):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    p = services.register(event=event, data=person_data(), category=categories["company"])
    assert Participant.objects.filter(pk=p.pk).exists()


def test_a_failed_registration_leaves_no_press_card_file(event, categories, settings, monkeypatch):
    inv = make_invitation(event, categories["media"])

    def fail(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr("summit.core.audit.entry", fail)  # the audit entries are written after the file
    with pytest.raises(RuntimeError):
        services.register(
            event=event,
            data=person_data(outlet="X", press_card_number="1"),
            invitation_code=inv.code,
            press_card=SimpleUploadedFile("c.pdf", PDF_BYTES),
        )
    folder = settings.PRIVATE_MEDIA_ROOT / "press-cards"
    assert not Participant.objects.exists()
    assert not folder.exists() or list(folder.iterdir()) == []


def test_edit_page_ignores_a_press_card_for_categories_without_one(client, event, categories):
    p = make_participant(event, categories["company"], organization=None)
    client.force_login(p.user)
    client.post(
        reverse("registration:edit", args=[event.slug]),
        {
            "given_name": "Wei",
            "family_name": "Wang",
            "name_order": "family_first",
            "country": "CN",
            "language": "en",
            "organization_name": "Org",
            "organization_type": "company",
            "press_card_file": SimpleUploadedFile("c.pdf", PDF_BYTES),
        },
    )
    p.refresh_from_db()
    assert p.organization.name == "Org" and not p.press_card_file


def test_press_card_missing_on_disk_is_404_not_500(client, event, categories, officer):
    p = make_participant(event, categories["media"], press_card_file="press-cards/gone.pdf")
    client.force_login(officer)
    assert client.get(reverse("registration:press_card", args=[event.slug, p.pk])).status_code == 404


def test_history_shows_actions_in_words(officer_client, event, categories, officer):
    p = make_participant(event, categories["company"])
    services.decide(participant=p, status="rejected", actor=officer, reason="No documents")
    page = officer_client.get(reverse("manage:participant", args=[event.slug, p.pk]))
    assert ">Rejected</td>" in page.text and "No documents" in page.text
    assert len(mail.outbox) == 1
