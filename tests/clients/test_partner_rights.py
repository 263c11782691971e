"""A partner's rights: a full copy of what is held about them (JSON and PDF), and erasure, of a
partner or a couple, by one documented rule. What remains after an erasure is checked by
searching every table of the database for the erased partner's details and words."""

import datetime as dt
import io
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from clients.models import Couple, Partner, PortalLink
from clients.partner_rights import erase_partner
from tests.conftest import fill_in, login, portal_sign_in
from tests.database_text import stored_text
from tests.factories import PartnerFactory
from therapy.models import AccessLog, Alert, CounselorNote, Erasure
from therapy.notes import add_note
from therapy.retention import apply_retention
from worksheets.assignments import assign_worksheet
from worksheets.models import Reminder, Response
from worksheets.outbox import claim_due_reminders, send_batch
from worksheets.responses import save_draft

SENTINEL_NAME = "Zebulonia"
SENTINEL_EMAIL = "zebulonia.sentinel@example.org"
SENTINEL_ANSWER = "sentinel-words-zq7x"
SENTINEL_PHONE = "+12015550199"


@pytest.fixture
def zeb(couple):
    """A partner whose every detail is a word found nowhere else in the database."""
    return PartnerFactory(
        couple=couple, display_name=SENTINEL_NAME, email=SENTINEL_EMAIL, phone=SENTINEL_PHONE
    )


@pytest.fixture
def history(client, couple, checkin, maya, zeb, partner_a):
    """Work done and messages sent: a submitted check-in for both, a draft, links, alerts."""
    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=now + dt.timedelta(days=5),
        assigned_by=maya,
        now=now,
    )
    send_batch(claim_due_reminders(now=now, limit=100), clock=lambda: now)
    answers = {
        "confided": "4",
        "own_time": "3",
        "needs_on_hold": "2",
        "went_it_alone": "1",
        "balance_felt_right": "5",
        "note_for_counselor": SENTINEL_ANSWER,
    }
    for partner in (zeb, partner_a):
        signed_in = portal_sign_in(client.__class__(), partner)
        fill_in(signed_in, assignment.responses.get(partner=partner), answers)
    draft = assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=now + dt.timedelta(days=9),
        assigned_by=maya,
        now=now,
    ).responses.get(partner=zeb)
    save_draft(
        response_id=draft.pk, partner=zeb, answers={"note_for_counselor": "draft words"}, now=now
    )
    Alert.objects.create(
        couple=couple,
        response=draft,
        kind=Alert.Kind.MISSED_WORK,
        reason=f"{SENTINEL_NAME} has not started",
        created_at=now,
    )
    Alert.objects.create(
        couple=couple,
        kind=Alert.Kind.GAP_WIDENED,
        reason="The gap widened from 1 to 4",
        created_at=now,
    )
    add_note(couple=couple, counselor=maya, text="Talked about the holidays.", now=now)
    return assignment


def export(client, couple, partner, kind):
    url = reverse("admin:clients_couple_export_partner", args=[couple.pk, partner.pk, kind])
    return client.get(url)


def test_the_json_export_holds_everything_about_the_partner_and_nothing_of_the_other(
    client, maya, couple, zeb, partner_a, history
):
    login(client, maya)
    answer = export(client, couple, zeb, "json")
    assert answer["Content-Disposition"] == f'attachment; filename="partner-{zeb.pk}.json"'
    data = json.loads(answer.content)
    assert data["partner"]["email"] == SENTINEL_EMAIL
    assert data["partner"]["phone"] == SENTINEL_PHONE
    statuses = sorted(w["status"] for w in data["worksheets"])
    assert statuses == ["Draft", "Submitted"]
    words = [a["answer"] for w in data["worksheets"] for a in w["answers"]]
    assert SENTINEL_ANSWER in words and "draft words" in words
    assert data["messages"] and data["links"]
    assert {a["kind"] for a in data["alerts"]} == {"Worksheet still open after the last reminder"}
    text = answer.content.decode()
    assert f'"{partner_a.display_name}"' not in text and partner_a.email not in text
    assert "Talked about the holidays." not in text  # notes are about both partners
    assert not any(link.token_hash in text for link in PortalLink.objects.all())
    assert "not a diagnosis" in text
    assert AccessLog.objects.filter(what__startswith=f"export of partner #{zeb.pk}").exists()


