"""The REST API end to end through the test client: auth, scoping, listing, changes and the error format."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from summit.accounts import services as accounts
from summit.core.models import AuditEntry
from summit.core.testing import make_user
from summit.registration.models import Participant
from summit.registration.testing import make_organization, make_participant, person_data

pytestmark = pytest.mark.django_db


def auth(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def token(event, organizer):
    return accounts.create_api_token(event=event, user=organizer, name="CRM sync")[1]


@pytest.fixture
def officer_token(event, officer):
    return accounts.create_api_token(event=event, user=officer, name="Desk")[1]


@pytest.fixture
def api(client, token):
    """A small client that sends the organizer's token and JSON bodies."""

    class Api:
        def get(self, path, params=None, raw=token):
            return client.get(f"/api{path}", params or {}, **auth(raw))

        def post(self, path, body, raw=token):
            return client.post(f"/api{path}", json.dumps(body), content_type="application/json", **auth(raw))

        def patch(self, path, body, raw=token):
            return client.patch(f"/api{path}", json.dumps(body), content_type="application/json", **auth(raw))

    return Api()


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert body["detail"]
    return body


# --- docs, auth, scoping -----------------------------------------------------------------------------------


def test_openapi_and_docs_render(client):
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/events/{slug}/participants" in paths
    assert "/api/events/{slug}/import" in paths
    assert client.get("/api/docs").status_code == 200


def test_no_token_is_401(client, event, categories):
    body = assert_error(client.get("/api/events/wic/participants"), 401, "not_authenticated")
    assert "Bearer" in body["detail"]
    assert_error(client.get("/api/events/", HTTP_AUTHORIZATION="Basic abc"), 401, "not_authenticated")


def test_revoked_and_unknown_token_is_401(client, event, organizer):
    api_token, raw = accounts.create_api_token(event=event, user=organizer, name="old")
    assert client.get("/api/events/wic", **auth(raw)).status_code == 200
    accounts.revoke_api_token(token=api_token, actor=organizer)
    assert_error(client.get("/api/events/wic", **auth(raw)), 401, "token_invalid")
    assert_error(client.get("/api/events/wic", **auth("smt_nonsense")), 401, "token_invalid")


def test_token_of_event_a_on_event_b_is_404(api, other_event):
    assert_error(api.get("/events/other"), 404, "not_found")
    assert_error(api.get("/events/other/participants"), 404, "not_found")
    assert_error(api.get("/events/other/categories"), 404, "not_found")
    assert_error(api.post("/events/other/participants", person_data(category="company")), 404, "not_found")
    assert_error(api.get("/events/nope"), 404, "not_found")


def test_participant_of_another_event_is_404(api, categories, other_event):
    stranger = make_participant(other_event, other_event.categories.get(code="company"))
    assert_error(api.get(f"/events/wic/participants/{stranger.pk}"), 404, "not_found")
    assert_error(api.patch(f"/events/wic/participants/{stranger.pk}", {"title": "Dr."}), 404, "not_found")
    assert_error(
        api.post(f"/events/wic/participants/{stranger.pk}/status", {"status": "approved"}), 404, "not_found"
    )
    assert_error(
        api.post("/events/wic/participants/status", {"ids": [stranger.pk], "status": "approved"}),
        404,
        "not_found",
    )
    stranger.refresh_from_db()
    assert stranger.status == Participant.SUBMITTED


def test_token_of_user_without_role_sees_no_participants(client, event, categories):
    delegate = make_participant(event, categories["company"])
    raw = accounts.create_api_token(event=event, user=delegate.user, name="sneaky")[1]
    assert_error(client.get("/api/events/wic/participants", **auth(raw)), 404, "not_found")
    assert_error(client.get(f"/api/events/wic/participants/{delegate.pk}", **auth(raw)), 404, "not_found")
    # The event itself is public information.
    assert client.get("/api/events/wic", **auth(raw)).status_code == 200


def test_officer_token_works(api, officer_token, categories):
    make_participant(categories["company"].event, categories["company"])
    response = api.get("/events/wic/participants", raw=officer_token)
    assert response.status_code == 200
    assert response.json()["count"] == 1


