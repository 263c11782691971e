"""Staff sign-in: repeated wrong passwords lock the account for a while, and a dashboard
left idle signs itself out."""

import datetime as dt

import time_machine
from django.utils import timezone

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
