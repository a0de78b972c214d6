"""Accessibility of the main pages in Debian's Chromium: axe-core finds nothing serious or critical on any
of them, in English and Chinese, on a laptop and on a phone; and the keyboard reaches what it must."""

import pytest

from summit.events.testing import make_event, make_staff
from summit.program.testing import make_forum, make_session
from summit.registration.testing import (
    make_delegate,
    make_invitation,
    make_participant,
    make_standard_categories,
)

from .conftest import assert_no_serious_axe, sign_in_participant, sign_in_staff

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


def submit(page, click):
    """Clicks (or presses) something that submits a form and waits for the page that answers."""
    with page.expect_navigation():
        click()


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
    # Not Ninja's bare "Summit API": our page, in the visitor's language.
    assert visitor.title() == {"en": "API documentation · Summit", "zh-hans": "API 文档 · Summit"}[language]
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
    submit(delegate, lambda: delegate.locator("button[data-action=seat]").click())
    for path in [
        f"/events/{slug}/me/",
        f"/events/{slug}/me/edit/",
        f"/events/{slug}/me/tokens/",
        f"/events/{slug}/agenda/",
        f"/events/{slug}/program/",
        f"/events/{slug}/sessions/{session.pk}/live/",
    ]:
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
        f"/events/{slug}/manage/program/sessions/{session.pk}/edit/",
        f"/events/{slug}/manage/program/forums/",
        f"/events/{slug}/manage/program/speakers/new/",
        f"/events/{slug}/manage/tokens/",
        f"/events/{slug}/manage/live/",
        f"/events/{slug}/manage/program/sessions/{session.pk}/live/",
        f"/events/{slug}/sessions/{session.pk}/live/",
        f"/events/{slug}/sessions/{session.pk}/live/display/",
        # Pages with a note about what could not be done.
        f"/events/{slug}/manage/participants/?status=nonsense",
        f"/events/{slug}/manage/program/?day=someday",
    ]:
        check(staff, path)
    assert staff.locator("#filter-error").is_visible()
    visit(staff, f"/events/{slug}/manage/invitations/")
    staff.fill("#inv-max-uses", "0")
    submit(staff, lambda: staff.locator("#create-invitation button[type=submit]").click())
    assert staff.locator(".field-error").count() or staff.locator("#invitation-error").count()
    axe(staff)
    assert len(checked) == 34
    if findings:
        pytest.fail("\n\n".join(findings), pytrace=False)


# --- the keyboard -------------------------------------------------------------------------------------------

# What the Tab key should reach, in document order: one stop per radio group, nothing hidden or disabled.
TABBABLE = """() => {
  const selector = 'a[href], button, input, select, textarea, summary, [tabindex]';
  const seen = new Set();
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || el.type === 'hidden' || el.tabIndex < 0 || el.closest('[inert]')) continue;
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.type === 'radio') { if (seen.has(el.name)) continue; seen.add(el.name); }
    out.push(el);
  }
  return out.map((el) => el.id || el.name || el.outerHTML.slice(0, 80));
}"""
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {key: el.id || el.name || el.outerHTML.slice(0, 80), outline: style.outlineStyle,
          width: parseFloat(style.outlineWidth), tabindex: el.getAttribute('tabindex')};
}"""


def tab_through(page, limit=300):
    """Presses Tab from the top of the page until the focus leaves the page or comes round again."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (stops and focused["key"] == stops[0]["key"]):
            return stops
        if stops and focused["key"] == stops[-1]["key"]:
            continue  # the next part of the same control (day, month, year of a date)
        stops.append(focused)
    pytest.fail(f"the focus never left {page.url} after {limit} presses of Tab: a keyboard trap")


