"""The gate scanner pages and their JSON endpoints: who may open what (roles × actions), scans recorded
through the same service as the API, idempotent offline uploads, CSRF, and bad input answered as JSON."""

import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from summit.entry.models import Presence, Scan
from summit.entry.testing import make_entry_officer, make_gate_staff, make_holder, token_of
from summit.events.models import EventRole
from summit.events.testing import make_event, make_staff
from summit.registration.testing import make_participant

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "participant",
    "accreditation_officer",
    "entry_officer",
    "gate_staff_elsewhere",
    "organizer_elsewhere",
    "gate_staff",
    "organizer",
]
ALLOWED = {"gate_staff", "organizer"}


@pytest.fixture
def world(event, categories):
    main = event.zones.get(code="main")
    press = event.zones.create(code="press", name_en="Press centre", name_zh="新闻中心")
    other = make_event("elsewhere")
    holder = make_holder(event, categories["company"], given_name="伟", family_name="王")
    users = {
        "anonymous": None,
        "participant": make_participant(event, categories["company"]).user,
        "accreditation_officer": make_staff(event, EventRole.ACCREDITATION_OFFICER),
        "entry_officer": make_entry_officer(event),
        "gate_staff_elsewhere": make_gate_staff(event, press),
        "organizer_elsewhere": make_staff(other, EventRole.ORGANIZER),
        "gate_staff": make_gate_staff(event, main),
        "organizer": make_staff(event, EventRole.ORGANIZER),
    }
    return {"event": event, "main": main, "press": press, "holder": holder, "users": users}


def client_as(world, role, **extra) -> Client:
    client = Client(**extra)
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    return client


def post_json(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def offline_scan(token, *, id, at=None, direction="in", admitted=True, reason=""):
    return {
        "id": id,
        "token": token,
        "zone": "main",
        "direction": direction,
        "scanned_at": (at or timezone.now()).isoformat(),
        "admitted": admitted,
        "reason": reason,
    }


def upload_body(token, *ids, device="tablet-1"):
    return {
        "device": device,
        "gate": "North",
        "device_time": timezone.now().isoformat(),
        "scans": [offline_scan(token, id=i) for i in ids],
    }


ZONE = "/events/wic/gate/main/"


def act(world, role, action):
    client = client_as(world, role)
    token = token_of(world["holder"])
    if action == "zones":
        return client.get("/events/wic/gate/")
    if action == "scanner":
        return client.get(ZONE)
    if action == "scan":
        return post_json(client, ZONE + "scan", {"token": token, "device": "t", "client_id": "c1"})
    if action == "package":
        return client.get(ZONE + "package")
    if action == "upload":
        return post_json(client, ZONE + "upload", upload_body(token, "o1"))
    raise AssertionError(action)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["zones", "scanner", "scan", "package", "upload"])
def test_who_may_use_the_gate(world, role, action):
    response = act(world, role, action)
    json_answer = action in {"scan", "package", "upload"}
    if role == "anonymous":
        if json_answer:
            assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
        else:
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/?next=/events/wic/gate/")
    elif role in ALLOWED:
        if action == "zones" and role == "gate_staff":  # one zone: straight to its scanner
            assert response.status_code == 302 and response["Location"] == ZONE
        else:
            assert response.status_code == 200, response.content
    elif role == "gate_staff_elsewhere" and action == "zones":
        assert response.status_code == 302 and response["Location"] == "/events/wic/gate/press/"
    else:
        assert response.status_code == 404
        assert "王伟".encode() not in response.content
        if json_answer:
            assert response.json()["code"] == "zone_not_found"
    recorded = Scan.objects.count()
    assert recorded == (1 if role in ALLOWED and action in {"scan", "upload"} else 0)


