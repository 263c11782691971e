"""The second step of staff sign-in: a code from an authenticator app (TOTP, django-otp).

A counselor signs in with their password first. With `STAFF_TWO_FACTOR` on, the dashboard
then asks for the six-digit code from their app; the first time, it shows the QR code that
adds the account to the app and checks a code before the app counts as set up.
"""

from base64 import b32encode

import segno
from django.conf import settings
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

APP_NAME = "Authenticator app"


def needs_second_step(request) -> bool:
    """Signed in with a password, but not yet with a code, where codes are required."""
    return (
        settings.STAFF_TWO_FACTOR
        and request.user.is_authenticated
        and not request.user.is_verified()
    )


def authenticator_for(user) -> TOTPDevice:
    """The user's authenticator app: the confirmed one, or one still being set up."""
    confirmed = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    if confirmed is not None:
        return confirmed
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=False, name=APP_NAME)
    return device


def qr_code_svg(device: TOTPDevice) -> str:
    """The QR code that adds the account to an authenticator app, as inline SVG."""
    # Sized by the page through its viewBox, with the four-module quiet zone scanners need.
    return segno.make(device.config_url, error="m").svg_inline(border=4, omitsize=True)


def readable_key(device: TOTPDevice) -> str:
    """The secret in the base32 form apps accept when typed in, in groups of four."""
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def check_code(request, device: TOTPDevice, code: str) -> str:
    """Verify `code`; on success mark this session as signed in with the app and return "",
    otherwise return what to tell the user."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        # Each wrong code doubles the wait before the next try (django-otp's throttling).
        return "Wait a few seconds after a wrong code, then try the newest one."
    if not device.verify_token(code.replace(" ", "")):
        return "That code did not match. Codes change every 30 seconds: try the newest one."
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    otp_login(request, device)
    return ""
