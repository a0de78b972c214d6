"""Every page runs under a strict Content-Security-Policy in Debian's Chromium without a single violation,
and the JavaScript that used to be inline still works from static files."""

import re

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

pytestmark = pytest.mark.django_db(transaction=True)

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


class Watch:
    """Violations reported by the page (securitypolicyviolation) and by the console, page after page."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.add_init_script(LISTEN)
        page.on(
            "console",
            lambda msg: self.console.append(msg.text) if "Content Security Policy" in msg.text else None,
        )

    def visit(self, path: str):
        response = self.page.goto(path)
        assert response.status == 200, (path, response.status)
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        self.page.wait_for_load_state("load")
        return response

    def assert_clean(self, where: str = ""):
        found = self.page.evaluate("window.__csp || []")
        assert not found and not self.console, (where or self.page.url, found, self.console)


@pytest.fixture
def conference(db):
    event = make_event("wic")
    categories = make_standard_categories(event)
    forum = make_forum(event, title_en="AI and ethics", title_zh="人工智能与伦理", topic="ai")
    other = make_forum(event, title_en="Cyber security", title_zh="网络安全", topic="security")
    session = make_session(event, forum, title_en="Governing frontier AI", title_zh="前沿人工智能治理")
    make_session(event, other, title_en="Zero trust networks", title_zh="零信任网络")
    make_staff(event, "organizer", "organizer@example.org")
    make_invitation(event, categories["media"], code="PRESS1")
    for _ in range(3):
        make_participant(event, categories["company"])
    return event, categories, session


def test_public_pages_pass_the_policy_and_their_scripts_work(conference, new_page, live_server):
    event, categories, session = conference
    page = new_page()
    watch = Watch(page)

    watch.visit("/")
    watch.visit(f"/events/{event.slug}/")

    # The registration form's script: a media category shows the press fields and marks them required.
    watch.visit(f"/events/{event.slug}/register/?code=PRESS1")
    assert page.locator("#media-fields").is_visible()
    assert "required" in (page.locator('[data-field="outlet"]').get_attribute("class") or "")
    watch.visit(f"/events/{event.slug}/register/")
    assert page.locator("#media-fields").is_hidden()
    page.select_option("#id_category", str(categories["company"].pk))
    watch.assert_clean("register")

    watch.visit(f"/events/{event.slug}/signin/")

    # The program page: filters, and the viewer's own time added by program.js.
    watch.visit(f"/events/{event.slug}/program/")
    assert page.locator(f"#session-{session.pk}").is_visible()
    page.select_option("#f-topic", "security")
    page.locator(".program-filters button[type=submit]").click()
    page.wait_for_load_state("load")
    assert "Zero trust networks" in page.content() and "Governing frontier AI" not in page.content()
    watch.visit(f"/events/{event.slug}/program/sessions/{session.pk}/")
    watch.assert_clean("program")

    # The language switch: a language is applied with its button (arrow keys on the list change nothing).
    page.select_option("#lang-select", "zh-hans")
    page.locator(".lang-go").click()
    page.wait_for_function("document.documentElement.lang === 'zh-Hans'")
    assert "前沿人工智能治理" in page.content()
    watch.assert_clean("language switch")


def test_delegate_and_staff_pages_pass_the_policy_and_their_scripts_work(conference, new_page, live_server):
    event, categories, session = conference
    delegate = make_delegate(event, categories["company"], given_name="Amina", family_name="Diallo")

    page = new_page()
    watch = Watch(page)
    page.goto(issue_magic_link(participant=delegate, base_url=live_server.url))
    page.locator("#magic-signin").click()
    page.wait_for_url(f"**/events/{event.slug}/me/")
    watch.assert_clean("me")
    watch.visit(f"/events/{event.slug}/agenda/")
    watch.visit(f"/events/{event.slug}/me/tokens/")

    staff = new_page()
    watch = Watch(staff)
    watch.visit("/accounts/login/")
    staff.fill("#id_username", "organizer@example.org")
    staff.fill("#id_password", PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.wait_for_load_state("load")

    # Select all on the participant list.
    watch.visit(f"/events/{event.slug}/manage/participants/")
    staff.locator("#select-all").check()
    boxes = staff.locator('#participants input[name="ids"]')
    assert boxes.count() >= 3
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))

    watch.visit(f"/events/{event.slug}/manage/invitations/")
    watch.visit(f"/events/{event.slug}/manage/participants/import/")
    watch.visit(f"/events/{event.slug}/manage/tokens/")

    # The program back office: a form that asks before cancelling (declined: nothing happens).
    watch.visit(f"/events/{event.slug}/manage/program/sessions/{session.pk}/edit/")
    asked = []
    staff.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    staff.locator("#cancel-session button[type=submit]").click()
    assert asked and "Cancel this session" in asked[0]
    session.refresh_from_db()
    assert session.status != "cancelled"

    # The participant search on the forum form shows (it stays hidden without its script).
    watch.visit(f"/events/{event.slug}/manage/program/forums/new/")
    assert staff.locator(".participant-search").first.is_visible()
    staff.locator(".participant-search input").first.fill("Amina")
    staff.wait_for_selector(".participant-search li")
    assert re.search("Amina", staff.locator(".participant-search ul").first.inner_text())
    watch.assert_clean("staff pages")


def test_the_api_docs_draw_under_their_own_policy(db, new_page, live_server):
    page = new_page()
    watch = Watch(page)
    response = page.goto("/api/docs")
    assert response.status == 200
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Summit API" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector(".opblock")
    # Open an operation and its schema: Swagger UI draws these with highlighted examples.
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body")
    page.locator(".opblock-body .try-out__btn").first.click()
    page.wait_for_selector(".opblock-body .execute")
    page.locator(".models-control, .models h4").first.click()
    page.wait_for_timeout(500)
    watch.assert_clean("api docs")


def test_the_admin_passes_the_policy(conference, new_page, live_server):
    from summit.core.testing import make_user

    event, categories, session = conference
    make_user("admin@example.org", is_staff=True, is_superuser=True)
    page = new_page()
    watch = Watch(page)
    # The admin signs in through the site's own form (so a second factor is never skipped).
    watch.visit("/admin/login/")
    page.fill("#id_username", "admin@example.org")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    for path in (
        "/admin/",
        "/admin/events/event/",
        f"/admin/events/event/{event.pk}/change/",
        "/admin/registration/participant/",
        f"/admin/program/session/{session.pk}/change/",
    ):
        watch.visit(path)
        watch.assert_clean(path)
