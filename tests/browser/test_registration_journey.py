"""Journeys through the real pages in Debian's Chromium."""

import re

import pytest
from django.core import mail

from summit.core.testing import (
    make_event,
    make_standard_categories,
)
from summit.registration.models import Participant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wic(db):
    event = make_event("wic")
    categories = make_standard_categories(event)
    return event, categories


def magic_link_in(message) -> str:
    return re.search(r"https?://\S+/signin/\S+/", message.body).group(0)


def fill_person(page, *, email, given, family, country="FR", latin=None):
    page.fill("#id_email", email)
    page.fill("#id_given_name", given)
    page.fill("#id_family_name", family)
    if latin:
        page.fill("#id_given_name_latin", latin[0])
        page.fill("#id_family_name_latin", latin[1])
    page.select_option("#id_country", country)


def test_registration_in_chinese_on_a_phone(wic, new_page, live_server):
    event, categories = wic
    page = new_page(locale="zh-CN", mobile=True)
    page.goto(f"/events/{event.slug}/")
    assert "世界互联网大会" in page.locator("h1").inner_text()
    page.get_by_role("link", name="报名").first.click()
    page.select_option("#id_category", str(categories["company"].pk))
    fill_person(page, email="wang.wei@example.cn", given="伟", family="王", country="CN")
    page.select_option("#id_name_order", "family_first")
    page.fill("#id_organization_name", "乌镇科技有限公司")
    page.get_by_role("button", name="提交报名").click()
    page.wait_for_url("**/register/done/")
    assert page.locator("#status").inner_text() == "已提交"
    p = Participant.objects.get(email="wang.wei@example.cn")
    assert (p.family_name_latin, p.given_name_latin, p.language) == ("Wang", "Wei", "zh-hans")
    assert "报名" in mail.outbox[-1].subject
    # The page fits a phone screen: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
