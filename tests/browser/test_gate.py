"""The gate scanner on a phone, with the keyboard only (Debian's Chromium): a gate staff member signs in, checks
badges typed by hand with the server, then without a connection (the page verifies the Ed25519 signature
itself: WebCrypto, or the vendored library where WebCrypto lacks Ed25519), and the scans made offline reach
the server once the connection returns."""

import time

import pytest

from summit.core.testing import PASSWORD
from summit.entry.models import Scan
from summit.entry.testing import make_gate_staff, make_holder, token_of
from summit.events.testing import make_event
from summit.registration.testing import make_standard_categories

from .conftest import PHONE, assert_no_serious_axe

pytestmark = pytest.mark.django_db(transaction=True)


# Makes WebCrypto refuse Ed25519 keys, as browsers without it do.
WITHOUT_WEBCRYPTO_ED25519 = """
(() => {
  const importKey = SubtleCrypto.prototype.importKey;
  SubtleCrypto.prototype.importKey = function (format, key, algorithm, ...rest) {
    const name = typeof algorithm === "string" ? algorithm : algorithm && algorithm.name;
    if (name === "Ed25519") {
      return Promise.reject(new DOMException("Unrecognized name", "NotSupportedError"));
    }
    return importKey.call(this, format, key, algorithm, ...rest);
  };
})();
"""


@pytest.fixture
def gate(chromium, live_server):
    event = make_event("wic")
    categories = make_standard_categories(event)
    staff = make_gate_staff(event, event.zones.get(code="main"), email="gate@example.org")
    holders = [
        make_holder(event, categories["company"], given_name="伟", family_name="王"),
        make_holder(event, categories["company"], given_name="Lena", family_name="Hoffmann"),
        make_holder(event, categories["company"], given_name="Yusuf", family_name="Haddad"),
    ]
    contexts = []
    problems = []  # Content-Security-Policy violations and script errors, on every page

    def open_page(init_script: str = ""):
        context = chromium.new_context(base_url=live_server.url, locale="en-US", **PHONE)
        context.set_default_timeout(15000)
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto("/events/wic/gate/")
        page.wait_for_url("**/accounts/login/?next=**")
        page.fill("input[name=username]", staff.email)
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/events/wic/gate/main/")  # one zone: straight to its scanner
        page.wait_for_selector("#gate[data-package-loaded=true][data-verifier-ready=true]")
        return context, page

    yield {"open": open_page, "holders": holders}
    for context in contexts:
        context.close()
    assert not problems


def tab_to(page, element_id: str, limit: int = 40):
    """Tab from the top of the page until ``element_id`` has the focus, which must be visible."""
    page.locator("body").focus()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("", "none"), "the focus is not visible"
            return
    pytest.fail(f"Tab never reached #{element_id}")


def check_by_keyboard(page, token: str, state: str, mode: str):
    """Type the code in the focused field and press Enter; wait for the verdict."""
    assert page.evaluate("() => document.activeElement.id") == "gate-code"
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#gate-result[data-state={state}][data-mode={mode}]")
    assert page.evaluate("() => document.activeElement.id") == "gate-code"  # ready for the next badge
    assert page.input_value("#gate-code") == ""


def wait_for(condition, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def forged(token: str) -> str:
    return token[:-2] + ("AA" if token[-2:] != "AA" else "BB")


def test_gate_staff_check_badges_online_then_offline(gate):
    first, second, third = gate["holders"]
    context, page = gate["open"]()
    assert page.locator("#gate-network").inner_text() == "Online"
    assert_no_serious_axe(page)

    tab_to(page, "gate-code")
    check_by_keyboard(page, token_of(first), "admitted", "online")
    assert page.locator("#gate-verdict").inner_text() == "Admitted"
    assert page.locator("#gate-native").inner_text() == "王伟"
    assert page.locator("#gate-latin").inner_text() == "WANG Wei"
    assert page.locator("#gate-person").inner_text() == first.display_name == "王伟 (WANG Wei)"
    assert page.locator("#gate-category-name").is_visible()
    assert_no_serious_axe(page)  # white on green
    # The result is big: the verdict takes a good part of a phone's width.
    assert (
        page.evaluate("() => parseFloat(getComputedStyle(document.getElementById('gate-verdict')).fontSize)")
        >= 40
    )

    check_by_keyboard(page, token_of(first), "refused", "online")
    assert page.locator("#gate-verdict").inner_text() == "Refused"
    assert "Already inside" in page.locator("#gate-reason").inner_text()
    assert_no_serious_axe(page)  # white on red

    context.set_offline(True)
    page.wait_for_selector("#gate-network[data-state=offline]")
    check_by_keyboard(page, token_of(second), "admitted", "offline")
    assert page.locator("#gate").get_attribute("data-verifier") == "webcrypto"
    assert page.locator("#gate-person").inner_text() == second.display_name  # as the server shows it
    check_by_keyboard(page, token_of(second), "refused", "offline")
    assert "Already inside" in page.locator("#gate-reason").inner_text()
    assert page.locator("#gate-pending").inner_text() == "2"
    assert Scan.objects.filter(offline=True).count() == 0

    context.set_offline(False)
    wait_for(lambda: Scan.objects.filter(offline=True).count() == 2)
    page.wait_for_selector("#gate[data-pending='0']")
    assert list(
        Scan.objects.filter(offline=True).order_by("scanned_at").values_list("admitted", "reason")
    ) == [
        (True, ""),
        (False, "already_inside"),
    ]

    context.set_offline(True)
    page.wait_for_selector("#gate-network[data-state=offline]")
    check_by_keyboard(page, forged(token_of(third)), "refused", "offline")
    assert "Bad signature" in page.locator("#gate-reason").inner_text()
    assert page.locator("#gate-person").is_hidden()  # a forged badge names nobody
    context.set_offline(False)
    wait_for(lambda: Scan.objects.filter(offline=True).count() == 3)
    assert Scan.objects.filter(offline=True, reason="bad_signature", admitted=False).count() == 1


def test_without_webcrypto_ed25519_the_vendored_library_verifies(gate):
    first, second, _third = gate["holders"]
    context, page = gate["open"](WITHOUT_WEBCRYPTO_ED25519)
    context.set_offline(True)
    page.wait_for_selector("#gate-network[data-state=offline]")
    page.focus("#gate-code")
    check_by_keyboard(page, token_of(first), "admitted", "offline")
    assert page.locator("#gate").get_attribute("data-verifier") == "noble"
    check_by_keyboard(page, forged(token_of(second)), "refused", "offline")
    assert "Bad signature" in page.locator("#gate-reason").inner_text()
    # Exits are recorded too; a typed code with spaces and small letters reads the same.
    page.check("input[name=direction][value=out]")
    page.focus("#gate-code")
    spaced = " ".join(token_of(first)[i : i + 4] for i in range(0, 122, 4)).lower()
    check_by_keyboard(page, spaced, "admitted", "offline")
    assert page.locator("#gate-verdict").inner_text() == "Exit recorded"
    assert page.locator("#gate-pending").inner_text() == "3"
    context.set_offline(False)
    wait_for(lambda: Scan.objects.filter(offline=True).count() == 3)
