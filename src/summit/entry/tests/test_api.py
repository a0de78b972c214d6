"""The entry API: every role × every action, the gate flow, offline upload, proofs and bad input."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from summit.accounts.testing import api_call as call
from summit.accounts.testing import api_token as token_for
from summit.core.models import AuditEntry
from summit.core.testing import EXE_BYTES, PDF_BYTES
from summit.entry.models import EntryRule, Proof, Scan
from summit.entry.testing import make_entry_officer, make_gate_staff, make_holder, make_rule, token_of
from summit.registration.models import Participant
from summit.registration.testing import make_delegate

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(event, categories, organizer, other_event):
    main = event.zones.get(code="main")
    press = event.zones.create(code="press", name_en="Press centre", name_zh="新闻中心")
    make_rule(event, kinds=("test",), category=categories["media"])
    journalist = make_holder(event, categories["media"], given_name="Анна", family_name="Иванова")
    holder = make_holder(event, categories["company"])
    proof = Proof.objects.create(
        event=event, participant=journalist, kind="test", taken_at=timezone.now(), file_name=""
    )
    from summit.entry import crypto

    proof.file_name = crypto.store(PDF_BYTES)
    proof.content_type = "application/pdf"
    proof.save()
    users = {
        "organizer": organizer,
        "officer": make_entry_officer(event),
        "gate_main": make_gate_staff(event, main),
        "gate_press": make_gate_staff(event, press),
        "accreditation": __import__("summit.events.testing", fromlist=["x"]).make_staff(
            event, "accreditation_officer"
        ),
        "journalist": journalist.user,
        "delegate": holder.user,
        "other_event": make_delegate(other_event).user,
    }
    raw = {
        name: token_for(user, other_event if name == "other_event" else event) for name, user in users.items()
    }
    raw["anonymous"] = None
    return {
        "event": event,
        "raw": raw,
        "proof": proof,
        "holder": holder,
        "journalist": journalist,
        "main": main,
    }


def actions(world):
    badge = token_of(world["holder"])
    proof = world["proof"].pk
    scan = {"token": badge, "zone": "main"}
    return {
        "check": ("post", "wic/entry/check", scan),
        "scan": ("post", "wic/entry/scans", scan),
        "package": ("get", "wic/entry/offline-package?zone=main", None),
        "upload_offline": (
            "post",
            "wic/entry/scans/offline",
            {
                "device": "d1",
                "device_time": timezone.now().isoformat(),
                "scans": [
                    {
                        "id": "s1",
                        "token": badge,
                        "zone": "main",
                        "scanned_at": timezone.now().isoformat(),
                        "admitted": True,
                    }
                ],
            },
        ),
        "occupancy": ("get", "wic/entry/occupancy", None),
        "rules": ("get", "wic/entry/rules", None),
        "add_rule": ("post", "wic/entry/rules", {"accepted": [{"kind": "pcr"}]}),
        "review": ("get", "wic/entry/review", None),
        "decide": ("post", f"wic/entry/proofs/{proof}/decision", {"accept": True}),
        "open_proof": ("get", f"wic/entry/proofs/{proof}/file", None),
        "delete_proof": ("delete", f"wic/entry/proofs/{proof}", None),
        "me": ("get", "wic/entry/me", None),
        "my_data": ("get", "wic/entry/me/data", None),
    }


# Who may do what; everyone else gets 404 (401 without a token).
ALLOWED = {
    "check": {"organizer", "gate_main"},
    "scan": {"organizer", "gate_main"},
    "package": {"organizer", "gate_main"},
    "upload_offline": {"organizer", "gate_main"},
    "occupancy": {"organizer"},
    "rules": {"organizer"},
    "add_rule": {"organizer"},
    "review": {"officer"},
    "decide": {"officer"},
    "open_proof": {"officer", "journalist"},
    "delete_proof": {"journalist"},
    "me": {"journalist", "delegate"},
    "my_data": {"journalist", "delegate"},
}
ROLES = [
    "anonymous",
    "organizer",
    "officer",
    "gate_main",
    "gate_press",
    "accreditation",
    "journalist",
    "delegate",
    "other_event",
]


@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_role_action_matrix(client, world, role, action):
    method, path, body = actions(world)[action]
    response = call(client, method, path, world["raw"][role], body)
    if role == "anonymous":
        assert response.status_code == 401
    elif role in ALLOWED[action]:
        assert response.status_code in (200, 201, 204), response.content
    else:
        assert response.status_code == 404, (role, action, response.content)
        text = response.content.decode()
        assert "Анна" not in text and "%PDF" not in text and world["holder"].family_name not in text
    if action == "open_proof" and role not in ALLOWED[action]:
        assert not AuditEntry.objects.filter(action="proof.opened").exists()


def test_gate_staff_see_a_verdict_never_a_proof(client, world):
    staff = world["raw"]["gate_main"]
    journalist = world["journalist"]
    answer = call(
        client, "post", "wic/entry/check", staff, {"token": token_of(journalist), "zone": "main"}
    ).json()
    assert answer["admitted"] is False and answer["reason"] == "rule_not_met"
    assert answer["detail"] == "Entry rule not met."
    assert answer["person"]["name"].startswith("Иванова Анна")
    assert set(answer) == {
        "admitted",
        "reason",
        "detail",
        "person",
        "revision",
        "valid_until",
        "to_check",
        "scan",
        "duplicate",
    }


def test_the_gate_flow_in_chinese(client, world):
    staff = world["raw"]["gate_main"]
    body = {"token": token_of(world["holder"]), "zone": "main", "device": "t1", "client_id": "c1"}
    first = call(client, "post", "wic/entry/scans", staff, body).json()
    assert first["admitted"] and first["scan"]
    again = client.post(
        "/api/events/wic/entry/scans",
        json.dumps({**body, "client_id": "c2"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {staff}",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).json()
    assert again["reason"] == "already_inside" and "已在场内" in again["detail"]
    replay = call(client, "post", "wic/entry/scans", staff, body).json()
    assert replay["duplicate"] and replay["scan"] == first["scan"]
    occupancy = call(client, "get", "wic/entry/occupancy", world["raw"]["organizer"]).json()
    assert {"zone": "main", "name": "Main hall", "inside": 1} in occupancy


@pytest.mark.parametrize(
    "token",
    ["", "S1" + "A" * 120, "x" * 399, "S1" + "A" * 2000],
)
def test_bad_tokens_are_refused_with_a_reason_or_422(client, world, token):
    response = call(
        client, "post", "wic/entry/scans", world["raw"]["gate_main"], {"token": token, "zone": "main"}
    )
    if len(token) > 400:
        assert response.status_code == 422
    else:
        assert response.status_code == 200 and response.json()["reason"] in ("malformed", "bad_signature")
    assert not Scan.objects.filter(admitted=True).exists()


def test_offline_upload_is_idempotent_and_reports_the_clock_offset(client, world):
    staff = world["raw"]["gate_main"]
    now = timezone.now()
    body = {
        "device": "tablet-7",
        "gate": "North",
        "device_time": (now - timedelta(hours=3)).isoformat(),
        "scans": [
            {
                "id": "x1",
                "token": token_of(world["holder"]),
                "zone": "main",
                "scanned_at": (now - timedelta(hours=3, minutes=5)).isoformat(),
                "admitted": True,
            }
        ],
    }
    first = call(client, "post", "wic/entry/scans/offline", staff, body).json()
    assert first["recorded"] == 1 and abs(first["clock_offset_seconds"] - 3 * 3600) < 5
    second = call(client, "post", "wic/entry/scans/offline", staff, body).json()
    assert second["recorded"] == 0 and second["duplicates"] == 1
    scan = Scan.objects.get()
    assert abs((scan.scanned_at - (now - timedelta(minutes=5))).total_seconds()) < 5 and scan.offline


def test_the_offline_package_carries_the_public_key_and_revocations(client, world):
    package = call(client, "get", "wic/entry/offline-package?zone=main", world["raw"]["gate_main"]).json()
    assert len(package["public_key"]) == 43 and package["zone"]["code"] == "main"
    assert {p["id"] for p in package["participants"]} == {world["holder"].pk, world["journalist"].pk}
    assert (
        call(client, "get", "wic/entry/offline-package?zone=press", world["raw"]["gate_main"]).status_code
        == 404
    )


def test_a_participant_uploads_a_proof_and_an_officer_accepts_it(client, world):
    journalist = world["raw"]["journalist"]
    Proof.objects.all().delete()
    me = call(client, "get", "wic/entry/me", journalist).json()
    assert me["allowed"] is False and me["badge"] is None and me["requirements"][0]["kinds"] == ["test"]
    taken = (timezone.now() - timedelta(days=1)).replace(microsecond=0).isoformat()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = client.post(
        "/api/events/wic/entry/proofs",
        {"kind": "test", "taken_at": taken, "file": SimpleUploadedFile("t.pdf", PDF_BYTES)},
        HTTP_AUTHORIZATION=f"Bearer {journalist}",
    )
    assert upload.status_code == 201, upload.content
    proof_id = upload.json()["id"]
    queue = call(client, "get", "wic/entry/review", world["raw"]["officer"]).json()
    assert [item["id"] for item in queue] == [proof_id]
    decided = call(
        client, "post", f"wic/entry/proofs/{proof_id}/decision", world["raw"]["officer"], {"accept": True}
    )
    assert decided.json()["status"] == "accepted"
    again = call(
        client,
        "post",
        f"wic/entry/proofs/{proof_id}/decision",
        world["raw"]["officer"],
        {"accept": False, "reason": "illegible"},
    )
    assert again.status_code == 409
    me = call(client, "get", "wic/entry/me", journalist).json()
    assert me["allowed"] and me["badge"].startswith("S1") and me["valid_until"]


@pytest.mark.parametrize(
    ("data", "taken", "code"),
    [
        (EXE_BYTES, None, "file_type"),
        (PDF_BYTES, "2099-01-01T00:00:00+08:00", "taken_in_future"),
    ],
)
def test_bad_proofs_are_refused(client, world, data, taken, code):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/api/events/wic/entry/proofs",
        {
            "kind": "test",
            "taken_at": taken or timezone.now().isoformat(),
            "file": SimpleUploadedFile("x.pdf", data),
        },
        HTTP_AUTHORIZATION=f"Bearer {world['raw']['journalist']}",
    )
    assert response.status_code == 422 and response.json()["code"] == code
    assert Proof.objects.count() == 1


def test_a_rejection_needs_a_reason(client, world):
    proof = world["proof"].pk
    response = call(
        client, "post", f"wic/entry/proofs/{proof}/decision", world["raw"]["officer"], {"accept": False}
    )
    assert response.status_code == 422 and response.json()["code"] == "reason_required"
    assert Proof.objects.get().status == Proof.PENDING


def test_rules_through_the_api(client, world):
    organizer = world["raw"]["organizer"]
    created = call(
        client,
        "post",
        "wic/entry/rules",
        organizer,
        {
            "category": "media",
            "zone": "press",
            "stage": "gate",
            "accepted": [{"kind": "antigen"}, {"kind": "pcr", "seconds": 86400}],
        },
    )
    assert created.status_code == 201
    assert created.json()["accepted"] == [
        {"kind": "antigen", "seconds": 172800},
        {"kind": "pcr", "seconds": 86400},
    ]
    rule_id = created.json()["id"]
    bad = call(
        client, "put", f"wic/entry/rules/{rule_id}", organizer, {"accepted": [{"kind": "pcr", "seconds": 5}]}
    )
    assert bad.status_code == 422 and EntryRule.objects.get(pk=rule_id).stage == "gate"
    assert call(client, "post", "wic/entry/rules", organizer, {"zone": "nowhere"}).status_code == 404
    assert call(client, "delete", f"wic/entry/rules/{rule_id}", organizer).status_code == 204


def test_erasure_request_and_data_download(client, world):
    journalist = world["raw"]["journalist"]
    data = call(client, "get", "wic/entry/me/data", journalist).json()
    assert data["registration"]["family_name"] == "Иванова" and data["entry.proof"][0]["kind"] == "test"
    assert call(client, "post", "wic/entry/me/erasure", journalist).status_code == 202
    assert Participant.objects.filter(pk=world["journalist"].pk).exists()  # an organizer completes it