# --- events and categories ---------------------------------------------------------------------------------


def test_events_list_and_detail(api, event, other_event):
    listing = api.get("/events/")
    assert listing.status_code == 200
    assert [e["slug"] for e in listing.json()] == ["wic"]
    detail = api.get("/events/wic").json()
    assert detail["name_zh"] == "世界互联网大会"
    assert detail["time_zone"] == "Asia/Shanghai"
    assert detail["venue"]["name_en"].startswith("Wuzhen")
    assert detail["rooms"][0] == {
        "id": detail["rooms"][0]["id"],
        "name_en": "Main hall",
        "name_zh": "主会场",
        "capacity": 1200,
        "zone": "main",
    }
    assert detail["zones"] == [{"code": "main", "name_en": "Main hall", "name_zh": "主会场"}]


def test_categories_with_onsite_taken(api, event, categories):
    make_participant(event, categories["vip"], status=Participant.APPROVED)
    make_participant(
        event, categories["vip"], status=Participant.APPROVED, attendance_mode=Participant.ONLINE
    )
    make_participant(event, categories["vip"], status=Participant.SUBMITTED)
    body = api.get("/events/wic/categories").json()
    vip = next(c for c in body if c["code"] == "vip")
    assert vip["onsite_quota"] == 50
    assert vip["onsite_taken"] == 1
    assert vip["needs_invitation"] is True
    media = next(c for c in body if c["code"] == "media")
    assert media["required_fields"] == ["outlet", "press_card_number", "press_card_file"]
    assert len(body) == 8


# --- listing -----------------------------------------------------------------------------------------------


