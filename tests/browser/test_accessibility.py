"""Accessibility of the main pages in Debian's Chromium: axe-core finds nothing serious or critical on any
of them, in English and Chinese, on a laptop and on a phone; and the keyboard reaches what it must."""

import pytest

from summit.core.testing import PASSWORD
from summit.events.testing import make_event, make_staff
from summit.program.testing import make_forum, make_session
from summit.registration.services import issue_magic_link
from summit.registration.testing import (
    make_delegate,
    make_invitation,
    make_participant,
    make_standard_categories,
)

from .conftest import assert_no_serious_axe

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = {"en": "en-US", "zh-hans": "zh-CN"}


@pytest.fixture
def conference(db):
    event = make_event("wic")
    categories = make_standard_categories(event)
    forum = make_forum(event, title_en="AI and ethics", title_zh="人工智能与伦理")
    session = make_session(
        event, forum, title_en="Governing frontier AI", title_zh="前沿人工智能治理", capacity=1, online=True
    )
    make_session(event, forum, title_en="Open data", title_zh="开放数据", capacity=0, online=False)
    delegate = make_delegate(event, categories["company"], given_name="Amina", family_name="Diallo")
    waiting = make_participant(
        event, categories["research"], given_name="伟", family_name="王", status="waitlisted"
    )
    make_invitation(event, categories["media"], code="PRESS2027", max_uses=50)
    organizer = make_staff(event, "organizer", "organizer@example.org")
    return {
        "event": event,
        "session": session,
        "delegate": delegate,
        "waiting": waiting,
        "organizer": organizer,
    }


def sign_in_staff(page, email):
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def sign_in_participant(page, participant, base_url):
    page.goto(issue_magic_link(participant=participant, base_url=base_url))
    page.locator("#magic-signin").click()
    page.wait_for_url(f"**/events/{participant.event.slug}/me/")


def visit(page, path):
    response = page.goto(path)
    page.wait_for_load_state()
    if path == "/api/docs":  # Swagger UI draws the operations once it has loaded the schema
        page.locator(".opblock").first.wait_for()
    return response


@pytest.mark.parametrize("mobile", [False, True], ids=["laptop", "phone"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_main_pages_have_no_serious_axe_findings(conference, new_page, live_server, language, mobile):
    event, session = conference["event"], conference["session"]
    slug = event.slug
    checked, findings = [], []

    def check(page, path, status=200):
        response = visit(page, path)
        assert response.status == status, path
        expected = "zh-Hans" if language == "zh-hans" else "en"
        lang = page.locator("html").get_attribute("lang")
        if lang != expected:
            findings.append(f"{path}: <html lang={lang!r}>, not {expected!r}")
        axe(page)
        checked.append(path)

    def axe(page):
        try:
            assert_no_serious_axe(page)
        except pytest.fail.Exception as failed:  # every page is checked, then all findings are listed
            findings.append(str(failed))

    # Anyone.
    visitor = new_page(locale=LANGUAGES[language], mobile=mobile)
    for path in [
        "/",
        f"/events/{slug}/",
        f"/events/{slug}/register/",
        f"/events/{slug}/register/?code=PRESS2027",
        f"/events/{slug}/signin/",
        "/accounts/login/",
        f"/events/{slug}/program/",
        f"/events/{slug}/program/sessions/{session.pk}/",
        "/api/docs",
    ]:
        check(visitor, path)
    # An operation of the API opened, with its parameters and responses.
    visitor.locator(".opblock-summary-control").nth(1).click()
    visitor.locator(".opblock-body").first.wait_for()
    axe(visitor)
    check(visitor, "/no-such-page/", status=404)
    check(visitor, f"/events/{slug}/program/sessions/999999/", status=404)

    # A delegate with a seat: my registration and my agenda.
    delegate = new_page(locale=LANGUAGES[language], mobile=mobile)
    sign_in_participant(delegate, conference["delegate"], live_server.url)
    visit(delegate, f"/events/{slug}/program/sessions/{session.pk}/")
    delegate.locator("button[data-action=seat]").click()
    delegate.wait_for_load_state()
    for path in [f"/events/{slug}/me/", f"/events/{slug}/agenda/", f"/events/{slug}/program/"]:
        check(delegate, path)

    # The organizer's back office.
    staff = new_page(locale=LANGUAGES[language], mobile=mobile)
    sign_in_staff(staff, conference["organizer"].email)
    for path in [
        f"/events/{slug}/manage/participants/",
        f"/events/{slug}/manage/participants/?status=waitlisted",
        f"/events/{slug}/manage/participants/{conference['waiting'].pk}/",
        f"/events/{slug}/manage/participants/import/",
        f"/events/{slug}/manage/invitations/",
        f"/events/{slug}/manage/program/",
        f"/events/{slug}/manage/program/sessions/{session.pk}/",
        f"/events/{slug}/manage/tokens/",
    ]:
        check(staff, path)
    assert len(checked) == 22
    if findings:
        pytest.fail("\n\n".join(findings), pytrace=False)