@pytest.mark.parametrize("mobile", [False, True], ids=["laptop", "phone"])
def test_tab_reaches_every_control_in_order_with_a_visible_focus(conference, new_page, live_server, mobile):
    event, session = conference["event"], conference["session"]
    slug = event.slug
    delegate = new_page(mobile=mobile)
    sign_in_participant(delegate, conference["delegate"], live_server.url)
    staff = new_page(mobile=mobile)
    sign_in_staff(staff, conference["organizer"].email)
    pages = [
        (delegate, f"/events/{slug}/"),
        (delegate, f"/events/{slug}/register/"),
        (delegate, f"/events/{slug}/program/"),
        (delegate, f"/events/{slug}/program/sessions/{session.pk}/"),
        (delegate, f"/events/{slug}/me/"),
        (delegate, f"/events/{slug}/agenda/"),
        (delegate, f"/events/{slug}/sessions/{session.pk}/live/"),
        (staff, f"/events/{slug}/manage/live/"),
        (staff, f"/events/{slug}/manage/participants/"),
        (staff, f"/events/{slug}/manage/participants/{conference['waiting'].pk}/"),
        (staff, f"/events/{slug}/manage/participants/import/"),
        (staff, f"/events/{slug}/manage/program/sessions/{session.pk}/edit/"),
    ]
    for page, path in pages:
        visit(page, path)
        expected = page.evaluate(TABBABLE)
        stops = tab_through(page)
        # Every control is reached once, in the order of the page (no positive tabindex reorders it).
        assert [s["key"] for s in stops] == expected, path
        assert not [s for s in stops if s["tabindex"] not in (None, "0")], path
        # Each stop shows our focus outline (not the browser's thin default); the first is the skip link.
        faint = [s["key"] for s in stops if s["outline"] != "solid" or s["width"] < 2]
        assert not faint, f"{path}: no visible focus on {faint}"
        assert stops[0]["key"] == "skip-link", path


def test_skip_link_moves_the_focus_to_the_main_content(conference, new_page):
    page = new_page()
    visit(page, f"/events/{conference['event'].slug}/")
    page.keyboard.press("Tab")
    link = page.locator(":focus")
    assert link.get_attribute("class") == "skip-link"
    assert link.inner_text() == "Skip to main content"
    box = link.bounding_box()
    assert box["y"] >= 0 and box["height"] > 10  # on screen while it has the focus
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is inside the main content, past the navigation
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_arrow_keys_on_the_language_switch_do_not_change_the_page(conference, new_page):
    page = new_page()
    visit(page, f"/events/{conference['event'].slug}/")
    page.evaluate("window.stillHere = true")
    page.focus("#lang-select")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(800)
    assert page.evaluate("window.stillHere === true")  # no page load: nothing was submitted
    assert page.locator("html").get_attribute("lang") == "en"
    # The chosen language applies once the person confirms it with the button.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "世界互联网大会" in page.locator("h1").inner_text()


# --- error summaries -----------------------------------------------------------------------------------------


DESCRIPTION = """(id) => (document.getElementById(id).getAttribute('aria-describedby') || '').split(' ')
  .map((ref) => document.getElementById(ref)).filter(Boolean).map((el) => el.textContent).join(' ')"""
MISSING_DESCRIPTIONS = """() => [...document.querySelectorAll('[aria-describedby]')].flatMap((el) =>
  el.getAttribute('aria-describedby').split(' ').filter((ref) => !document.getElementById(ref)))"""


def summary_links(page):
    return page.locator("#error-summary a").evaluate_all("links => links.map(a => a.getAttribute('href'))")


def test_failed_registration_focuses_a_summary_linking_to_each_field(conference, new_page):
    page = new_page()
    visit(page, f"/events/{conference['event'].slug}/register/")
    page.fill("#id_email", "not an address")
    submit(page, lambda: page.get_by_role("button", name="Submit registration").click())
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert summary.locator("h2").inner_text() == "There is a problem"
    links = summary_links(page)
    assert "#id_email" in links and "#id_given_name" in links and "#id_country" in links
    assert summary.locator("a[href='#id_email']").inner_text().startswith("E-mail")
    # Every link leads to a field that exists; following one puts the cursor in that field.
    for href in links:
        assert page.locator(href).count() == 1, href
    # The radio buttons are a group named by their question.
    assert page.get_by_role("group", name="Attendance").get_by_role("radio").count() == 2
    summary.locator("a[href='#id_given_name']").click()
    assert page.evaluate("document.activeElement.id") == "id_given_name"
    # Each field with an error is described by its message (what a screen reader says on the field).
    assert "This field is required." in page.evaluate(DESCRIPTION, "id_given_name")
    assert "valid email" in page.evaluate(DESCRIPTION, "id_email")
    assert page.evaluate(MISSING_DESCRIPTIONS) == []
    assert_no_serious_axe(page)


def test_failed_staff_sign_in_focuses_the_summary(conference, new_page):
    page = new_page(locale="zh-CN")
    visit(page, "/accounts/login/")
    page.fill("#id_username", conference["organizer"].email)
    page.fill("#id_password", "wrong password")
    submit(page, lambda: page.locator("form button[type=submit]").last.click())
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#error-summary li").count() == 1
    assert_no_serious_axe(page)


