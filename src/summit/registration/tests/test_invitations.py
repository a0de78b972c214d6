"""Invitation codes in the back office and the REST API: list with links and states, create, expire now."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from summit.accounts import services as accounts
from summit.core.models import AuditEntry
from summit.core.testing import expired
from summit.events.testing import make_staff
from summit.registration import services
from summit.registration.models import InvitationCode
from summit.registration.testing import make_invitation, make_organization

pytestmark = pytest.mark.django_db


def page_url(event) -> str:
    return reverse("manage:invitations", args=[event.slug])


def register_link(event, code: str) -> str:
    return "http://testserver" + reverse("registration:register", args=[event.slug]) + "?code=" + code


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def row_states(html: str) -> dict[str, str]:
    """code → data-state of each row."""
    rows = re.findall(
        r'<tr data-id="\d+" id="invitation-\d+" data-state="(\w+)">\s*<td[^>]*><code>([^<]+)</code>', html
    )
    return {code: state for state, code in rows}


def form(category_obj, **overrides) -> dict:
    data = {
        "category": str(category_obj.pk),
        "organization": "",
        "max_uses": "1",
        "expires_at": "",
        "note": "",
        "code": "",
    }
    data.update(overrides)
    return data


# --- the page ----------------------------------------------------------------------------------------------


def test_page_lists_codes_with_links_and_states(officer_client, officer, event, categories):
    org = make_organization(event, name="华为技术有限公司", name_latin="Huawei Technologies")
    make_invitation(event, categories["vip"], code="ACTIVE1", max_uses=3, uses=1, organization=org)
    make_invitation(event, categories["vip"], code="OLD1", expires_at=expired())
    make_invitation(event, categories["media"], code="FULL1", max_uses=2, uses=2)
    ended = make_invitation(event, categories["media"], code="ENDED1")
    services.expire_invitation(invitation=ended, actor=officer)

    response = officer_client.get(page_url(event))
    assert response.status_code == 200
    html = response.content.decode()
    assert row_states(html) == {
        "ACTIVE1": "active",
        "OLD1": "expired",
        "FULL1": "used_up",
        "ENDED1": "revoked",
    }
    for code in ("ACTIVE1", "OLD1", "FULL1", "ENDED1"):
        assert f'value="{register_link(event, code)}"' in html.replace("&amp;", "&")
    assert "readonly" in html
    assert "Huawei Technologies" in html
    assert "1 / 3" in html
    assert "Used up" in html and "Expired" in html and "Active" in html
    assert 'class="responsive"' in html and "table-wrap" in html and 'data-label="Uses"' in html
    assert "csrfmiddlewaretoken" in html
    # "Expire now" only where it still changes something.
    assert reverse("manage:expire_invitation", args=[event.slug, ended.pk]) not in html


def test_expiry_is_shown_in_the_event_time_zone(officer_client, event, categories):
    # 2030-01-01 00:00 UTC is 08:00 in Shanghai.
    make_invitation(event, categories["vip"], code="TZ1", expires_at=datetime(2030, 1, 1, tzinfo=UTC))
    html = officer_client.get(page_url(event)).content.decode()
    assert "2030-01-01 08:00" in html


def test_subnavigation_links_the_page(officer_client, organizer_client, event):
    html = officer_client.get(reverse("manage:participants", args=[event.slug])).content.decode()
    assert page_url(event) in html
    html = organizer_client.get(page_url(event)).content.decode()
    assert 'aria-current="page">Invitations<' in html


# --- creating ----------------------------------------------------------------------------------------------


def test_create_with_generated_code(organizer_client, organizer, event, categories):
    response = organizer_client.post(
        page_url(event), form(categories["vip"], max_uses="5", note="For the minister"), follow=True
    )
    assert response.status_code == 200
    invitation = InvitationCode.objects.get(event=event)
    assert re.fullmatch(r"[A-Za-z0-9_-]{12}", invitation.code)
    assert invitation.category == categories["vip"]
    assert invitation.max_uses == 5 and invitation.uses == 0
    assert invitation.expires_at is None and invitation.organization is None
    assert invitation.note == "For the minister"
    assert "has been created" in " ".join(messages_of(response))
    assert register_link(event, invitation.code) in response.content.decode()
    entry = AuditEntry.objects.get(action="invitation.created")
    assert entry.actor == organizer and entry.object_id == str(invitation.pk)


def test_create_with_custom_code_organization_and_expiry(officer_client, event, categories):
    org = make_organization(event)
    response = officer_client.post(
        page_url(event),
        form(
            categories["media"], code="press-2027_A", organization=str(org.pk), expires_at="2030-06-01T18:30"
        ),
    )
    assert response.status_code == 302
    invitation = InvitationCode.objects.get(event=event, code="press-2027_A")
    assert invitation.organization == org
    assert (
        timezone.localtime(invitation.expires_at, event.tz).strftime("%Y-%m-%d %H:%M") == "2030-06-01 18:30"
    )
    # The link opens registration in the invitation's category.
    response = officer_client.get(register_link(event, "press-2027_A"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "overrides, field, text",
    [
        ({"max_uses": "0"}, "max_uses", "at least one use"),
        ({"max_uses": "many"}, "max_uses", "whole number"),
        ({"category": "999999"}, "category", "Unknown category"),
        ({"category": ""}, "category", "Choose a category"),
        ({"code": "has spaces"}, "code", "letters, digits"),
        ({"code": "x" * 65}, "code", "letters, digits"),
        ({"expires_at": "2001-01-01T10:00"}, "expires_at", "must be in the future"),
        ({"expires_at": "tomorrow"}, "expires_at", "date and time"),
        ({"organization": "999999"}, "organization", "Unknown organization"),
    ],
)
def test_bad_input_shows_the_field_error_and_stores_nothing(
    officer_client, event, categories, overrides, field, text
):
    response = officer_client.post(page_url(event), form(categories["vip"], **overrides))
    assert response.status_code == 422
    html = response.content.decode()
    error = re.search(rf'<ul class="errorlist" id="error-{field}"><li>([^<]+)</li>', html)
    assert error and text in error.group(1), html
    assert not InvitationCode.objects.exists()
    assert not AuditEntry.objects.filter(action="invitation.created").exists()


def test_duplicate_code_is_a_field_error(officer_client, event, categories, other_event):
    make_invitation(event, categories["vip"], code="WELCOME")
    make_invitation(other_event, other_event.categories.get(code="vip"), code="SAME")
    for code in ("WELCOME", "welcome"):
        response = officer_client.post(page_url(event), form(categories["media"], code=code))
        assert response.status_code == 422
        assert "is already used for this event" in response.content.decode()
    assert InvitationCode.objects.filter(event=event).count() == 1
    # Another event's code does not matter.
    assert officer_client.post(page_url(event), form(categories["media"], code="SAME")).status_code == 302


def test_organization_of_another_event_is_refused(officer_client, event, categories, other_event):
    foreign = make_organization(other_event)
    response = officer_client.post(page_url(event), form(categories["vip"], organization=str(foreign.pk)))
    assert response.status_code == 422
    assert not InvitationCode.objects.exists()


def test_service_turns_a_racing_duplicate_into_a_field_error(event, categories, organizer, monkeypatch):
    make_invitation(event, categories["vip"], code="RACE")
    # Pretend the duplicate check ran before the other transaction committed.
    monkeypatch.setattr(
        "summit.registration.services.invitations.InvitationCode.objects.filter",
        lambda *a, **k: InvitationCode.objects.none(),
    )
    with pytest.raises(services.ValidationFailed) as exc:
        services.create_invitation(event=event, category=categories["vip"], actor=organizer, code="RACE")
    assert exc.value.field == "code"
    monkeypatch.undo()
    assert InvitationCode.objects.filter(code="RACE").count() == 1


def test_service_keeps_its_defaults(event, categories, organizer):
    invitation = services.create_invitation(event=event, category=categories["vip"], actor=organizer)
    assert invitation.max_uses == 1 and invitation.expires_at is None and invitation.code
    assert services.check_invitation(event, invitation.code) == invitation


# --- expire now --------------------------------------------------------------------------------------------


def test_expire_now_makes_the_link_show_the_expired_page(client, officer_client, officer, event, categories):
    invitation = make_invitation(
        event, categories["vip"], code="SOON", expires_at=timezone.now() + timedelta(days=3)
    )
    assert client.get(register_link(event, "SOON")).status_code == 200

    response = officer_client.post(
        reverse("manage:expire_invitation", args=[event.slug, invitation.pk]), follow=True
    )
    assert response.status_code == 200
    assert "has expired" in " ".join(messages_of(response))
    assert row_states(response.content.decode()) == {"SOON": "revoked"}
    invitation.refresh_from_db()
    assert invitation.expires_at <= timezone.now()
    entry = AuditEntry.objects.get(action="invitation.expired")
    assert entry.actor == officer and entry.object_id == str(invitation.pk) and entry.event == event

    response = client.get(register_link(event, "SOON"))
    assert response.status_code == 410
    assert "expired" in response.content.decode()

    # Once more changes nothing and writes no second entry.
    officer_client.post(reverse("manage:expire_invitation", args=[event.slug, invitation.pk]))
    assert AuditEntry.objects.filter(action="invitation.expired").count() == 1


def test_expire_needs_post(officer_client, event, categories):
    invitation = make_invitation(event, categories["vip"])
    response = officer_client.get(reverse("manage:expire_invitation", args=[event.slug, invitation.pk]))
    assert response.status_code == 405


def test_invitation_of_another_event_is_404(officer_client, event, categories, other_event):
    foreign = make_invitation(other_event, other_event.categories.get(code="vip"), code="FOREIGN")
    response = officer_client.post(reverse("manage:expire_invitation", args=[event.slug, foreign.pk]))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.expires_at is None
    assert "FOREIGN" not in officer_client.get(page_url(event)).content.decode()


def test_officer_of_another_event_and_others_get_404(client, event, categories, other_event):
    invitation = make_invitation(event, categories["vip"])
    urls_get = [page_url(event)]
    expire = reverse("manage:expire_invitation", args=[event.slug, invitation.pk])
    assert client.get(page_url(event)).status_code == 404
    for user in (make_staff(other_event, "accreditation_officer"), make_staff(event, "gate_staff")):
        client.force_login(user)
        for url in urls_get:
            assert client.get(url).status_code == 404
        assert client.post(page_url(event), form(categories["vip"], code="NOPE")).status_code == 404
        assert client.post(expire).status_code == 404
    invitation.refresh_from_db()
    assert invitation.expires_at is None
    assert not InvitationCode.objects.filter(code="NOPE").exists()


# --- REST API ----------------------------------------------------------------------------------------------


def auth(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def token(event, officer):
    return accounts.create_api_token(event=event, user=officer, name="Invitations")[1]


def api_post(client, raw, body, slug="wic"):
    return client.post(
        f"/api/events/{slug}/invitations", json.dumps(body), content_type="application/json", **auth(raw)
    )


def test_api_list(client, token, officer, event, categories, other_event):
    org = make_organization(event)
    make_invitation(event, categories["vip"], code="A1", organization=org, max_uses=2, uses=1)
    gone = make_invitation(event, categories["media"], code="B1")
    services.expire_invitation(invitation=gone, actor=officer)
    make_invitation(other_event, other_event.categories.get(code="vip"), code="ELSEWHERE")
    response = client.get("/api/events/wic/invitations", **auth(token))
    assert response.status_code == 200
    items = {item["code"]: item for item in response.json()}
    assert set(items) == {"A1", "B1"}
    assert items["A1"]["state"] == "active"
    assert items["A1"]["category"] == "vip"
    assert items["A1"]["organization"]["id"] == org.pk
    assert items["A1"]["uses"] == 1 and items["A1"]["max_uses"] == 2
    assert items["A1"]["link"] == register_link(event, "A1")
    assert items["B1"]["state"] == "revoked"


def test_api_create(client, token, event, categories):
    org = make_organization(event)
    response = api_post(
        client,
        token,
        {
            "category": "media",
            "max_uses": 3,
            "expires_at": "2030-06-01T18:30:00+08:00",
            "organization": org.pk,
            "note": "Xinhua",
            "code": "XH-1",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["code"] == "XH-1" and body["state"] == "active" and body["link"] == register_link(event, "XH-1")
    )
    invitation = InvitationCode.objects.get(pk=body["id"])
    assert invitation.organization == org and invitation.max_uses == 3 and invitation.note == "Xinhua"
    assert (
        timezone.localtime(invitation.expires_at, event.tz).strftime("%Y-%m-%d %H:%M") == "2030-06-01 18:30"
    )

    response = api_post(client, token, {"category": categories["vip"].pk})
    assert response.status_code == 201
    assert response.json()["max_uses"] == 1 and response.json()["expires_at"] is None
    assert re.fullmatch(r"[A-Za-z0-9_-]{12}", response.json()["code"])


@pytest.mark.parametrize(
    "body, field, code",
    [
        ({"category": "vip", "max_uses": 0}, "max_uses", "min_value"),
        ({"category": "nope"}, "category", "unknown_category"),
        ({"category": 999999}, "category", "unknown_category"),
        ({"category": "vip", "code": "two words"}, "code", "bad_code"),
        ({"category": "vip", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at", "in_past"),
        ({"category": "vip", "organization": 999999}, "organization", "unknown_organization"),
        ({"category": "vip", "code": "TAKEN"}, "code", "duplicate_code"),
    ],
)
def test_api_create_errors_store_nothing(client, token, event, categories, body, field, code):
    make_invitation(event, categories["vip"], code="TAKEN")
    response = api_post(client, token, body)
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["code"] in {"validation_failed", code}
    assert data["detail"]
    fields = {data.get("field")} | {e["field"] for e in data.get("errors", [])}
    codes = {data["code"]} | {e["code"] for e in data.get("errors", [])}
    assert field in fields and code in codes, data
    assert InvitationCode.objects.filter(event=event).count() == 1


def test_api_schema_errors_and_scoping(client, token, event, categories, other_event):
    response = api_post(client, token, {"category": "vip", "colour": "red"})
    assert response.status_code == 422 and response.json()["code"] == "validation_failed"
    response = api_post(client, token, {"category": "vip", "expires_at": "soon"})
    assert response.status_code == 422
    assert api_post(client, token, {"category": "vip"}, slug="other").status_code == 404
    assert client.get("/api/events/other/invitations", **auth(token)).status_code == 404
    assert client.get("/api/events/wic/invitations").status_code == 401
    stranger = make_staff(event, "gate_staff")
    raw = accounts.create_api_token(event=event, user=stranger, name="Gate")[1]
    assert client.get("/api/events/wic/invitations", **auth(raw)).status_code == 404
    assert api_post(client, raw, {"category": "vip"}).status_code == 404
    assert not InvitationCode.objects.exists()


def test_page_in_chinese(officer_client, event, categories):
    make_invitation(event, categories["vip"], code="ZH1")
    html = officer_client.get(page_url(event), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "邀请码" in html and "立即失效" in html and "使用次数" in html and "有效" in html