def test_an_organizer_chooses_among_every_zone(world):
    response = client_as(world, "organizer").get("/events/wic/gate/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/events/wic/gate/main/"' in page and 'href="/events/wic/gate/press/"' in page


def test_an_unknown_event_or_zone_is_404(world):
    client = client_as(world, "organizer")
    assert client.get("/events/nowhere/gate/").status_code == 404
    assert client.get("/events/wic/gate/nowhere/").status_code == 404
    assert post_json(client, "/events/wic/gate/nowhere/scan", {"token": "x"}).status_code == 404


def test_the_scan_endpoint_records_through_the_service(world):
    client = client_as(world, "gate_staff")
    token = token_of(world["holder"])
    first = post_json(
        client, ZONE + "scan", {"token": token, "direction": "in", "device": "t1", "client_id": "a"}
    )
    assert first.status_code == 200 and first["Cache-Control"] == "no-store"
    verdict = first.json()
    assert verdict["admitted"] and verdict["reason"] is None and verdict["scan"]
    assert verdict["person"]["native"] == "王伟" and verdict["person"]["colour"].startswith("#")
    again = post_json(client, ZONE + "scan", {"token": token, "device": "t1", "client_id": "b"}).json()
    assert not again["admitted"] and again["reason"] == "already_inside" and again["detail"]
    replay = post_json(client, ZONE + "scan", {"token": token, "device": "t1", "client_id": "a"}).json()
    assert replay["duplicate"] and replay["scan"] == verdict["scan"]
    scans = list(Scan.objects.order_by("pk").values_list("admitted", "reason", "staff", "offline"))
    staff = world["users"]["gate_staff"].pk
    assert scans == [(True, "", staff, False), (False, "already_inside", staff, False)]
    out = post_json(client, ZONE + "scan", {"token": token, "direction": "out"}).json()
    assert out["admitted"] and not Presence.objects.get(participant=world["holder"]).inside


def test_a_forged_or_unreadable_code_names_nobody(world):
    client = client_as(world, "gate_staff")
    token = token_of(world["holder"])
    forged = post_json(client, ZONE + "scan", {"token": token[:-2] + ("AA" if token[-2:] != "AA" else "BB")})
    assert forged.json() == {**forged.json(), "admitted": False, "reason": "bad_signature", "person": None}
    unreadable = post_json(client, ZONE + "scan", {"token": "hello"}).json()
    assert unreadable["reason"] == "malformed" and unreadable["person"] is None


def test_the_package_holds_the_zone_and_its_badge_holders(world):
    response = client_as(world, "gate_staff").get(ZONE + "package")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    package = response.json()
    assert package["zone"]["code"] == "main" and package["event"]["id"] == world["event"].pk
    assert [p["id"] for p in package["participants"]] == [world["holder"].pk]
    assert len(package["public_key"]) == 43  # 32 bytes, base64url without padding


def test_the_upload_is_idempotent_and_reports_conflicts(world):
    client = client_as(world, "gate_staff")
    token = token_of(world["holder"])
    body = upload_body(token, "o1", "o2")
    first = post_json(client, ZONE + "upload", body)
    assert first.status_code == 200, first.content
    assert first.json()["recorded"] == 2
    assert first.json()["conflicts"] == [{"id": "o2", "conflict": "entered_twice"}]
    again = post_json(client, ZONE + "upload", body).json()
    assert again["recorded"] == 0 and again["duplicates"] == 2
    assert Scan.objects.filter(offline=True).count() == 2


def test_an_upload_naming_a_zone_the_user_may_not_scan_is_refused_whole(world):
    client = client_as(world, "gate_staff")
    body = upload_body(token_of(world["holder"]), "p1")
    body["scans"][0]["zone"] = "press"
    response = post_json(client, ZONE + "upload", body)
    assert response.status_code == 404 and not Scan.objects.exists()


def test_csrf_is_required(world):
    client = client_as(world, "gate_staff", enforce_csrf_checks=True)
    token = token_of(world["holder"])
    assert post_json(client, ZONE + "scan", {"token": token}).status_code == 403
    assert post_json(client, ZONE + "upload", upload_body(token, "x1")).status_code == 403
    page = client.get(ZONE)
    csrf = page.cookies["csrftoken"].value
    response = post_json(client, ZONE + "scan", {"token": token}, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200 and response.json()["admitted"]
    assert Scan.objects.count() == 1


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("scan", b"{not json", 400, "bad_json"),
        ("scan", b"[1, 2]", 400, "bad_json"),
        ("scan", b"\xff\xfe", 400, "bad_json"),
        ("scan", b'{"token": 5}', 422, "validation_failed"),
        ("scan", b'{"token": "x", "direction": "sideways"}', 422, "validation_failed"),
        ("scan", b'{"token": "x", "colour": "red"}', 422, "validation_failed"),
        ("scan", json.dumps({"token": "x", "device": "has space"}).encode(), 422, "invalid_id"),
        ("scan", json.dumps({"token": "x" * 401}).encode(), 422, "validation_failed"),
        ("upload", b"{}", 422, "validation_failed"),
        ("upload", b"null", 400, "bad_json"),
        ("upload", b'{"device": "d", "device_time": "yesterday", "scans": []}', 422, "validation_failed"),
        (
            "upload",
            b'{"device": "d", "device_time": "2027-11-08T10:00:00", "scans": []}',
            422,
            "invalid_time",
        ),
        ("upload", b'{"device": "", "device_time": "2027-11-08T10:00:00Z", "scans": []}', 422, "invalid_id"),
    ],
)
def test_bad_input_is_a_json_4xx_never_a_500(world, path, body, status, code):
    client = client_as(world, "gate_staff")
    response = client.post(ZONE + path, body, content_type="application/json")
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["code"] == code and answer["detail"]
    assert not Scan.objects.exists()