@pytest.fixture
def crowd(event, categories):
    acme = make_organization(event, name="Acme", name_latin="Acme", country="DE")
    return {
        "anna": make_participant(
            event,
            categories["company"],
            given_name="Anna",
            family_name="Schmidt",
            given_name_latin="Anna",
            family_name_latin="Schmidt",
            country="DE",
            organization=acme,
            status=Participant.APPROVED,
            name_order=Participant.GIVEN_FIRST,
        ),
        "wei": make_participant(event, categories["government"], country="CN", status=Participant.SUBMITTED),
        "li": make_participant(
            event,
            categories["media"],
            given_name="Li",
            family_name="Na",
            given_name_latin="Li",
            family_name_latin="Na",
            country="CN",
            attendance_mode=Participant.ONLINE,
            status=Participant.WAITLISTED,
        ),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def test_list_all_with_status_counts(api, crowd):
    body = api.get("/events/wic/participants").json()
    assert body["count"] == 3
    assert body["status_counts"] == {
        "submitted": 1,
        "approved": 1,
        "waitlisted": 1,
        "rejected": 0,
        "cancelled": 0,
    }
    anna = next(i for i in body["items"] if i["id"] == crowd["anna"].pk)
    assert anna["organization"]["name"] == "Acme"
    assert anna["organization"]["country"] == "DE"
    assert anna["country"] == "DE"
    assert anna["category"] == "company"
    assert anna["has_press_card"] is False
    assert anna["display_name"] == "Anna Schmidt"  # the Latin form only repeats it


def test_list_filters(api, crowd):
    assert ids(api.get("/events/wic/participants", {"category": "company"})) == {crowd["anna"].pk}
    assert ids(api.get("/events/wic/participants", {"country": "CN"})) == {crowd["wei"].pk, crowd["li"].pk}
    assert ids(api.get("/events/wic/participants", {"country": "Germany"})) == {crowd["anna"].pk}
    assert ids(api.get("/events/wic/participants", {"status": "waitlisted"})) == {crowd["li"].pk}
    assert ids(api.get("/events/wic/participants", {"mode": "online"})) == {crowd["li"].pk}
    assert ids(api.get("/events/wic/participants", {"organization": "acme"})) == {crowd["anna"].pk}
    assert ids(api.get("/events/wic/participants", {"q": "schmidt"})) == {crowd["anna"].pk}
    assert ids(api.get("/events/wic/participants", {"country": "CN", "mode": "onsite"})) == {crowd["wei"].pk}


def test_status_counts_ignore_the_status_filter(api, crowd):
    body = api.get("/events/wic/participants", {"status": "approved", "country": "CN"}).json()
    assert body["count"] == 0
    assert body["status_counts"]["submitted"] == 1
    assert body["status_counts"]["waitlisted"] == 1


def test_bad_filters_are_422(api, crowd):
    assert_error(api.get("/events/wic/participants", {"status": "happy"}), 422, "bad_filter")
    assert_error(api.get("/events/wic/participants", {"country": "Atlantis"}), 422, "bad_filter")
    body = assert_error(api.get("/events/wic/participants", {"limit": "many"}), 422, "validation_failed")
    assert body["errors"][0]["field"] == "limit"
    assert_error(api.get("/events/wic/participants", {"limit": 501}), 422, "validation_failed")
    assert_error(api.get("/events/wic/participants", {"offset": -1}), 422, "validation_failed")


def test_pagination(api, event, categories):
    for _ in range(7):
        make_participant(event, categories["company"])
    first = api.get("/events/wic/participants", {"limit": 3}).json()
    assert first["count"] == 7 and len(first["items"]) == 3
    rest = api.get("/events/wic/participants", {"limit": 3, "offset": 6}).json()
    assert len(rest["items"]) == 1
    seen = set()
    for offset in (0, 3, 6):
        seen |= ids(api.get("/events/wic/participants", {"limit": 3, "offset": offset}))
    assert len(seen) == 7
    assert len(api.get("/events/wic/participants").json()["items"]) == 7


def test_list_query_count_does_not_grow(api, event, categories):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/events/wic/participants").status_code == 200
        return len(ctx.captured_queries)

    make_participant(event, categories["company"], organization=make_organization(event))
    count_queries()  # warm-up: the first use of a token records last_used_at
    few = count_queries()
    for _ in range(10):
        make_participant(event, categories["company"], organization=make_organization(event))
    assert count_queries() == few


# --- create ------------------------------------------------------------------------------------------------


def test_create_participant(api, event, categories, mailoutbox):
    response = api.post("/events/wic/participants", person_data(email="New@Example.org", category="company"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "new@example.org"
    assert body["status"] == "submitted"
    assert body["category"] == "company"
    assert body["organization"]["name"] == "Example GmbH"
    p = Participant.objects.get(pk=body["id"])
    assert p.event == event
    assert AuditEntry.objects.filter(
        action="participant.registered", object_id=str(p.pk), actor__email="organizer@example.org"
    ).exists()
    assert len(mailoutbox) == 1


def test_create_without_notify_sends_no_mail(api, categories, mailoutbox):
    response = api.post("/events/wic/participants", person_data(category="company", notify=False))
    assert response.status_code == 201
    assert mailoutbox == []


def test_staff_may_use_invitation_only_category_and_skip_press_card_file(api, categories):
    vip = api.post("/events/wic/participants", person_data(category="vip"))
    assert vip.status_code == 201, vip.content
    media = api.post(
        "/events/wic/participants", person_data(category="media", outlet="Xinhua", press_card_number="P-1")
    )
    assert media.status_code == 201, media.content
    # Other category requirements still apply.
    body = assert_error(
        api.post("/events/wic/participants", person_data(category="media", outlet="")),
        422,
        "validation_failed",
    )
    assert {e["field"] for e in body["errors"]} == {"outlet", "press_card_number"}


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"email": "not-an-email"}, "email", "bad_email"),
        ({"country": "Atlantis"}, "country", "unknown_country"),
        ({"category": "astronauts"}, "category", "unknown_category"),
        ({"attendance_mode": "teleport"}, "attendance_mode", "bad_choice"),
        ({"given_name": ""}, "given_name", "required"),
    ],
)
def test_create_bad_input_is_422(api, categories, overrides, field, code):
    response = api.post("/events/wic/participants", {**person_data(category="company"), **overrides})
    assert response.status_code == 422, response.content
    body = response.json()
    assert any(e["field"] == field and e["code"] == code for e in body.get("errors", [])) or (
        body.get("field") == field and body["code"] == code
    ), body
    assert Participant.objects.count() == 0