def test_failed_sign_in_link_request_focuses_the_summary(conference, new_page):
    page = new_page(mobile=True)
    visit(page, f"/events/{conference['event'].slug}/signin/")
    page.fill("#id_email", "wang@localhost-not-a-domain")  # the browser lets it through, the server does not
    submit(page, lambda: page.locator("form button[type=submit]").last.click())
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert summary_links(page) == ["#id_email"]
    assert_no_serious_axe(page)


def test_failed_session_form_in_the_back_office_focuses_the_summary(conference, new_page):
    page = new_page()
    sign_in_staff(page, conference["organizer"].email)
    visit(page, f"/events/{conference['event'].slug}/manage/program/sessions/new/")
    submit(page, lambda: page.locator("#session-form button[type=submit]").click())
    assert page.evaluate("document.activeElement.id") == "error-summary"
    links = summary_links(page)
    assert links and all(page.locator(href).count() == 1 for href in links)
    assert page.evaluate(MISSING_DESCRIPTIONS) == []
    assert "required" in page.evaluate(DESCRIPTION, "id_title_en")
    assert_no_serious_axe(page)


def test_failed_talk_form_in_the_session_editor_focuses_its_summary(conference, new_page):
    page = new_page()
    sign_in_staff(page, conference["organizer"].email)
    session = conference["session"]
    visit(page, f"/events/{conference['event'].slug}/manage/program/sessions/{session.pk}/edit/")
    submit(page, lambda: page.locator("#new-talk button[type=submit]").click())
    assert page.evaluate("document.activeElement.id") == "error-summary"
    links = summary_links(page)
    assert links and all(page.locator(href).count() == 1 for href in links)
    assert "#id_new-talk-title_en" in links
    assert_no_serious_axe(page)


def tab_to(page, selector, limit=200):
    """Presses Tab until the element matching the selector has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector} on {page.url}")


def test_registering_and_booking_with_the_keyboard_alone(conference, new_page, live_server):
    event, session = conference["event"], conference["session"]
    page = new_page()
    visit(page, f"/events/{event.slug}/")
    tab_to(page, f"a[href='/events/{event.slug}/register/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/register/")
    tab_to(page, "#id_email")
    page.keyboard.type("kofi@example.org")
    tab_to(page, "#id_category")
    page.select_option("#id_category", label="Company")  # a select's own keys differ between systems
    tab_to(page, "#id_given_name")
    page.keyboard.type("Kofi")
    page.keyboard.press("Tab")
    page.keyboard.type("Mensah")
    tab_to(page, "#id_country")
    page.select_option("#id_country", "GH")
    tab_to(page, "#id_organization_name")
    page.keyboard.type("Accra Digital")
    tab_to(page, "#id_organization_type")
    page.select_option("#id_organization_type", "company")
    tab_to(page, "#id_position")
    page.keyboard.type("Director")
    tab_to(page, "#registration-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/register/done/")

    # A delegate books a seat from the session page with the keyboard.
    delegate = new_page()
    sign_in_participant(delegate, conference["delegate"], live_server.url)
    visit(delegate, f"/events/{event.slug}/program/sessions/{session.pk}/")
    tab_to(delegate, "button[data-action=seat]")
    delegate.keyboard.press("Enter")
    delegate.locator(".state-seat").wait_for()
    assert_no_serious_axe(delegate)


@pytest.mark.parametrize(
    "path, fill, link, error",
    [
        ("invitations/", {"#inv-max-uses": "0"}, "#inv-category", "#error-category"),
        ("tokens/", {"#token-name": "   "}, "#token-name", "#token-name-error"),
    ],
    ids=["invitation", "token"],
)
def test_failed_back_office_form_focuses_the_summary(conference, new_page, path, fill, link, error):
    page = new_page()
    sign_in_staff(page, conference["organizer"].email)
    visit(page, f"/events/{conference['event'].slug}/manage/{path}")
    for selector, value in fill.items():
        page.fill(selector, value)
    submit(page, lambda: page.locator(f"form:has({link}) button[type=submit]").click())
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert summary_links(page) == [link]
    page.locator(f"#error-summary a[href='{link}']").click()
    assert page.evaluate("document.activeElement.id") == link[1:]
    # The field is marked invalid and described by its error.
    assert page.locator(link).get_attribute("aria-invalid") == "true"
    assert page.locator(error).inner_text() in page.evaluate(DESCRIPTION, link[1:])
    assert page.evaluate(MISSING_DESCRIPTIONS) == []
    assert_no_serious_axe(page)
