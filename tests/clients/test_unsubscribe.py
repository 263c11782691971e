import pytest

from clients.links import unsubscribe_url


@pytest.fixture
def url(partner_a):
    return unsubscribe_url(partner_a).removeprefix("http://127.0.0.1:8000")


def test_opening_the_link_only_asks_to_confirm(client, url, partner_a):
    page = client.get(url)
    assert "Stop reminders?" in page.content.decode()
    partner_a.refresh_from_db()
    assert partner_a.reminders_enabled


def test_confirming_turns_reminders_off(client, url, partner_a):
    page = client.post(url)
    assert "Reminders are off" in page.content.decode()
    partner_a.refresh_from_db()
    assert not partner_a.reminders_enabled


def test_a_mail_apps_one_click_post_works_without_a_form(url, partner_a):
    from django.test import Client

    mail_app = Client(enforce_csrf_checks=True)
    response = mail_app.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    partner_a.refresh_from_db()
    assert not partner_a.reminders_enabled


def test_a_tampered_link_changes_nothing(client, url, partner_a):
    response = client.post(url.replace("/unsubscribe/", "/unsubscribe/x"))
    assert response.status_code == 404
    partner_a.refresh_from_db()
    assert partner_a.reminders_enabled
