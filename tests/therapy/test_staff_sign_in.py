"""Staff sign-in: repeated wrong passwords lock the account for a while, a dashboard left
idle signs itself out, and, where required, a code from an authenticator app follows the
password."""

import datetime as dt
import re

import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import login
from tests.factories import PASSWORD


def sign_in(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(client, maya):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            page = sign_in(client, "maya", "not-the-password")
            assert "Please enter the correct username and password" in page.content.decode()
        locked = sign_in(client, "maya", "not-the-password")
        assert locked.status_code == 429
        assert "locked for 15 minutes" in locked.content.decode()
        # Even the right password is refused while the lock lasts.
        assert sign_in(client, "maya", PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        signed_in = sign_in(client, "maya", PASSWORD)
        assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"
        assert "Your caseload" in client.get("/admin/").content.decode()


def test_a_lock_on_one_account_leaves_the_others_alone(client, maya, daniel):
    for _ in range(5):
        sign_in(client, "maya", "not-the-password")
    assert sign_in(client, "daniel", PASSWORD)["Location"] == "/admin/"


def test_a_right_password_clears_earlier_mistakes(client, maya):
    for _ in range(4):
        sign_in(client, "maya", "not-the-password")
    assert sign_in(client, "maya", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        sign_in(client, "maya", "not-the-password")
    assert sign_in(client, "maya", PASSWORD).status_code == 302


def test_the_dashboard_signs_out_after_thirty_idle_minutes(client, maya):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        login(client, maya)
        assert client.get("/admin/").status_code == 200
    # Activity within the half hour keeps the counselor signed in.
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=58), tick=False):
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=89), tick=False):
        page = client.get("/admin/", follow=True)
        assert page.redirect_chain[0][0] == "/admin/login/?next=/admin/"
        assert "signed out after 30 minutes without activity" in page.content.decode()
        assert "Your caseload" not in page.content.decode()


def test_even_a_busy_day_ends_with_signing_in_again_after_eight_hours(client, maya):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        login(client, maya)
    for minutes in range(20, 8 * 60, 20):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=8, minutes=5), tick=False):
        assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


# --- Two-step sign-in -------------------------------------------------------------------------


def app_code(device):
    """The code the counselor's authenticator app shows right now."""
    return f"{totp(device.bin_key):06d}"


def test_with_two_step_sign_in_the_first_visit_sets_up_the_app(client, maya, settings):
    settings.STAFF_TWO_FACTOR = True
    after_password = sign_in(client, "maya", PASSWORD)
    page = client.get(after_password["Location"], follow=True)
    assert page.redirect_chain[-1][0] == "/admin/two-step/?next=%2Fadmin%2F"
    content = page.content.decode()
    assert "scan this code" in content and "<svg" in content
    # Nothing of the dashboard until the code is given.
    assert "Your caseload" not in client.get("/admin/", follow=True).content.decode()
    device = TOTPDevice.objects.get(user=maya.user)
    assert not device.confirmed

    wrong = client.post("/admin/two-step/?next=/admin/", {"code": "123 456"})
    assert "That code did not match" in wrong.content.decode()
    too_soon = client.post("/admin/two-step/?next=/admin/", {"code": app_code(device)})
    assert "Wait a few seconds after a wrong code" in too_soon.content.decode()
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5), tick=False):
        right = client.post("/admin/two-step/?next=/admin/", {"code": app_code(device)})
        assert "Your recovery codes" in right.content.decode()  # then on to /admin/
    assert "Your caseload" in client.get("/admin/").content.decode()
    device.refresh_from_db()
    assert device.confirmed


def test_with_two_step_sign_in_a_set_up_app_only_asks_for_the_code(client, maya, settings):
    settings.STAFF_TWO_FACTOR = True
    device = TOTPDevice.objects.create(user=maya.user, name="Authenticator app", confirmed=True)
    sign_in(client, "maya", PASSWORD)
    page = client.get("/admin/", follow=True)
    content = page.content.decode()
    assert "Enter the six-digit code" in content and 'class="qr"' not in content
    assert "type this key" not in content  # the secret is shown only while setting up
    assert (
        "Enter the six digits" in client.post("/admin/two-step/", {"code": "12"}).content.decode()
    )
    assert client.post("/admin/two-step/", {"code": app_code(device)})["Location"] == "/admin/"
    assert "Your caseload" in client.get("/admin/").content.decode()


