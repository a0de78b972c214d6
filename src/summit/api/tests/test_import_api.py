"""POST /api/events/<slug>/import: a CSV delegation list, all rows or none."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from summit.accounts import services as accounts
from summit.registration.models import Participant
from summit.registration.testing import make_participant

pytestmark = pytest.mark.django_db

VALID = (
    "email,given_name,family_name,country,category,organization\n"
    "wang.wei@example.org,伟,王,CN,company,Alibaba\n"
    "anna@example.org,Anna,Schmidt,DE,company,Example GmbH\n"
)
BAD_COUNTRY = (
    "email,given_name,family_name,country,category,organization\n"
    "wang.wei@example.org,伟,王,Atlantis,company,Alibaba\n"
    "anna@example.org,Anna,Schmidt,DE,company,Example GmbH\n"
)


@pytest.fixture
def token(event, organizer):
    return accounts.create_api_token(event=event, user=organizer, name="import")[1]


def upload(client, token, content: str, slug: str = "wic", **fields):
    data = {"file": SimpleUploadedFile("delegation.csv", content.encode(), content_type="text/csv"), **fields}
    return client.post(f"/api/events/{slug}/import", data, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_import_valid_csv(client, token, event, categories, mailoutbox):
    response = upload(client, token, VALID)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 2
    assert body["status_counts"]["submitted"] == 2
    assert set(Participant.objects.filter(event=event).values_list("email", flat=True)) == {
        "wang.wei@example.org",
        "anna@example.org",
    }
    assert mailoutbox == []  # notify defaults to off for imports


def test_import_bad_row_stores_nothing(client, token, event, categories):
    response = upload(client, token, BAD_COUNTRY)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "import_invalid"
    assert body["detail"]
    assert any(e["row"] == 2 and e["column"] == "country" for e in body["errors"]), body["errors"]
    assert not Participant.objects.filter(event=event).exists()


def test_import_default_category(client, token, event, categories):
    content = "email,given_name,family_name,country,category\nli@example.org,Li,Na,CN,\n"
    response = upload(client, token, content, category="vip")
    assert response.status_code == 201, response.content
    assert Participant.objects.get(email="li@example.org").category.code == "vip"


def test_import_unknown_default_category_is_422(client, token, categories):
    response = upload(client, token, VALID, category="astronauts")
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_category"


def test_import_needs_a_file_and_staff_and_own_event(client, token, event, categories, other_event):
    response = client.post("/api/events/wic/import", {}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert upload(client, token, VALID, slug="other").status_code == 404
    delegate = make_participant(event, categories["company"])
    raw = accounts.create_api_token(event=event, user=delegate.user, name="x")[1]
    assert upload(client, raw, VALID).status_code == 404
    assert Participant.objects.filter(event=event).count() == 1
