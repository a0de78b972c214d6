"""The second factor of staff accounts: a TOTP device (django-otp) per user, set up and removed here.

A user turns it on in two steps: :func:`start_enrollment` creates an unconfirmed device (its secret is shown
as a QR code and as text), :func:`confirm_enrollment` confirms it with a first code. From then on the
password form asks for a code (``core/signin_views.py``), and turning it off (:func:`disable`) needs a code
too. Code attempts are rate-limited by the pages (``RATE_LIMITS["otp"]``, core/ratelimit.py).
"""

from __future__ import annotations

import base64

import segno
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from summit.core import audit
from summit.core.errors import Conflict, ValidationFailed
from summit.core.locking import write_transaction

DEVICE_NAME = "Summit"


def confirmed_device(user) -> TOTPDevice | None:
    if user is None or not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def can_use(user) -> bool:
    """Accounts that sign in with a password (staff) can use a second factor; link-only accounts cannot."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_usable_password()


def start_enrollment(*, user) -> TOTPDevice:
    """A new unconfirmed device with a fresh secret (replacing an unconfirmed one)."""
    if confirmed_device(user) is not None:
        raise Conflict(_("The second factor is already on."), code="two_factor_on")
    with write_transaction():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def _check(device: TOTPDevice | None, code: str) -> None:
    code = "".join((code or "").split())
    if device is None or not (code.isascii() and code.isdigit() and len(code) == device.digits):
        raise ValidationFailed(_("Enter the 6-digit code from your app."), code="otp_invalid", field="code")
    if not device.verify_token(code):
        raise ValidationFailed(
            _("This code is not right. Check your phone's time and try the current code."),
            code="otp_invalid",
            field="code",
        )


def confirm_enrollment(*, user, code: str) -> TOTPDevice:
    with write_transaction():
        device = pending_device(user)
        if device is None:
            raise Conflict(_("Start setting up the second factor first."), code="two_factor_not_started")
        _check(device, code)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(actor=user, action="two_factor.enabled", obj=user, event=None)
    return device


def verify(*, user, code: str) -> TOTPDevice:
    """The user's confirmed device if ``code`` is right now; a field error otherwise."""
    with write_transaction():
        device = confirmed_device(user)
        _check(device, code)
    return device


def disable(*, user, code: str, actor=None) -> None:
    with write_transaction():
        _check(confirmed_device(user), code)
        TOTPDevice.objects.filter(user=user).delete()
        audit.record(actor=actor or user, action="two_factor.disabled", obj=user, event=None)


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32 groups of four, for typing into an app by hand."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (no script, no external file)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, title=_("QR code"))
