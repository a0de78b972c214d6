"""The back-office home /events/<slug>/manage/ (roles × what they see): organizers get every figure and a
link to every area, accreditation officers the participants and sessions without the organizer's areas,
anyone else a 404 that names nothing of the event."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from summit.events.testing import make_event, make_staff
from summit.program import services as program_services
from summit.program.models import Session
from summit.program.testing import make_forum, make_session
from summit.registration.models import Participant
from summit.registration.testing import make_delegate, make_participant, make_standard_categories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "participant", "officer", "organizer", "organizer_elsewhere"]
ORGANIZER_ONLY = ["link-tokens", "link-forums", "link-speakers", "link-new-session"]
EVERY_STAFF = ["link-participants", "link-import", "link-invitations", "link-export", "link-sessions"]


@pytest.fixture
def world():
    event = make_event("wic", name_en="Summit of secrets", name_zh="机密峰会")
    categories = make_standard_categories(event)
    company, media = categories["company"], categories["media"]
    booker = make_delegate(event, company, email="booker@example.org", attendance_mode="onsite")
    make_delegate(event, company, email="online@example.org", attendance_mode="online")
    make_participant(event, company, email="new1@example.org")
    make_participant(event, media, email="new2@example.org")
    make_participant(event, media, email="gone@example.org", status=Participant.CANCELLED)
    forum = make_forum(event)
    session = make_session(event, forum, capacity=5)
    make_session(event, forum, capacity=7)
    make_session(event, forum, capacity=100, status=Session.CANCELLED)
    program_services.book(
        session=session, participant=booker, mode="onsite", idempotency_key=f"k-{uuid.uuid4().hex}"
    )
    elsewhere = make_event("elsewhere")
    users = {
        "anonymous": None,
        "participant": booker.user,
        "officer": make_staff(event, "accreditation_officer", "officer@example.org"),
        "organizer": make_staff(event, "organizer", "organizer@example.org"),
        "organizer_elsewhere": make_staff(elsewhere, "organizer", "away@example.org"),
    }
    return {"event": event, "users": users, "categories": categories}


def get_home(client, world, role, **headers):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    return client.get(reverse("backoffice", args=[world["event"].slug]), **headers)


def test_the_address_in_the_readme_is_the_back_office_home():
    assert reverse("backoffice", args=["wic2027"]) == "/events/wic2027/manage/"


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_the_back_office_home(client, world, role):
    response = get_home(client, world, role)
    if role not in ("officer", "organizer"):
        assert response.status_code == 404
        html = response.content.decode()
        assert "Summit of secrets" not in html and "机密峰会" not in html
        return
    assert response.status_code == 200
    html = response.content.decode()
    for link in EVERY_STAFF:
        assert f'id="{link}"' in html
    for link in ORGANIZER_ONLY:
        assert (f'id="{link}"' in html) == (role == "organizer")
    assert ('id="figure-forums"' in html) == (role == "organizer")


def test_the_home_shows_the_events_figures(client, world):
    response = get_home(client, world, "organizer")
    people, program = response.context["people"], response.context["program"]
    assert people["total"] == 5 and people["active"] == 4 and people["pending"] == 2
    assert people["status"][Participant.APPROVED] == 2 and people["status"][Participant.CANCELLED] == 1
    assert people["by_mode"] == {"onsite": 3, "online": 1}
    by_category = {category.code: n for category, n in people["by_category"]}
    assert by_category["company"] == 3 and by_category["media"] == 1
    assert program == {"sessions": 2, "seats": 12, "seats_booked": 1, "online_booked": 0, "waitlisted": 0}
    html = response.content.decode()
    assert '<strong id="figure-active">4</strong>' in html
    assert '<dd id="figure-sessions">2</dd>' in html and "1 of 12 booked" in html
    assert '<span class="home-count" data-status="submitted">2</span>' in html
    assert f'href="{reverse("manage:participants", args=["wic"])}?status=submitted"' in html


def test_the_home_is_in_the_navigation_and_in_chinese(client, world):
    event = world["event"]
    client.force_login(world["users"]["officer"])
    home = reverse("backoffice", args=[event.slug])
    for page in (
        reverse("manage:participants", args=[event.slug]),
        reverse("events:home", args=[event.slug]),
    ):
        assert f'href="{home}"' in client.get(page).content.decode()
    chinese = client.get(home, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "管理后台 · 机密峰会" in chinese and "参会人员" in chinese and "已提交" in chinese
