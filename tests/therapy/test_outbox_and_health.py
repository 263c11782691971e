import datetime as dt

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone

from tests.conftest import login
from therapy.celery import app


@pytest.fixture
def file_outbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "therapy.mailfiles.MessageFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    return tmp_path


def test_the_outbox_lists_only_messages_to_partners_on_the_caseload(
    client, maya, partner_a, daniels_couple, file_outbox
):
    from django.core.mail import get_connection

    ken = daniels_couple.partners.get(display_name="Ken")
    get_connection().send_messages(
        [
            EmailMessage("For Sam", "Open http://127.0.0.1:8000/p/abc/", to=[partner_a.email]),
            EmailMessage("For Ken", "Open http://127.0.0.1:8000/p/xyz/", to=[ken.email]),
        ]
    )
    login(client, maya)
    page = client.get("/admin/outbox/").content.decode()
    assert "For Sam" in page and "http://127.0.0.1:8000/p/abc/" in page
    assert "For Ken" not in page and "/p/xyz/" not in page


def test_the_outbox_does_not_exist_when_mail_really_goes_out(client, maya, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    login(client, maya)
    assert client.get("/admin/outbox/").status_code == 404


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_answers_503_when_the_broker_is_down(client, db, monkeypatch):
    # Port 9 on loopback: nothing listens there, so the connection is refused at once.
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setattr(app.conf, "broker_write_url", "redis://127.0.0.1:9/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "down"}


def test_dates_are_stored_in_utc(db):
    assert timezone.now().tzinfo == dt.UTC
