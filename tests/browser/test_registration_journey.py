"""Journeys through the real pages in Debian's Chromium."""

import re

import pytest
from django.core import mail

from summit.core.testing import PASSWORD, PDF_BYTES
from summit.events.testing import make_event, make_staff
from summit.registration.models import Participant
from summit.registration.testing import make_invitation, make_standard_categories

from .conftest import assert_no_serious_axe

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
    assert_no_serious_axe(page)
    page.get_by_role("link", name="报名").first.click()
    page.wait_for_load_state()
    assert_no_serious_axe(page)
    page.select_option("#id_category", str(categories["company"].pk))
    fill_person(page, email="wang.wei@example.cn", given="伟", family="王", country="CN")
    page.select_option("#id_name_order", "family_first")
    page.fill("#id_organization_name", "乌镇科技有限公司")
    page.get_by_role("button", name="提交报名").click()
    page.wait_for_url("**/register/done/")
    assert "wang.wei@example.cn" in page.locator("#done-mail").inner_text()
    assert_no_serious_axe(page)
    p = Participant.objects.get(email="wang.wei@example.cn")
    assert p.status == "submitted" and "已提交" in mail.outbox[-1].body
    assert (p.family_name_latin, p.given_name_latin, p.language) == ("Wang", "Wei", "zh-hans")
    assert "报名" in mail.outbox[-1].subject
    # The page fits a phone screen: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_journalist_invited_registered_approved_and_signed_in(wic, new_page, live_server, tmp_path):
    event, categories = wic
    make_invitation(event, categories["media"], code="PRESS2027", max_uses=50)
    make_staff(event, "accreditation_officer", "officer@example.org")
    card = tmp_path / "press-card.pdf"
    card.write_bytes(PDF_BYTES)

    # 1. The journalist opens the invitation link and registers with a press card.
    page = new_page()
    page.goto(f"/events/{event.slug}/register/?code=PRESS2027")
    assert "You were invited as: Media" in page.content()
    assert_no_serious_axe(page)
    fill_person(page, email="marie@lemonde.example", given="Marie", family="Dupont", country="FR")
    page.fill("#id_outlet", "Le Monde")
    page.fill("#id_press_card_number", "FR-2027-118")
    page.set_input_files("#id_press_card_file", str(card))
    page.get_by_role("button", name="Submit registration").click()
    page.wait_for_url("**/register/done/")
    assert "marie@lemonde.example" in page.locator("#done-mail").inner_text()
    assert_no_serious_axe(page)
    journalist = Participant.objects.get(email="marie@lemonde.example")
    assert journalist.category.code == "media" and journalist.press_card_file

    # 2. The accreditation officer signs in, finds her in the list and approves.
    officer = new_page()
    officer.goto("/accounts/login/")
    assert_no_serious_axe(officer)
    officer.fill("#id_username", "officer@example.org")
    officer.fill("#id_password", PASSWORD)
    officer.get_by_role("button", name="Sign in").click()
    officer.goto(f"/events/{event.slug}/manage/participants/?q=dupont")
    assert_no_serious_axe(officer)
    officer.get_by_role("link", name=re.compile("Marie Dupont")).click()
    assert "Le Monde" in officer.content()
    assert_no_serious_axe(officer)
    officer.select_option("#decide-action", "approved")
    officer.fill("#decide-reason", "Press card verified")
    officer.get_by_role("button", name="Save decision").click()
    officer.wait_for_load_state()
    assert "Press card verified" in officer.content()  # the audit log on the participant page
    assert_no_serious_axe(officer)
    journalist.refresh_from_db()
    assert journalist.status == "approved"

    # 3. The journalist opens the link from the decision e-mail and sees "approved".
    decision_mail = next(m for m in reversed(mail.outbox) if m.to == ["marie@lemonde.example"])
    assert "Approved" in decision_mail.subject
    page.goto(magic_link_in(decision_mail))
    assert_no_serious_axe(page)
    page.locator("#magic-signin").click()
    page.wait_for_url(f"**/events/{event.slug}/me/")
    assert page.locator("#status").inner_text() == "Approved"
    assert_no_serious_axe(page)


def test_an_arabic_name_asks_for_the_passport_spelling(wic, new_page, live_server):
    event, categories = wic
    page = new_page()
    page.goto(f"/events/{event.slug}/register/")
    hint = page.locator("#latin-needed")
    assert hint.is_hidden()
    page.select_option("#id_category", str(categories["company"].pk))
    fill_person(page, email="abdulrazzaq@example.ae", given="عبد الرزاق", family="بنو سعد", country="AE")
    # Typing the name reveals why the Latin fields are needed and marks them.
    assert hint.is_visible()
    assert (
        page.locator('[data-field="family_name_latin"]').get_attribute("class").split().count("required") == 1
    )
    page.fill("#id_organization_name", "Example Company")
    page.get_by_role("button", name="Submit registration").click()
    # The server's rule: no invented spelling, a field error that says why.
    assert "Arabic script" in page.locator('[data-field="given_name_latin"] .errorlist').inner_text()
    assert not Participant.objects.filter(email="abdulrazzaq@example.ae").exists()
    page.fill("#id_given_name_latin", "Abdulrazzaq")
    page.fill("#id_family_name_latin", "Bani Saad")
    page.get_by_role("button", name="Submit registration").click()
    page.wait_for_url("**/register/done/")
    p = Participant.objects.get(email="abdulrazzaq@example.ae")
    assert (p.given_name_latin, p.family_name_latin, p.latin_given) == ("Abdulrazzaq", "Bani Saad", True)
    # A Latin name clears the mark.
    page.goto(f"/events/{event.slug}/register/")
    page.fill("#id_given_name", "Lena")
    assert page.locator("#latin-needed").is_hidden()
