"""Entry pages: the participant's entry, proofs and badge; the officers' review; the organizers' page. Roles
× pages: whoever may not see a page gets 404 and nothing of it."""

from datetime import UTC, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from summit.core.models import AuditEntry
from summit.core.testing import EXE_BYTES, PDF_BYTES
from summit.entry.models import CategoryAccess, EntryRule, ErasureRequest, Proof
from summit.entry.testing import (
    make_entry_officer,
    make_gate_staff,
    make_holder,
    make_proof,
    make_rule,
    stored_proof,
)
from summit.events.testing import make_staff
from summit.registration.models import Participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def journalist(event, categories):
    make_rule(event, kinds=("test", "pcr"), category=categories["media"])
    return make_holder(
        event, categories["media"], given_name="Анна", family_name="Иванова", language="zh-hans"
    )


def upload(client, **extra):
    data = {
        "kind": "test",
        "taken_date": (timezone.now() - timedelta(days=1)).date().isoformat(),
        "taken_time": "09:30",
        "time_zone": "Europe/Moscow",
        "file": SimpleUploadedFile("test.pdf", PDF_BYTES),
    }
    data.update(extra)
    return client.post("/events/wic/entry/", data)


def test_a_journalist_uploads_a_test_an_officer_accepts_it_and_the_badge_appears(client, event, journalist):
    client.force_login(journalist.user)
    page = client.get("/events/wic/entry/").content.decode()
    assert (
        'id="entry-missing"' in page
        and "Negative test (any kind) taken at most 7 days before check-in" in page
    )
    assert client.get("/events/wic/entry/badge/").content.decode().count('id="badge-missing"') == 1
    assert upload(client).status_code == 302
    proof = Proof.objects.get()
    assert proof.taken_at.utcoffset() is not None and proof.taken_at.astimezone(UTC).hour == 6  # 09:30 Moscow
    officer = make_entry_officer(event)
    client.force_login(officer)
    review = client.get("/events/wic/manage/entry/review/").content.decode()
    assert "Иванова Анна" in review and f'id="open-{proof.pk}"' in review
    document = client.get(f"/events/wic/manage/entry/review/{proof.pk}/document/")
    assert b"".join(document.streaming_content) == PDF_BYTES and document["Content-Disposition"].startswith(
        "attachment"
    )
    assert AuditEntry.objects.filter(action="proof.opened", actor=officer).count() == 1
    assert (
        client.post(f"/events/wic/manage/entry/review/{proof.pk}/decide/", {"decision": "accept"}).status_code
        == 302
    )
    client.force_login(journalist.user)
    badge = client.get("/events/wic/entry/badge/").content.decode()
    assert "<svg" in badge and 'id="badge-token"' in badge and "Иванова Анна" in badge
    assert 'id="entry-valid"' in client.get("/events/wic/entry/").content.decode()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"file": SimpleUploadedFile("evil.pdf", EXE_BYTES)}, "file"),
        ({"taken_date": "2099-01-01"}, "taken_date"),
        ({"kind": "vaccination"}, "kind"),
        ({"taken_date": ""}, "taken_date"),
    ],
)
def test_bad_uploads_show_a_field_error_and_store_nothing(client, journalist, extra, field):
    client.force_login(journalist.user)
    response = upload(client, **extra)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert 'id="error-summary"' in response.content.decode()
    assert not Proof.objects.exists()


