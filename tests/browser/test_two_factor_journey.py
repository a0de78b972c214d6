"""A staff member of an event that requires a second factor, on a phone and with the keyboard only."""

import base64
import time

import pytest
from django_otp.oath import TOTP

from summit.core.testing import PASSWORD
from summit.events.testing import make_event, make_staff

pytestmark = pytest.mark.django_db(transaction=True)


def code_for(secret_text: str, steps_ahead: int = 0) -> str:
    raw = secret_text.replace(" ", "")
    key = base64.b32decode(raw + "=" * (-len(raw) % 8))
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def test_officer_sets_up_and_uses_the_second_factor_by_keyboard_on_a_phone(new_page, live_server):
    event = make_event("wic", staff_two_factor=True)
    make_staff(event, "accreditation_officer", "officer@example.org")
    page = new_page(mobile=True)
    back_office = f"/events/{event.slug}/manage/participants/"

    page.goto(f"/accounts/login/?next={back_office}")
    page.focus("#id_username")
    page.keyboard.type("officer@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    # Signed in, but the event wants a second factor first.
    page.wait_for_url("**/accounts/two-factor/?next=*")
    page.focus("#two-factor-start")
    page.keyboard.press("Enter")
    page.wait_for_selector("#two-factor-secret")
    assert page.locator(".qr svg").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    secret = page.locator("#two-factor-secret").inner_text()
    page.focus("#id_code")
    page.keyboard.type(code_for(secret))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{back_office}")

    # The next sign-in asks for a code after the password.
    page.goto("/")
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"/accounts/login/?next={back_office}")
    page.fill("#id_username", "officer@example.org")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts/login/code/")
    assert page.evaluate("document.activeElement.id") == "id_code"
    page.keyboard.type(code_for(secret, 1))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{back_office}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
