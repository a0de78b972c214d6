"""The demo program on a phone (390 px) in Debian's Chromium: a sticky bar jumps to each day, each day lists
its forums, forums fold so the page is a fraction of its unfolded height, everything works by keyboard, and
the viewer's own time names its zone like the event's, in full-width brackets in Chinese."""

import pytest
from django.core.management import call_command

from summit.events.models import Event
from summit.program.models import Session

from .conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def phone(chromium, live_server, **extra):
    context = chromium.new_context(base_url=live_server.url, **PHONE, **extra)
    context.set_default_timeout(15000)
    return context


def height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def test_the_phone_program_jumps_to_days_and_forums_and_folds(chromium, live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", stdout=open("/dev/null", "w"))
    event = Event.objects.get(slug="wic2027")
    assert Session.objects.filter(event=event).count() >= 40
    path = f"/events/{event.slug}/program/"

    # Without JavaScript every forum stays open: the long page the program used to be (about 11,000 px).
    plain = phone(chromium, live_server, java_script_enabled=False, locale="en-US")
    page = plain.new_page()
    page.goto(path)
    unfolded = height(page)
    plain.close()

    context = phone(chromium, live_server, locale="zh-CN", timezone_id="Europe/Berlin")
    page = context.new_page()
    page.goto(path)
    page.wait_for_load_state("load")
    folded = height(page)
    print(f"program page at 390 px: {unfolded} px unfolded, {folded} px folded")
    assert unfolded > 8000
    assert folded < unfolded * 0.4
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The day bar stays at the top while scrolling.
    days = page.locator("#program-jump a")
    assert days.count() == 3
    page.mouse.wheel(0, 1500)
    page.wait_for_timeout(200)
    assert abs(page.locator("#program-jump").bounding_box()["y"]) < 1

    # By keyboard: a day link, then one of that day's forums, which opens.
    second_day = days.nth(1)
    target = second_day.get_attribute("href")
    second_day.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"location.hash === '{target}'")
    heading = page.locator(f"{target} h2").bounding_box()
    assert 0 <= heading["y"] < 844 / 2
    forum_link = page.locator(f"{target} .forum-jump a").nth(2)
    forum = forum_link.get_attribute("href")
    assert page.evaluate(f"document.querySelector('{forum}').open") is False
    forum_link.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelector('{forum}').open === true")
    first_card = page.locator(f"{forum} .session-card").first
    assert first_card.is_visible()
    # A summary folds and unfolds with the keyboard too.
    summary = page.locator(f"{forum} > summary")
    summary.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelector('{forum}').open === false")

    # The viewer's own time (Berlin) names its zone the way the event's is named, brackets full-width.
    line = page.locator(f"{forum} .session-when").first.text_content()
    assert "中国标准时间（UTC+8）" in line
    your_time = page.locator(f"{forum} .your-time").first.text_content()
    assert "Europe/Berlin" not in your_time and "UTC+1" in your_time
    assert "(" not in line and ")" not in line, line
    context.close()