def test_a_rejection_reaches_the_participant_in_their_language(client, event, journalist):
    proof = stored_proof(journalist)
    client.force_login(make_entry_officer(event))
    response = client.post(
        f"/events/wic/manage/entry/review/{proof.pk}/decide/",
        {"decision": "reject", "reason": "illegible", "note": "模糊"},
    )
    assert response.status_code == 302
    client.force_login(journalist.user)
    page = client.get("/events/wic/entry/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "文件无法辨认" in page and "模糊" in page


def test_rejecting_without_a_reason_changes_nothing(client, event, journalist):
    proof = stored_proof(journalist)
    client.force_login(make_entry_officer(event))
    client.post(f"/events/wic/manage/entry/review/{proof.pk}/decide/", {"decision": "reject"})
    assert Proof.objects.get().status == Proof.PENDING


def test_the_owner_downloads_and_deletes_their_proof(client, journalist):
    proof = stored_proof(journalist)
    client.force_login(journalist.user)
    response = client.get(f"/events/wic/entry/proofs/{proof.pk}/document/")
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert client.post(f"/events/wic/entry/proofs/{proof.pk}/delete/").status_code == 302
    assert not Proof.objects.exists()


def test_data_download_and_erasure_through_the_pages(client, event, journalist, organizer):
    client.force_login(journalist.user)
    data = client.get("/events/wic/entry/my-data.json")
    assert (
        data["Content-Disposition"].startswith("attachment")
        and data.json()["registration"]["given_name"] == "Анна"
    )
    client.post("/events/wic/entry/erasure/", {})
    assert not ErasureRequest.objects.exists()
    client.post("/events/wic/entry/erasure/", {"confirm": "yes"})
    request = ErasureRequest.objects.get()
    client.force_login(organizer)
    assert "Иванова Анна" in client.get("/events/wic/manage/entry/").content.decode()
    client.post(f"/events/wic/manage/entry/erasures/{request.pk}/complete/", {"confirm": "yes"})
    assert not Participant.objects.filter(pk=journalist.pk).exists()


def test_organizers_set_rules_and_badge_access(client, event, categories, organizer):
    client.force_login(organizer)
    response = client.post(
        "/events/wic/manage/entry/",
        {
            "form": "rule",
            "category": categories["media"].pk,
            "stage": "review",
            "kind_pcr": "on",
            "hours_pcr": "24",
        },
    )
    assert response.status_code == 302
    assert EntryRule.objects.get().accepted == [{"kind": "pcr", "seconds": 86400}]
    bad = client.post(
        "/events/wic/manage/entry/", {"form": "rule", "stage": "review", "kind_pcr": "on", "hours_pcr": "0"}
    )
    assert bad.status_code == 422 and EntryRule.objects.count() == 1
    main = event.zones.get(code="main")
    prefix = f"c{categories['media'].pk}"
    client.post(
        f"/events/wic/manage/entry/access/{categories['media'].pk}/",
        {f"{prefix}-colour": "#AA3300", f"{prefix}-zones": [main.pk]},
    )
    access = CategoryAccess.objects.get(category=categories["media"])
    assert access.colour == "#aa3300" and list(access.zones.all()) == [main]
    page = client.get("/events/wic/manage/entry/occupancy/").content.decode()
    assert 'data-zone="main"' in page


def page_urls(event, proof, rule, erasure, category):
    return {
        "me": ("get", "/events/wic/entry/"),
        "badge": ("get", "/events/wic/entry/badge/"),
        "my_proof": ("get", f"/events/wic/entry/proofs/{proof.pk}/document/"),
        "my_data": ("get", "/events/wic/entry/my-data.json"),
        "review": ("get", "/events/wic/manage/entry/review/"),
        "document": ("get", f"/events/wic/manage/entry/review/{proof.pk}/document/"),
        "decide": ("post", f"/events/wic/manage/entry/review/{proof.pk}/decide/"),
        "overview": ("get", "/events/wic/manage/entry/"),
        "occupancy": ("get", "/events/wic/manage/entry/occupancy/"),
        "delete_rule": ("post", f"/events/wic/manage/entry/rules/{rule.pk}/delete/"),
        "access": ("post", f"/events/wic/manage/entry/access/{category.pk}/"),
        "erasure": ("post", f"/events/wic/manage/entry/erasures/{erasure.pk}/complete/"),
    }


ALLOWED = {
    "me": {"journalist", "delegate"},
    "badge": {"journalist", "delegate"},
    "my_proof": {"journalist"},
    "my_data": {"journalist", "delegate"},
    "review": {"officer"},
    "document": {"officer"},
    "decide": {"officer"},
    "overview": {"organizer"},
    "occupancy": {"organizer"},
    "delete_rule": {"organizer"},
    "access": {"organizer"},
    "erasure": {"organizer"},
}


@pytest.mark.parametrize("page", list(ALLOWED))
@pytest.mark.parametrize(
    "role", ["organizer", "officer", "gate", "accreditation", "journalist", "delegate", "elsewhere"]
)
def test_role_page_matrix(client, event, categories, organizer, other_event, journalist, role, page):
    proof = stored_proof(journalist)
    rule = EntryRule.objects.get()
    erasure = ErasureRequest.objects.create(event=event, participant=journalist, reference="x")
    users = {
        "organizer": organizer,
        "officer": make_entry_officer(event),
        "gate": make_gate_staff(event, event.zones.get(code="main")),
        "accreditation": make_staff(event, "accreditation_officer"),
        "journalist": journalist.user,
        "delegate": make_holder(event, categories["company"]).user,
        "elsewhere": make_staff(other_event, "organizer"),
    }
    client.force_login(users[role])
    method, url = page_urls(event, proof, rule, erasure, categories["media"])[page]
    response = getattr(client, method)(url)
    if role in ALLOWED[page]:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 404, (role, page)
        assert b"%PDF" not in response.content and "Иванова".encode() not in response.content
    if page == "document" and role not in ALLOWED[page]:
        assert not AuditEntry.objects.filter(action="proof.opened").exists()


def test_pages_render_in_chinese(client, event, journalist, organizer):
    make_proof(journalist, kind="test")
    client.force_login(journalist.user)
    for url in ("/events/wic/entry/", "/events/wic/entry/badge/"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert 'lang="zh-Hans"' in html and "入场" in html
    client.force_login(organizer)
    assert (
        "入场规则" in client.get("/events/wic/manage/entry/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    from summit.events.testing import make_event

    make_event("wic")
    assert client.get("/events/wic/entry/")["Location"].endswith("/events/wic/signin/")
    assert client.get("/events/wic/manage/entry/").status_code == 404
