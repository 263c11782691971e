"""Two-step sign-in for staff in a real browser: set up the app from the QR code, then use it."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.e2e.axe import check_accessibility
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e
LAPTOP = {"width": 1366, "height": 900}


def test_a_counselor_sets_up_the_app_and_reaches_the_caseload(
    browser, live_server, maya, settings, tmp_path
):
    settings.STAFF_TWO_FACTOR = True
    page = browser.new_context(viewport=LAPTOP).new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("maya")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    qr = page.get_by_role("img", name="QR code that adds your account to an authenticator app")
    expect(qr).to_be_visible()
    box = qr.locator("svg").bounding_box()
    assert box["width"] >= 150 and abs(box["width"] - box["height"]) < 2  # square, scannable
    page.screenshot(path=tmp_path / "two-step-setup.png", full_page=True)
    assert check_accessibility(page, "two-step-setup") == []

    device = TOTPDevice.objects.get(user=maya.user)
    page.get_by_label("Six-digit code from your authenticator app").fill(
        f"{totp(device.bin_key):06d}"
    )
    page.get_by_role("button", name="Finish setting up").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        10
    )
    page.screenshot(path=tmp_path / "recovery-codes.png", full_page=True)
    assert check_accessibility(page, "recovery-codes") == []
    page.get_by_role("link", name="I have kept them: go on").click()
    expect(page.get_by_role("heading", name="Your caseload")).to_be_visible()
    page.context.close()
