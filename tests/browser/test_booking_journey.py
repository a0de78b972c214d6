"""Seat booking through the real pages in Debian's Chromium: book, fill, waitlist, cancel, promotion."""

import pytest
from django.core import mail

from summit.events.testing import make_event
from summit.program.models import Booking
from summit.program.testing import make_forum, make_session
from summit.registration.services import issue_magic_link
from summit.registration.testing import make_delegate, make_standard_categories

from .conftest import assert_no_serious_axe

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, participant, base_url):
    page.goto(issue_magic_link(participant=participant, base_url=base_url))
    assert_no_serious_axe(page)
    page.locator("#magic-signin").click()
    page.wait_for_url(f"**/events/{participant.event.slug}/me/")
    assert_no_serious_axe(page)


def test_delegate_books_last_seat_second_waits_first_cancels_second_is_promoted(new_page, live_server):
    event = make_event("wic")
    categories = make_standard_categories(event)
    forum = make_forum(event, title_en="AI and ethics", title_zh="人工智能与伦理")
    session = make_session(
        event, forum, title_en="Governing frontier AI", title_zh="前沿人工智能治理", capacity=1, online=True
    )
    first = make_delegate(
        event, categories["company"], given_name="Amina", family_name="Diallo", language="en"
    )
    second = make_delegate(
        event, categories["research"], given_name="伟", family_name="王", language="zh-hans"
    )

    # 1. The first delegate finds the session in the program on a laptop and books the only seat.
    page = new_page()
    sign_in(page, first, live_server.url)
    page.goto(f"/events/{event.slug}/program/")
    assert "1 of 1 seats free" in page.locator(f"#session-{session.pk}").inner_text()
    assert_no_serious_axe(page)
    page.get_by_role("link", name="Governing frontier AI").click()
    page.wait_for_load_state()
    assert_no_serious_axe(page)
    page.locator("button[data-action=seat]").click()
    page.wait_for_load_state()
    assert page.locator(".state-seat").is_visible()
    assert_no_serious_axe(page)
    assert Booking.objects.get(participant=first, session=session).status == "booked"

    # 2. The second delegate, in Chinese on a phone, finds it full: the page offers the waitlist and online.
    phone = new_page(locale="zh-CN", mobile=True)
    sign_in(phone, second, live_server.url)
    phone.goto(f"/events/{event.slug}/program/sessions/{session.pk}/")
    assert "前沿人工智能治理" in phone.locator("h1").inner_text()
    assert phone.locator("button[data-action=seat]").count() == 0
    assert phone.locator("button[data-action=online]").is_visible()
    assert_no_serious_axe(phone)
    phone.locator("button[data-action=waitlist]").click()
    phone.wait_for_load_state()
    assert phone.locator(".state-waitlist").is_visible()
    assert_no_serious_axe(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # 3. The first delegate cancels from their agenda.
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/events/{event.slug}/agenda/")
    assert_no_serious_axe(page)
    page.locator("button[data-action=cancel]").click()
    page.wait_for_load_state()
    assert Booking.objects.get(participant=first, session=session).status == "cancelled"

    # 4. The second delegate's agenda shows the seat, moved up from the waitlist, and they got an e-mail.
    phone.goto(f"/events/{event.slug}/agenda/")
    assert phone.locator(".state-seat").is_visible()
    assert phone.locator(".state-promoted").is_visible()
    assert_no_serious_axe(phone)
    assert "前沿人工智能治理" in phone.locator("main").inner_text()
    assert any(m.to == [second.email] for m in mail.outbox)
