"""Entry in Debian's Chromium: a journalist uploads a test on a phone, an entry officer accepts it, the badge
QR appears, and a gate without network admits it once and refuses it the second time, then uploads both
scans when the network returns; and the entry pages have no serious axe finding in English and Chinese, on a laptop and a phone."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from summit.core.testing import PDF_BYTES
from summit.entry.models import Proof, Scan
from summit.entry.testing import (
    make_entry_officer,
    make_gate_staff,
    make_holder,
    make_proof,
    make_rule,
    stored_proof,
)
from summit.events.testing import make_event, make_staff
from summit.registration.testing import make_standard_categories

from .conftest import assert_no_serious_axe, sign_in_participant, sign_in_staff

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = {"en": "en-US", "zh-hans": "zh-CN"}


@pytest.fixture
def entry_world(db):
    event = make_event("wic")
    categories = make_standard_categories(event)
    make_rule(event, kinds=("test", "pcr"), category=categories["media"])
    journalist = make_holder(
        event, categories["media"], given_name="Анна", family_name="Иванова", language="zh-hans"
    )
    officer = make_entry_officer(event, "entry@example.org")
    organizer = make_staff(event, "organizer", "organizer@example.org")
    gate = make_gate_staff(event, event.zones.get(code="main"), email="gate@example.org")
    return {
        "gate": gate,
        "event": event,
        "journalist": journalist,
        "officer": officer,
        "organizer": organizer,
        "categories": categories,
    }


def test_a_journalist_uploads_a_test_the_officer_accepts_it_and_the_badge_appears(
    entry_world, new_page, live_server, tmp_path
):
    event, journalist = entry_world["event"], entry_world["journalist"]
    document = tmp_path / "test.pdf"
    document.write_bytes(PDF_BYTES)

    # 1. The journalist, in Chinese on a phone, sees what is missing and uploads a test by keyboard.
    phone = new_page(locale="zh-CN", mobile=True)
    sign_in_participant(phone, journalist, live_server.url)
    phone.goto(f"/events/{event.slug}/entry/")
    assert "仍缺少" in phone.locator("#entry-missing").inner_text()
    assert_no_serious_axe(phone)
    phone.select_option("#id_kind", "test")
    phone.fill("#id_taken_date", (timezone.localdate() - timedelta(days=1)).isoformat())
    phone.fill("#id_taken_time", "08:15")
    phone.select_option("#id_time_zone", "Asia/Shanghai")
    phone.set_input_files("#id_file", str(document))
    with phone.expect_navigation():
        phone.locator("#upload-proof").press("Enter")
    assert "等待审核" in phone.locator("#entry-status").inner_text()
    assert_no_serious_axe(phone)
    proof = Proof.objects.get()
    assert proof.status == Proof.PENDING and proof.file_name

    # 2. The entry officer, on a laptop, opens the queue and accepts it.
    desk = new_page()
    sign_in_staff(desk, entry_world["officer"].email)
    desk.goto(f"/events/{event.slug}/manage/entry/review/")
    assert "Иванова Анна" in desk.locator(f"#review-{proof.pk}").inner_text()
    assert_no_serious_axe(desk)
    with desk.expect_navigation():
        desk.locator(f"#accept-{proof.pk}").click()
    assert desk.locator("#review-empty").is_visible()
    proof.refresh_from_db()
    assert proof.status == Proof.ACCEPTED and proof.reviewer == entry_world["officer"]

    # 3. The badge QR now shows on the journalist's phone, with the entry's limit.
    phone.goto(f"/events/{event.slug}/entry/")
    assert phone.locator("#entry-valid").is_visible()
    phone.locator("#show-badge").click()
    phone.wait_for_url("**/entry/badge/")
    assert phone.locator(".badge-qr svg").is_visible()
    assert "Иванова Анна" in phone.locator(".badge-name").inner_text()
    assert "入场资格有效至" in phone.locator("#badge-valid").inner_text()
    assert_no_serious_axe(phone)
    phone.locator("details summary").click()
    typed = phone.locator("#badge-token").inner_text()
    token = typed.replace(" ", "")
    assert token.startswith("S1") and len(token) == 122

    # 4. At the gate, the network is down: the scanner decides with its offline package. The code typed by
    #    hand from the phone is admitted, the second scan is "already inside", and both reach the server
    #    once the network returns.
    tablet = new_page(mobile=True)
    sign_in_staff(tablet, entry_world["gate"].email)
    tablet.goto(f"/events/{event.slug}/gate/main/")
    tablet.wait_for_selector("#gate[data-package-loaded=true][data-verifier-ready=true]")
    tablet.context.set_offline(True)
    tablet.wait_for_selector("#gate-network[data-state=offline]")
    for state in ("admitted", "refused"):
        tablet.fill("#gate-code", typed)
        tablet.locator("#gate-code").press("Enter")
        tablet.wait_for_selector(f"#gate-result[data-state={state}][data-mode=offline]")
    assert "Already inside" in tablet.locator("#gate-reason").inner_text()
    assert_no_serious_axe(tablet)
    assert not Scan.objects.exists()
    tablet.context.set_offline(False)
    deadline = time.monotonic() + 20
    while Scan.objects.filter(offline=True).count() < 2:
        assert time.monotonic() < deadline, "the offline scans did not reach the server"
        time.sleep(0.2)
    scans = list(
        Scan.objects.order_by("scanned_at", "pk").values_list("participant_id", "admitted", "reason")
    )
    assert scans == [(journalist.pk, True, ""), (journalist.pk, False, "already_inside")]


def test_the_badge_page_shows_offline_once_opened(entry_world, new_page, live_server):
    event, journalist = entry_world["event"], entry_world["journalist"]
    make_proof(journalist, kind="test")
    phone = new_page(mobile=True)
    sign_in_participant(phone, journalist, live_server.url)
    phone.goto(f"/events/{event.slug}/entry/badge/")
    phone.evaluate("() => navigator.serviceWorker.ready")
    phone.reload()  # the service worker now controls the page and keeps a copy
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null")
    phone.reload()
    phone.context.set_offline(True)
    phone.reload()
    assert phone.locator(".badge-qr svg").is_visible()
    phone.context.set_offline(False)


@pytest.mark.parametrize("mobile", [False, True], ids=["laptop", "phone"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_entry_pages_have_no_serious_axe_findings(entry_world, new_page, live_server, language, mobile):
    event, journalist = entry_world["event"], entry_world["journalist"]
    make_proof(journalist, kind="test", taken_at=timezone.now() - timedelta(days=2))
    stored_proof(journalist, kind="pcr")
    slug = event.slug
    expected = "zh-Hans" if language == "zh-hans" else "en"
    findings = []

    def check(page, path):
        response = page.goto(path)
        assert response.status == 200, path
        assert page.locator("html").get_attribute("lang") == expected
        try:
            assert_no_serious_axe(page)
        except pytest.fail.Exception as failed:
            findings.append(f"{path}: {failed}")

    person = new_page(locale=LANGUAGES[language], mobile=mobile)
    sign_in_participant(person, journalist, live_server.url)
    for path in (f"/events/{slug}/entry/", f"/events/{slug}/entry/badge/"):
        check(person, path)
    officer = new_page(locale=LANGUAGES[language], mobile=mobile)
    sign_in_staff(officer, entry_world["officer"].email)
    check(officer, f"/events/{slug}/manage/entry/review/")
    organizer = new_page(locale=LANGUAGES[language], mobile=mobile)
    sign_in_staff(organizer, entry_world["organizer"].email)
    for path in (f"/events/{slug}/manage/entry/", f"/events/{slug}/manage/entry/badges/"):
        check(organizer, path)
    if findings:
        pytest.fail("\n\n".join(findings), pytrace=False)


def test_entry_pages_pass_the_content_security_policy(entry_world, new_page, live_server):
    from .test_content_security_policy import Watch

    event, journalist = entry_world["event"], entry_world["journalist"]
    make_proof(journalist, kind="test")
    person = new_page(mobile=True)
    watch = Watch(person)
    sign_in_participant(person, journalist, live_server.url)
    for path in (f"/events/{event.slug}/entry/", f"/events/{event.slug}/entry/badge/"):
        watch.visit(path)
    # The time zone list starts at the browser's own zone (summit.js), and the badge page's worker registers.
    watch.visit(f"/events/{event.slug}/entry/")
    assert person.input_value("#id_time_zone") == person.evaluate(
        "Intl.DateTimeFormat().resolvedOptions().timeZone"
    )
    person.evaluate("() => navigator.serviceWorker.ready")
    watch.assert_clean("participant")
    staff = new_page()
    watch = Watch(staff)
    sign_in_staff(staff, entry_world["organizer"].email)
    for path in ("", "badges/"):
        watch.visit(f"/events/{event.slug}/manage/entry/{path}")
    watch.assert_clean("organizer")
