import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.factories import PartnerFactory
from therapy import mail_folder
from therapy.celery import app
from therapy.models import AccessLog
from worksheets.models import Reminder
from worksheets.outbox import claim_due_reminders, send_batch


@pytest.fixture
def file_outbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "therapy.mailfiles.MessageFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    return tmp_path


def new_link_for(client, address):
    """Ask for a new link from the portal's form, as anyone can, and let the outbox send it."""
    client.post("/portal/new-link/", {"email": address})
    now = timezone.now()
    send_batch(claim_due_reminders(now=now, limit=100), clock=lambda: now)


def test_the_outbox_lists_only_messages_to_partners_on_the_caseload(
    client, maya, partner_a, daniels_couple, file_outbox
):
    """A counselor adds a partner with the address of a client on another caseload and asks
    for a link for it: both partners with that address get one, and the counselor sees only
    their own partner's."""
    ken = daniels_couple.partners.get(display_name="Ken")
    decoy = PartnerFactory(couple=partner_a.couple, display_name="Decoy", email=ken.email)
    new_link_for(Client(), ken.email)
    new_link_for(Client(), partner_a.email)
    folder = mail_folder.recent_messages()
    assert len(folder) == 3
    kens_link = next(m for m in folder if Reminder.objects.get(pk=m.outbox_row).partner == ken)
    decoys_link = next(
        m for m in folder if Reminder.objects.get(pk=m.outbox_row).partner == decoy
    )

    login(client, maya)
    page = client.get("/admin/outbox/").content.decode()
    assert decoys_link.links[0] in page
    assert kens_link.links[0] not in page
    assert page.count("<strong>To:</strong>") == 2  # the decoy's and Sam's

    login(client, daniel_of(daniels_couple))
    page = client.get("/admin/outbox/").content.decode()
    assert kens_link.links[0] in page and decoys_link.links[0] not in page


def test_reading_the_outbox_is_logged_for_each_couple_shown(
    client, maya, partner_a, daniels_couple, file_outbox
):
    new_link_for(Client(), partner_a.email)
    new_link_for(Client(), daniels_couple.partners.first().email)
    login(client, maya)
    client.get("/admin/outbox/")
    assert list(AccessLog.objects.values_list("user", "couple", "what")) == [
        (maya.user_id, partner_a.couple_id, "Sent messages")
    ]


def daniel_of(couple):
    return couple.counselors.get()


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
