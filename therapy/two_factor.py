"""The second step of staff sign-in: a code from an authenticator app (TOTP, django-otp).

A counselor signs in with their password first. With `STAFF_TWO_FACTOR` on, the dashboard
then asks for the six-digit code from their app; the first time, it shows the QR code that
adds the account to the app and checks a code before the app counts as set up.

Once the app is set up, ten recovery codes are shown, once (django-otp's static device): each
signs in a single time in place of an app code, for a counselor whose phone is lost or
flat. Using one says how many are left; setting up the app again (after whoever runs the
service removed the old one) gives a fresh set and voids the old.
"""

import secrets
from base64 import b32encode

import segno
from django.conf import settings
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: the codes are copied by hand. Ten characters: 49 bits each.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10


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


def issue_recovery_codes(user) -> list[str]:
    """A fresh set of recovery codes for `user`, replacing any earlier set; shown once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    device.token_set.bulk_create([device.token_set.model(device=device, token=c) for c in codes])
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def recovery_codes_left(user) -> int:
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return device.token_set.count() if device else 0


def is_recovery_code_shaped(code: str) -> bool:
    return _as_recovery_code(code) is not None


def _as_recovery_code(code: str) -> str | None:
    normal = code.replace("-", "").replace(" ", "").lower()
    if len(normal) == _RECOVERY_LENGTH and set(normal) <= set(_RECOVERY_ALPHABET):
        return normal
    return None


def check_recovery_code(request, code: str) -> str | None:
    """Sign this session in with a recovery code: "" on success, what to tell the user if
    it is wrong, None if `code` is not shaped like a recovery code at all."""
    normal = _as_recovery_code(code)
    if normal is None:
        return None
    device = StaticDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return "That recovery code did not match."
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return "Wait a few seconds after a wrong code, then try again."
    if not device.verify_token(normal):  # a used code is deleted: it works once
        return "That recovery code did not match, or it has been used."
    otp_login(request, device)
    return ""


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