def test_create_duplicate_email_is_422(api, event, categories):
    make_participant(event, categories["company"], email="taken@example.org")
    body = assert_error(
        api.post("/events/wic/participants", person_data(email="TAKEN@example.org", category="company")),
        422,
        "validation_failed",
    )
    assert body["errors"][0] == {
        "field": "email",
        "code": "email_taken",
        "detail": body["errors"][0]["detail"],
    }


def test_create_over_long_name_is_422(api, categories):
    body = assert_error(
        api.post("/events/wic/participants", person_data(category="company", given_name="A" * 101)),
        422,
        "validation_failed",
    )
    assert body["errors"][0]["field"] == "given_name"
    assert body["errors"][0]["code"] == "too_long"


def test_create_unknown_field_is_422(api, categories):
    body = assert_error(
        api.post("/events/wic/participants", person_data(category="company", status="approved")),
        422,
        "validation_failed",
    )
    assert body["errors"][0]["field"] == "status"


@pytest.mark.parametrize("payload", ['{"email": ', "[1, 2]", "null", '"text"', "\xff\xfe"])
def test_malformed_json_is_422_json(client, token, categories, payload):
    response = client.post(
        "/api/events/wic/participants", payload, content_type="application/json", **auth(token)
    )
    assert_error(response, 422, "validation_failed")


def test_wrong_types_are_422(api, categories):
    assert_error(
        api.post("/events/wic/participants", person_data(category="company", notify="perhaps")),
        422,
        "validation_failed",
    )
    assert_error(
        api.post("/events/wic/participants", person_data(category="company", given_name=["A"])),
        422,
        "validation_failed",
    )


def test_registration_closed_is_409(api, event, categories):
    event.registration_open = False
    event.save()
    assert_error(
        api.post("/events/wic/participants", person_data(category="company")), 409, "registration_closed"
    )


# --- update ------------------------------------------------------------------------------------------------


