"""The limits that count by address see the client's address behind the production proxy, and
cannot be dodged by a made-up X-Forwarded-For; wrong staff passwords from one address pause
sign-in from it, whichever usernames they were for."""

import pytest
from django.test import Client, RequestFactory

from tests.factories import PASSWORD
from therapy.client_address import client_ip
from worksheets.models import Reminder


def request_from(remote, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.9", None, "203.0.113.9"),
        (0, "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # no proxy: the header is anyone's
        (1, "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own entry
        (2, "10.0.0.3", "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (2, "10.0.0.3", "198.51.100.1", "10.0.0.3"),  # fewer entries than proxies
        (1, "10.0.0.2", None, "10.0.0.2"),
        (1, "10.0.0.2", "not an address", "10.0.0.2"),
        (1, "10.0.0.2", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_is_the_entry_the_first_trusted_proxy_added(
    settings, proxies, remote, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request_from(remote, forwarded)) == expected


def ask_for_link(address, client_ip, email):
    Client(REMOTE_ADDR="10.0.0.2", headers={"X-Forwarded-For": client_ip}).post(
        "/portal/new-link/", {"email": email}
    )


def test_behind_the_proxy_one_client_using_up_its_link_requests_leaves_others_theirs(
    settings, partner_a, partner_b
):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(12):
        ask_for_link("10.0.0.2", "198.51.100.1", "nobody@example.org")
    ask_for_link("10.0.0.2", "198.51.100.1", partner_a.email)
    ask_for_link("10.0.0.2", "198.51.100.2", partner_b.email)
    links = Reminder.objects.filter(kind="link")
    assert list(links.values_list("partner", flat=True)) == [partner_b.pk]


def sign_in(address, username, password, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return Client(REMOTE_ADDR=address, headers=headers).post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )


def test_wrong_passwords_for_many_usernames_pause_sign_in_from_that_address(
    settings, maya, daniel
):
    settings.STAFF_ADDRESS_FAILURE_LIMIT = 6
    for n in range(6):
        page = sign_in("198.51.100.1", f"guess{n}", "Summer2026!")
        assert "Please enter the correct username and password" in page.content.decode()
    locked = sign_in("198.51.100.1", "daniel", PASSWORD)  # even the right password
    assert locked.status_code == 429
    assert "from this network" in locked.content.decode()
    assert sign_in("198.51.100.2", "daniel", PASSWORD)["Location"] == "/admin/"


def test_a_made_up_forwarded_header_does_not_dodge_the_pause(settings, maya, daniel):
    settings.STAFF_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        sign_in("198.51.100.1", f"guess{n}", "x", forwarded=f"192.0.2.{n}")
    assert sign_in("198.51.100.1", "daniel", PASSWORD, forwarded="192.0.2.77").status_code == 429


def test_behind_the_proxy_the_pause_is_for_the_client_not_the_proxy(settings, maya, daniel):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.STAFF_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        sign_in("10.0.0.2", f"guess{n}", "x", forwarded="198.51.100.1")
    assert sign_in("10.0.0.2", "daniel", PASSWORD, forwarded="198.51.100.1").status_code == 429
    assert sign_in("10.0.0.2", "daniel", PASSWORD, forwarded="198.51.100.2").status_code == 302
