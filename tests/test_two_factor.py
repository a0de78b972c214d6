"""Staff second factor: set it up, sign in with a code, turn it off; events that require it for their staff."""

import re
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from summit.core import two_factor
from summit.core.testing import PASSWORD
from summit.events.testing import make_staff

pytestmark = pytest.mark.django_db


class Codes:
    """The device's codes, one later time step each time (a code is accepted once)."""

    def __init__(self, device):
        self.device, self.step = device, 0

    def next(self) -> str:
        device = TOTPDevice.objects.get(pk=self.device.pk)
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
        totp.time = time.time() + self.step * device.step
        self.step += 1
        return f"{totp.token():0{device.digits}d}"


def enrol(client, user) -> Codes:
    client.force_login(user)
    assert client.post("/accounts/two-factor/", {"action": "start"}).status_code == 302
    page = client.get("/accounts/two-factor/")
    assert "<svg" in page.text and 'id="two-factor-secret"' in page.text
    # No inline script (the page runs under the Content-Security-Policy); static files only.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    codes = Codes(two_factor.pending_device(user))
    assert (
        client.post("/accounts/two-factor/", {"action": "confirm", "code": codes.next()}).status_code == 302
    )
    assert two_factor.confirmed_device(user) is not None
    return codes


def test_enrolment_needs_a_right_code(client, organizer):
    client.force_login(organizer)
    client.post("/accounts/two-factor/", {"action": "start"})
    wrong = client.post("/accounts/two-factor/", {"action": "confirm", "code": "000000"})
    assert wrong.status_code == 422 and 'id="id_code_errors"' in wrong.text
    assert two_factor.confirmed_device(organizer) is None
    codes = Codes(two_factor.pending_device(organizer))
    client.post("/accounts/two-factor/", {"action": "confirm", "code": codes.next()})
    assert "The second factor is on" in client.get("/accounts/two-factor/").text


def test_sign_in_asks_for_the_code_after_the_password(client, organizer, event):
    codes = enrol(client, organizer)
    client.logout()
    step = client.post("/accounts/login/", {"username": organizer.email, "password": PASSWORD})
    assert step.status_code == 302 and step["Location"] == "/accounts/login/code/"
    assert "_auth_user_id" not in client.session
    assert client.get(f"/events/{event.slug}/manage/participants/").status_code in (302, 404)
    wrong = client.post("/accounts/login/code/", {"code": "123456"})
    assert wrong.status_code == 422 and "_auth_user_id" not in client.session
    done = client.post("/accounts/login/code/", {"code": codes.next(), "next": "/events/wic/manage/"})
    assert done.status_code == 302 and done["Location"] == "/events/wic/manage/"
    assert client.session["_auth_user_id"] == str(organizer.pk)
    assert client.get(f"/events/{event.slug}/manage/participants/").status_code == 200


def test_without_a_device_the_password_signs_in(client, organizer):
    answer = client.post("/accounts/login/", {"username": organizer.email, "password": PASSWORD})
    assert answer.status_code == 302 and client.session["_auth_user_id"] == str(organizer.pk)


def test_turning_it_off_needs_a_code(client, organizer):
    codes = enrol(client, organizer)
    refused = client.post("/accounts/two-factor/", {"action": "disable", "code": "000000"})
    assert refused.status_code == 422 and two_factor.confirmed_device(organizer) is not None
    client.post("/accounts/two-factor/", {"action": "disable", "code": codes.next()})
    assert two_factor.confirmed_device(organizer) is None
    client.logout()
    client.post("/accounts/login/", {"username": organizer.email, "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(organizer.pk)


def test_code_attempts_are_limited(client, organizer):
    codes = enrol(client, organizer)
    client.logout()
    client.post("/accounts/login/", {"username": organizer.email, "password": PASSWORD})
    answers = [client.post("/accounts/login/code/", {"code": "000000"}).status_code for _ in range(6)]
    # Five codes per account in five minutes; the one that confirmed the device was the first.
    assert answers == [422] * 4 + [429] * 2
    # Even the right code waits now.
    assert client.post("/accounts/login/code/", {"code": codes.next()}).status_code == 429
    assert "_auth_user_id" not in client.session


def test_an_event_can_require_it_for_its_staff(client, event, organizer, officer, other_event):
    client.force_login(organizer)
    page = client.get(f"/events/{event.slug}/manage/security/")
    assert page.status_code == 200 and 'id="id_staff_two_factor"' in page.text
    client.post(f"/events/{event.slug}/manage/security/", {"staff_two_factor": "on"})
    event.refresh_from_db()
    assert event.staff_two_factor

    # The officer has no second factor: set it up first, then back to the page.
    client.force_login(officer)
    target = f"/events/{event.slug}/manage/participants/"
    sent = client.get(target)
    assert sent.status_code == 302 and sent["Location"].startswith("/accounts/two-factor/?next=")
    client.post("/accounts/two-factor/", {"action": "start", "next": target})
    codes = Codes(two_factor.pending_device(officer))
    back = client.post("/accounts/two-factor/", {"action": "confirm", "code": codes.next(), "next": target})
    assert back["Location"] == target
    assert client.get(target).status_code == 200

    # A new session that skipped the code (a device, not verified) is asked for a code.
    client.logout()
    client.force_login(officer)
    asked = client.get(target)
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/login/code/?next=")
    assert client.post("/accounts/login/code/", {"code": codes.next(), "next": target})["Location"] == target
    assert client.get(target).status_code == 200

    # Other events' back offices and public pages are not affected.
    other = make_staff(other_event, "organizer", "boss2@example.org")
    client.force_login(other)
    assert client.get(f"/events/{other_event.slug}/manage/participants/").status_code == 200
    assert client.get(f"/events/{event.slug}/").status_code == 200


def test_organizers_turn_the_requirement_off_again(client, event, organizer):
    enrol(client, organizer)
    client.post(f"/events/{event.slug}/manage/security/", {"staff_two_factor": "on"})
    client.post(f"/events/{event.slug}/manage/security/", {})
    event.refresh_from_db()
    assert not event.staff_two_factor
    assert re.search(r"no longer need", client.get(f"/events/{event.slug}/manage/security/").text)


def test_the_admin_sign_in_asks_for_the_code_too(client, settings):
    from summit.core.testing import make_user

    root = make_user("root@example.org", is_superuser=True, is_staff=True)
    codes = enrol(client, root)
    client.logout()
    sent = client.get("/admin/login/?next=/admin/")
    assert sent.status_code == 302 and sent["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    step = client.post("/admin/login/?next=/admin/", {"username": root.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session and step.status_code == 302
    client.post("/accounts/login/", {"username": root.email, "password": PASSWORD, "next": "/admin/"})
    assert "_auth_user_id" not in client.session
    done = client.post("/accounts/login/code/", {"code": codes.next()})
    assert done["Location"] == "/admin/" and client.get("/admin/").status_code == 200