def test_update_participant(api, crowd):
    anna = crowd["anna"]
    response = api.patch(f"/events/wic/participants/{anna.pk}", {"title": "Dr.", "position": "CTO"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "Dr." and body["position"] == "CTO"
    assert body["given_name"] == "Anna" and body["country"] == "DE"
    anna.refresh_from_db()
    assert anna.title == "Dr."
    entry = AuditEntry.objects.get(action="participant.updated", object_id=str(anna.pk))
    assert entry.data["title"] == {"from": "", "to": "Dr."}


def test_update_bad_input(api, crowd):
    pk = crowd["anna"].pk
    body = assert_error(
        api.patch(f"/events/wic/participants/{pk}", {"country": "Atlantis"}), 422, "validation_failed"
    )
    assert body["errors"] == [
        {"field": "country", "code": "unknown_country", "detail": "Unknown country: “Atlantis”."}
    ]
    assert_error(
        api.patch(f"/events/wic/participants/{pk}", {"email": "x@example.org"}), 422, "validation_failed"
    )
    assert_error(
        api.patch(f"/events/wic/participants/{pk}", {"family_name": "B" * 101}), 422, "validation_failed"
    )


def test_get_participant(api, crowd):
    response = api.get(f"/events/wic/participants/{crowd['li'].pk}")
    assert response.status_code == 200
    assert response.json()["status"] == "waitlisted"
    assert_error(api.get("/events/wic/participants/999999"), 404, "not_found")


# --- decisions ---------------------------------------------------------------------------------------------


def test_status_change_with_reason(api, crowd, organizer, mailoutbox):
    wei = crowd["wei"]
    response = api.post(
        f"/events/wic/participants/{wei.pk}/status", {"status": "rejected", "reason": "Incomplete papers"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected"
    assert response.json()["decision_reason"] == "Incomplete papers"
    entry = AuditEntry.objects.get(action="participant.rejected", object_id=str(wei.pk))
    assert entry.reason == "Incomplete papers"
    assert entry.actor == organizer
    assert len(mailoutbox) == 1


def test_cancel_via_status(api, crowd):
    anna = crowd["anna"]
    response = api.post(
        f"/events/wic/participants/{anna.pk}/status", {"status": "cancelled", "reason": "Asked by phone"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert AuditEntry.objects.filter(
        action="participant.cancelled", object_id=str(anna.pk), reason="Asked by phone"
    ).exists()
    assert_error(
        api.post(f"/events/wic/participants/{anna.pk}/status", {"status": "cancelled"}),
        409,
        "already_cancelled",
    )


def test_unknown_status_is_422(api, crowd):
    assert_error(
        api.post(f"/events/wic/participants/{crowd['wei'].pk}/status", {"status": "happy"}), 422, "bad_status"
    )
    assert_error(api.post(f"/events/wic/participants/{crowd['wei'].pk}/status", {}), 422, "validation_failed")


def test_approving_past_quota_is_409(api, event, categories):
    vip = categories["vip"]
    vip.onsite_quota = 1
    vip.save()
    make_participant(event, vip, status=Participant.APPROVED)
    waiting = make_participant(event, vip, status=Participant.SUBMITTED)
    assert_error(
        api.post(f"/events/wic/participants/{waiting.pk}/status", {"status": "approved"}), 409, "quota_full"
    )
    waiting.refresh_from_db()
    assert waiting.status == Participant.SUBMITTED


def test_switch_mode(api, crowd):
    li = crowd["li"]
    response = api.post(f"/events/wic/participants/{li.pk}/mode", {"attendance_mode": "onsite"})
    assert response.status_code == 200, response.content
    assert response.json()["attendance_mode"] == "onsite"
    assert_error(
        api.post(f"/events/wic/participants/{li.pk}/mode", {"attendance_mode": "teleport"}), 422, "bad_choice"
    )
    assert_error(
        api.post(f"/events/wic/participants/{li.pk}/mode", {"attendance_mode": "x" * 11}),
        422,
        "validation_failed",
    )


def test_bulk_status(api, event, categories):
    people = [make_participant(event, categories["company"]) for _ in range(3)]
    response = api.post(
        "/events/wic/participants/status",
        {"ids": [p.pk for p in people], "status": "approved", "reason": "OK"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status_counts"]["approved"] == 3
    assert AuditEntry.objects.filter(action="participant.approved").count() == 3


def test_bulk_status_is_all_or_nothing(api, event, categories):
    vip = categories["vip"]
    vip.onsite_quota = 2
    vip.save()
    make_participant(event, vip, status=Participant.APPROVED)
    people = [make_participant(event, vip) for _ in range(2)]
    assert_error(
        api.post("/events/wic/participants/status", {"ids": [p.pk for p in people], "status": "approved"}),
        409,
        "quota_full",
    )
    assert (
        Participant.objects.filter(pk__in=[p.pk for p in people], status=Participant.SUBMITTED).count() == 2
    )

    company = make_participant(event, categories["company"])
    assert_error(
        api.post("/events/wic/participants/status", {"ids": [company.pk, 987654], "status": "rejected"}),
        404,
        "not_found",
    )
    company.refresh_from_db()
    assert company.status == Participant.SUBMITTED
    assert_error(
        api.post("/events/wic/participants/status", {"ids": [], "status": "rejected"}),
        422,
        "validation_failed",
    )


def test_actor_without_role_cannot_change_anything(client, event, categories):
    target = make_participant(event, categories["company"])
    nobody = make_user()
    raw = accounts.create_api_token(event=event, user=nobody, name="x")[1]
    response = client.post(
        f"/api/events/wic/participants/{target.pk}/status",
        json.dumps({"status": "approved"}),
        content_type="application/json",
        **auth(raw),
    )
    assert_error(response, 404, "not_found")
    target.refresh_from_db()
    assert target.status == Participant.SUBMITTED


def test_api_docs_use_bundled_swagger_not_a_cdn(client, db):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