def test_the_pdf_export_reads_the_same(client, maya, couple, zeb, history):
    login(client, maya)
    answer = export(client, couple, zeb, "pdf")
    assert answer["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert SENTINEL_NAME in text and SENTINEL_EMAIL in text and SENTINEL_ANSWER in text


def test_only_the_couples_counselors_can_export_or_erase(client, daniel, couple, zeb):
    login(client, daniel)
    assert export(client, couple, zeb, "json").status_code == 404
    url = reverse("admin:clients_couple_erase_partner", args=[couple.pk, zeb.pk])
    assert client.post(url, {"confirm": SENTINEL_NAME, "reason": "x"}).status_code == 404
    assert Partner.objects.filter(pk=zeb.pk).exists()


def database_text() -> str:
    """Every row of every table, as text, with encrypted values decrypted: an erased
    partner's details must be gone, not only unreadable."""
    return stored_text(decrypted=True)


def erase_by_hand(client, url, name, reason="Asked by the partner"):
    return client.post(url, {"confirm": name, "reason": reason})


def test_erasing_a_partner_leaves_nothing_of_them_in_the_database(
    client, maya, couple, zeb, partner_a, history
):
    assert SENTINEL_EMAIL in database_text()
    # A gap worked out from both partners' answers, kept on the other partner's response.
    Response.objects.filter(partner=partner_a, assignment=history).update(balance_gap=3)
    login(client, maya)
    client.get(reverse("admin:clients_couple_overview", args=[couple.pk]))
    url = reverse("admin:clients_couple_erase_partner", args=[couple.pk, zeb.pk])
    assert erase_by_hand(client, url, "not the name").status_code == 400
    assert Partner.objects.filter(pk=zeb.pk).exists()

    answer = erase_by_hand(client, url, SENTINEL_NAME)
    assert answer["Location"] == reverse("admin:clients_couple_overview", args=[couple.pk])

    remains = database_text()
    assert SENTINEL_NAME not in remains and SENTINEL_EMAIL not in remains
    assert SENTINEL_PHONE not in remains
    # The other partner's words are theirs: the same sentence, kept once, on their response.
    assert remains.count(SENTINEL_ANSWER) == 1
    assert (
        Response.objects.get(partner=partner_a, assignment=history).answers["note_for_counselor"]
        == SENTINEL_ANSWER
    )
    # Figures worked out from the erased partner's answers are gone.
    assert not Response.objects.exclude(balance_gap=None).exists()
    assert not Alert.objects.filter(kind=Alert.Kind.GAP_WIDENED).exists()
    # Kept: the counselor's notes and the access log; written down: the erasure, by ids.
    assert CounselorNote.objects.filter(couple=couple).count() == 1
    assert AccessLog.objects.exists()
    [record] = Erasure.objects.all()
    assert (record.partner_id, record.couple_id, record.erased_by) == (zeb.pk, couple.pk, maya.user)
    assert not Reminder.objects.filter(partner_id=zeb.pk).exists()


def test_erasing_a_couple_leaves_nothing_of_either_partner_or_the_couple(
    client, maya, couple, zeb, partner_a, partner_b, history
):
    couple.label = "Couple of the lighthouse"
    couple.save()
    words = [
        SENTINEL_NAME,
        SENTINEL_EMAIL,
        SENTINEL_ANSWER,
        partner_a.email,
        partner_b.email,
        "Couple of the lighthouse",
        "Talked about the holidays.",
    ]
    login(client, maya)
    url = reverse("admin:clients_couple_erase", args=[couple.pk])
    answer = erase_by_hand(client, url, "Couple of the lighthouse")
    assert answer["Location"] == reverse("admin:clients_couple_changelist")
    remains = database_text()
    assert [w for w in words if w in remains] == []
    assert not Couple.objects.filter(pk=couple.pk).exists()
    assert Erasure.objects.filter(couple_id=couple.pk, partner_id=None).count() == 1


def test_the_retention_rule_erases_couples_closed_longer_than_the_period(
    settings, maya, couple, daniels_couple, zeb, history
):
    settings.RECORDS_RETENTION_DAYS = 365
    start = timezone.now()
    couple.status = Couple.Status.CLOSED
    couple.save()
    assert couple.closed_at is not None
    with time_machine.travel(start + dt.timedelta(days=364)):
        assert apply_retention(now=timezone.now()).couples_erased == 0
    with time_machine.travel(start + dt.timedelta(days=366)):
        result = apply_retention(now=timezone.now())
    assert result.couples_erased == 1
    assert not Couple.objects.filter(pk=couple.pk).exists()
    assert Couple.objects.filter(pk=daniels_couple.pk).exists()  # still open
    assert SENTINEL_EMAIL not in database_text()
    assert Erasure.objects.filter(couple_id=couple.pk, reason="Retention period ended").exists()


def test_reopening_a_couple_stops_its_retention_clock(settings, couple):
    couple.status = Couple.Status.CLOSED
    couple.save()
    couple.status = Couple.Status.ACTIVE
    couple.save()
    assert couple.closed_at is None
    settings.RECORDS_RETENTION_DAYS = 1
    with time_machine.travel(timezone.now() + dt.timedelta(days=30)):
        assert apply_retention(now=timezone.now()).couples_erased == 0


def test_erasing_the_only_partner_with_an_open_alert_leaves_the_couple_page_working(
    client, maya, couple, zeb, history
):
    erase_partner(zeb, by=maya.user, reason="x", now=timezone.now())
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_overview", args=[couple.pk]))
    assert page.status_code == 200
    assert SENTINEL_NAME not in page.content.decode()