def test_an_offline_scan_without_its_offset_is_refused(world):
    client = client_as(world, "gate_staff")
    body = upload_body(token_of(world["holder"]), "n1")
    body["scans"][0]["scanned_at"] = "2027-11-08T10:00:00"
    response = post_json(client, ZONE + "upload", body)
    assert response.status_code == 422 and response.json()["field"] == "scans.0.scanned_at"


def test_wrong_methods_are_refused(world):
    client = client_as(world, "gate_staff")
    assert client.get(ZONE + "scan").status_code == 405
    assert client.post(ZONE + "package").status_code == 405
    assert client.post(ZONE).status_code == 405


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_scanner_page_renders_in_both_languages(world, language):
    client = client_as(world, "gate_staff", HTTP_ACCEPT_LANGUAGE=language)
    response = client.get(ZONE)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{"zh-Hans" if language == "zh-hans" else "en"}">' in page
    assert 'id="gate-result"' in page and 'aria-live="assertive"' in page
    assert 'data-scan-url="/events/wic/gate/main/scan"' in page
    assert '<script id="gate-texts" type="application/json">' in page
    assert "<script>" not in page and " style=" not in page and " onclick=" not in page
    texts = json.loads(
        page.split('<script id="gate-texts" type="application/json">')[1].split("</script>")[0]
    )
    assert set(texts["reasons"]) >= {"already_inside", "bad_signature", "wrong_zone", "rule_not_met"}
    assert texts["labels"]["admitted"] and texts["conflicts"]["entered_twice"]


def test_links_to_the_gate(world):
    organizer = client_as(world, "organizer")
    assert 'href="/events/wic/gate/"' in organizer.get("/events/wic/manage/").content.decode()
    assert 'href="/events/wic/gate/"' in organizer.get("/").content.decode()
    staff = client_as(world, "gate_staff").get("/").content.decode()
    assert 'href="/events/wic/gate/"' in staff and 'href="/events/wic/manage/"' not in staff
    officer = client_as(world, "accreditation_officer").get("/").content.decode()
    assert 'href="/events/wic/gate/"' not in officer and 'href="/events/wic/manage/"' in officer


def test_staff_of_an_event_requiring_a_second_factor_confirm_it_first(world):
    event = world["event"]
    event.staff_two_factor = True
    event.save()
    organizer = client_as(world, "organizer")
    response = organizer.get(ZONE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/")
    scan = post_json(organizer, ZONE + "scan", {"token": token_of(world["holder"])})
    assert scan.status_code == 403 and scan.json()["code"] == "second_factor_required"
    # Gate staff have no back office: the event's rule is about its staff's back-office accounts.
    assert client_as(world, "gate_staff").get(ZONE).status_code == 200


def test_many_offline_scans_in_one_upload(world, categories):
    client = client_as(world, "gate_staff")
    holders = [make_holder(world["event"], categories["company"]) for _ in range(3)]
    start = timezone.now() - timedelta(minutes=5)
    scans = [
        offline_scan(token_of(h), id=str(uuid.uuid4()), at=start + timedelta(seconds=i))
        for i, h in enumerate(holders)
    ]
    body = {
        "device": str(uuid.uuid4()),
        "gate": "",
        "device_time": timezone.now().isoformat(),
        "scans": scans,
    }
    answer = post_json(client, ZONE + "upload", body).json()
    assert answer["recorded"] == 3 and answer["conflicts"] == []
    assert Presence.objects.filter(zone=world["main"], inside=True).count() == 3
