import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from clients.links import hash_token, issue_link
from clients.models import PortalLink


@pytest.fixture
def token(partner_a):
    return issue_link(partner=partner_a, now=timezone.now())


def test_only_a_hash_of_the_token_is_stored(token, partner_a):
    link = PortalLink.objects.get(partner=partner_a)
    assert link.token_hash == hash_token(token)
    assert token not in str(PortalLink.objects.values_list(flat=True))
    assert len(token) >= 43  # 256 bits, base64


def test_opening_a_link_moves_the_token_out_of_the_address_without_signing_in(client, token):
    response = client.get(f"/p/{token}/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/welcome/"
    assert response["Referrer-Policy"] == "no-referrer"
    # A mail scanner that follows the link is not signed in, and the link stays usable.
    assert client.get("/portal/").status_code == 302
    welcome = client.get("/portal/welcome/")
    assert b"Continue" in welcome.content
    assert token.encode() not in welcome.content


def test_continue_signs_the_partner_in(client, token, partner_a):
    client.get(f"/p/{token}/")
    response = client.post("/portal/welcome/", follow=True)
    assert response.redirect_chain[-1][0] == "/portal/"
    assert b"Your worksheets" in response.content
    assert PortalLink.objects.get(partner=partner_a).used_at is not None


def test_a_link_signs_in_once_and_then_offers_a_new_one(token):
    """A link left in an inbox, a browser's history or a forwarded e-mail is not a key."""
    first, second = Client(), Client()
    first.get(f"/p/{token}/")
    assert first.post("/portal/welcome/")["Location"] == "/portal/"

    second.get(f"/p/{token}/")
    for answer in (second.get("/portal/welcome/"), second.post("/portal/welcome/")):
        assert answer.status_code == 410
        assert b"signs you in once" in answer.content
        assert b'href="/portal/new-link/"' in answer.content
    assert second.get("/portal/")["Location"] == "/portal/signed-out/"


def test_of_two_continues_at_once_only_one_signs_in(token, partner_a):
    """Both browsers saw the welcome page before either pressed Continue."""
    first, second = Client(), Client()
    for browser in (first, second):
        browser.get(f"/p/{token}/")
        assert b"Continue" in browser.get("/portal/welcome/").content
    assert first.post("/portal/welcome/")["Location"] == "/portal/"
    assert second.post("/portal/welcome/").status_code == 410
    assert first.get("/portal/").status_code == 200


def test_back_to_the_welcome_page_after_signing_in_goes_home(client, token):
    client.get(f"/p/{token}/")
    client.post("/portal/welcome/")
    assert client.get("/portal/welcome/")["Location"] == "/portal/"
    assert client.post("/portal/welcome/")["Location"] == "/portal/"  # Continue pressed twice
    assert client.get(f"/p/{token}/", follow=True).redirect_chain[-1][0] == "/portal/"


def test_an_expired_link_shows_a_friendly_page(client, token):
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        client.get(f"/p/{token}/")
        response = client.get("/portal/welcome/")
        assert client.post("/portal/welcome/").status_code == 410
    assert response.status_code == 410
    assert b"This link no longer works" in response.content


def test_a_revoked_link_is_refused(client, token, partner_a):
    PortalLink.objects.filter(partner=partner_a).update(revoked_at=timezone.now())
    client.get(f"/p/{token}/")
    assert client.post("/portal/welcome/").status_code == 410


def test_a_link_is_void_once_the_partners_address_changes(client, token, partner_a):
    partner_a.email = "new.address@mail.example"
    partner_a.save()
    client.get(f"/p/{token}/")
    assert client.post("/portal/welcome/").status_code == 410


def test_an_address_change_also_ends_the_session_the_link_opened(client, token, partner_a):
    client.get(f"/p/{token}/")
    client.post("/portal/welcome/")
    assert client.get("/portal/").status_code == 200
    partner_a.email = "new.address@mail.example"
    partner_a.save()
    assert client.get("/portal/")["Location"] == "/portal/signed-out/"


def test_a_made_up_token_is_refused(client, db):
    client.get("/p/not-a-real-token-at-all/")
    assert client.post("/portal/welcome/").status_code == 410


def test_a_counselor_revokes_a_couples_links_and_their_sessions_end(
    client, token, partner_a, maya, couple
):
    from django.test import Client

    from tests.conftest import login

    client.get(f"/p/{token}/")
    client.post("/portal/welcome/")
    assert client.get("/portal/").status_code == 200
    staff = login(Client(), maya)
    staff.post(
        "/admin/clients/couple/",
        {"action": "revoke_personal_links", "_selected_action": [couple.pk]},
    )
    assert client.get("/portal/")["Location"] == "/portal/signed-out/"
    client.get(f"/p/{token}/")
    assert client.post("/portal/welcome/").status_code == 410


def test_a_removed_partners_link_and_session_stop_working(client, token, partner_a):
    client.get(f"/p/{token}/")
    client.post("/portal/welcome/")
    assert client.get("/portal/").status_code == 200
    partner_a.removed_at = timezone.now()
    partner_a.save()
    assert client.get("/portal/")["Location"] == "/portal/signed-out/"
    client.get(f"/p/{token}/")
    assert client.post("/portal/welcome/").status_code == 410