def test_the_code_page_signs_out_and_refuses_strangers(client, maya, settings):
    settings.STAFF_TWO_FACTOR = True
    assert client.get("/admin/two-step/")["Location"].startswith("/admin/login/")
    sign_in(client, "maya", PASSWORD)
    signed_out = client.post("/admin/two-step/", {"sign_out": "1"})
    assert signed_out["Location"] == "/admin/login/"
    assert client.get("/admin/two-step/")["Location"].startswith("/admin/login/")


def test_the_code_page_only_follows_links_within_the_site(client, maya, settings):
    settings.STAFF_TWO_FACTOR = True
    device = TOTPDevice.objects.create(user=maya.user, name="Authenticator app", confirmed=True)
    sign_in(client, "maya", PASSWORD)
    response = client.post(
        "/admin/two-step/?next=https://elsewhere.example/", {"code": app_code(device)}
    )
    assert response["Location"] == "/admin/"


# --- Recovery codes ---------------------------------------------------------------------------


def set_up_app(client, maya):
    sign_in(client, "maya", PASSWORD)
    client.get("/admin/two-step/")
    device = TOTPDevice.objects.get(user=maya.user)
    return client.post("/admin/two-step/?next=/admin/", {"code": app_code(device)})


def shown_codes(page) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page.content.decode())


def test_setting_up_the_app_shows_ten_recovery_codes_once(client, maya, settings):
    settings.STAFF_TWO_FACTOR = True
    page = set_up_app(client, maya)
    codes = shown_codes(page)
    assert len(codes) == len(set(codes)) == 10
    assert "shown only this once" in page.content.decode()
    assert 'href="/admin/"' in page.content.decode()
    # Signed in, and nowhere to see the codes again.
    home = client.get("/admin/").content.decode()
    assert "Your caseload" in home and not any(code in home for code in codes)
    assert not any(
        code in client.get("/admin/two-step/", follow=True).content.decode() for code in codes
    )


def test_a_recovery_code_signs_in_once_in_place_of_the_app(client, maya, settings):
    settings.STAFF_TWO_FACTOR = True
    codes = shown_codes(set_up_app(client, maya))
    client.logout()

    for attempt, code in enumerate([codes[3], codes[3].upper().replace("-", " ")]):
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=attempt), tick=False):
            browser = Client()
            sign_in(browser, "maya", PASSWORD)
            answer = browser.post("/admin/two-step/?next=/admin/", {"code": code}, follow=True)
            page = answer.content.decode()
            if attempt == 0:
                assert "Your caseload" in page
                assert "recovery code; 9 left" in page
            else:
                assert "That recovery code did not match, or it has been used." in page
                assert "Your caseload" not in browser.get("/admin/", follow=True).content.decode()


def test_a_made_up_recovery_code_does_not_sign_in(client, maya, settings):
    settings.STAFF_TWO_FACTOR = True
    set_up_app(client, maya)
    client.logout()
    sign_in(client, "maya", PASSWORD)
    page = client.post("/admin/two-step/?next=/admin/", {"code": "abcde-fghjk"}).content.decode()
    assert "That recovery code did not match" in page
    assert "Your caseload" not in client.get("/admin/", follow=True).content.decode()


def test_setting_up_a_new_app_voids_the_old_codes(client, maya, settings):
    settings.STAFF_TWO_FACTOR = True
    old = shown_codes(set_up_app(client, maya))
    client.logout()
    TOTPDevice.objects.filter(user=maya.user).delete()  # the operator removes a lost phone
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1), tick=False):
        new = shown_codes(set_up_app(Client(), maya))
    assert len(new) == 10 and not set(new) & set(old)
    browser = Client()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2), tick=False):
        sign_in(browser, "maya", PASSWORD)
        page = browser.post("/admin/two-step/?next=/admin/", {"code": old[0]}).content.decode()
    assert "Your caseload" not in page
