"""A live room in Debian's Chromium, served the way ``make run`` serves it (one uvicorn process, the
in-process hub): two participants and a moderator on their own browser contexts, and the room display.

A asks (by keyboard, on a phone), the moderator sees it waiting and approves it, B sees it within 2 s, B
upvotes it and the order changes on the room display; A's network is cut, things happen meanwhile, and
when it comes back A's page shows them all, once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from summit.events.testing import make_event
from summit.live.models import ChatMessage, Question
from summit.live.testing import make_room
from summit.program.testing import make_session
from summit.registration.testing import make_delegate, make_standard_categories

from .conftest import assert_no_serious_axe, sign_in_participant

pytestmark = pytest.mark.django_db(transaction=True)

ASKED = "How will small firms reach public data?"


def open_room(page, room, path=""):
    page.goto(f"/events/{room.event.slug}/sessions/{room.pk}/live/{path}")
    expect(page.locator("#live-room")).to_have_attribute("data-connection", "live")


def question(page, text):
    return page.locator("#questions > li", has_text=text)


def test_ask_approve_upvote_and_resume_across_two_people_and_the_room_display(asgi_site):
    event = make_event("wic")
    categories = make_standard_categories(event)
    session = make_session(event, title_en="Data for everyone", title_zh="人人共享数据")
    room = make_room(event, session=session, qa_moderated=True)
    ann = make_delegate(event, categories["company"], given_name="Ann", family_name="Lee", language="en")
    bo = make_delegate(
        event,
        categories["research"],
        given_name="博",
        family_name="王",
        given_name_latin="Bo",
        family_name_latin="Wang",
        language="zh-hans",
    )
    mo = make_delegate(event, categories["company"], given_name="Mo", family_name="Khan")
    room.forum.moderators.add(mo)
    Question.objects.create(session=room, author=mo, text="Seed question", status=Question.VISIBLE)

    a = asgi_site(mobile=True)
    sign_in_participant(a, ann, asgi_site.url)
    open_room(a, room)
    assert_no_serious_axe(a)
    b = asgi_site(locale="zh-CN")
    sign_in_participant(b, bo, asgi_site.url)
    open_room(b, room)
    assert_no_serious_axe(b)
    m = asgi_site()
    sign_in_participant(m, mo, asgi_site.url)
    open_room(m, room)
    assert_no_serious_axe(m)
    display = m.context.new_page()
    open_room(display, room, "display/")
    assert_no_serious_axe(display)

    # A asks with the keyboard alone: into the question box, past the anonymity box, onto "Ask".
    a.locator("#question-text").focus()
    a.keyboard.type(ASKED)
    a.keyboard.press("Tab")
    expect(a.locator("#question-anonymous")).to_be_focused()
    a.keyboard.press("Tab")
    a.keyboard.press("Enter")
    expect(a.locator("#live-feedback")).to_contain_text("once a moderator approves it")

    # The moderator sees it waiting within 2 s; B does not, until it is approved.
    expect(question(m, ASKED)).to_contain_text("Waiting for approval", timeout=2000)
    expect(question(b, ASKED)).to_have_count(0)
    question(m, ASKED).get_by_role("button", name="Approve").click()
    expect(question(b, ASKED)).to_be_visible(timeout=2000)
    expect(question(b, ASKED)).to_contain_text(ann.display_name)

    # The display lists the older question first; B's upvote puts A's question on top.
    expect(display.locator("#questions > li .question-text")).to_have_text(["Seed question", ASKED])
    question(b, ASKED).locator("[data-vote]").click()
    expect(question(b, ASKED).locator("[data-vote]")).to_have_attribute("aria-pressed", "true")
    expect(display.locator("#questions > li .question-text")).to_have_text(
        [ASKED, "Seed question"], timeout=2000
    )
    expect(question(a, ASKED).locator("[data-votes]")).to_have_text("1", timeout=2000)

    # A's network goes away; meanwhile B chats and the moderator pins the seed question.
    a.context.set_offline(True)
    expect(a.locator("#live-room")).to_have_attribute("data-connection", "reconnecting", timeout=10000)
    b.locator("#chat-text").fill("<b>来自杭州的问候</b>")
    b.locator("#chat-text").press("Enter")
    expect(b.locator("#chat > li")).to_have_count(1, timeout=2000)
    question(m, "Seed question").get_by_role("button", name="Pin").click()
    expect(display.locator("#questions > li .question-text").first).to_have_text(
        "Seed question", timeout=2000
    )

    # Still cut off: nothing reached A (its page keeps trying, the network refuses).
    expect(a.locator("#live-room")).to_have_attribute("data-connection", "reconnecting")
    expect(a.locator("#chat > li")).to_have_count(0)
    a.context.set_offline(False)
    expect(a.locator("#live-room")).to_have_attribute("data-connection", "live", timeout=15000)
    expect(a.locator("#chat > li")).to_have_count(1, timeout=2000)
    expect(a.locator("#chat > li .chat-text")).to_have_text("<b>来自杭州的问候</b>")  # text, not markup
    expect(question(a, "Seed question")).to_contain_text(re.compile("Pinned"))
    expect(a.locator("#questions > li .question-text")).to_have_text(["Seed question", ASKED])
    assert ChatMessage.objects.count() == 1
    assert_no_serious_axe(a)

    # B's own message has nothing to report; A may report it.
    expect(b.locator("#chat > li [data-report]")).to_have_count(0)
    expect(a.locator("#chat > li [data-report]")).to_have_count(1)

    # The moderator corrects A's question in place, with the keyboard; every page shows the correction.
    corrected = "How will small firms reach open public data?"
    question(m, ASKED).get_by_role("button", name="Correct the text").click()
    field = m.get_by_role("textbox", name="Correct the question")
    expect(field).to_be_focused()
    expect(field).to_have_value(ASKED)
    assert_no_serious_axe(m)
    field.fill(corrected)
    m.keyboard.press("Tab")
    m.keyboard.press("Enter")
    expect(display.locator("#questions > li .question-text").last).to_have_text(corrected, timeout=2000)
    expect(question(a, corrected)).to_contain_text("corrected by a moderator", timeout=2000)
    expect(question(m, corrected).get_by_role("button", name="Correct the text")).to_be_focused()
    # Escape leaves the text as it was.
    question(m, corrected).get_by_role("button", name="Correct the text").press("Enter")
    expect(field).to_be_focused()
    m.keyboard.type(" and more")
    m.keyboard.press("Escape")
    expect(question(m, corrected).locator(".question-text")).to_have_text(corrected)
    assert Question.objects.get(text=corrected).author == ann

    # A question's moderation buttons are one Tab stop; the arrow keys, Home and End move between them.
    seed = question(m, "Seed question")
    seed.locator("[data-vote]").focus()
    m.keyboard.press("Tab")
    expect(seed.get_by_role("button", name="Unpin")).to_be_focused()
    m.keyboard.press("ArrowRight")
    expect(seed.get_by_role("button", name="Mark answered")).to_be_focused()
    m.keyboard.press("End")
    expect(seed.get_by_role("button", name="Hide")).to_be_focused()
    m.keyboard.press("Home")
    expect(seed.get_by_role("button", name="Unpin")).to_be_focused()
    m.keyboard.press("Tab")
    expect(question(m, corrected).locator("[data-vote]")).to_be_focused()
    expect(m.get_by_role("toolbar", name=re.compile("Moderate the question: Seed question"))).to_have_count(1)


def test_a_moderator_prepares_a_poll_of_six_answers_with_the_keyboard(asgi_site):
    event = make_event("wic")
    categories = make_standard_categories(event)
    room = make_room(event)
    mo = make_delegate(event, categories["company"], given_name="Mo", family_name="Khan")
    room.forum.moderators.add(mo)
    m = asgi_site(mobile=True)
    sign_in_participant(m, mo, asgi_site.url)
    open_room(m, room)
    m.get_by_text("Prepare a poll").click()
    rows = m.locator(".poll-option-row:visible")
    expect(rows).to_have_count(4)
    m.locator("#poll-question-en").fill("Which city next?")
    for i, city in enumerate(["Wuzhen", "Hangzhou", "Beijing", "Shenzhen", "Chengdu", "Xi'an"], start=1):
        if i > 4:
            m.get_by_role("button", name="Add an answer").press("Enter")
            expect(m.locator(f"#option-en-{i}")).to_be_focused()
        m.locator(f"#option-en-{i}").fill(city)
    expect(rows).to_have_count(6)
    assert_no_serious_axe(m)
    m.get_by_role("button", name="Prepare the poll").click()
    poll = m.locator("#polls form", has_text="Which city next?")
    expect(poll.locator(".poll-option")).to_have_count(6, timeout=2000)
    expect(rows).to_have_count(4)  # the form is ready for the next poll
