"""Encryption at rest: answers, counselors' notes and partners' contact details are never on
disk in plain text, change history included, yet read back whole through the application;
keys rotate with `manage.py reencrypt`; partners are still found by address and number.

Each test searches every row of every table of the database, as stored, for words that
appear nowhere else."""

import datetime as dt
import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clients.links import partners_with_address
from clients.models import Partner, PortalLink
from clients.preferences import follow_text_keyword
from tests.conftest import fill_in, login, portal_sign_in
from tests.database_text import stored_text
from tests.factories import PartnerFactory
from therapy.alerts import acknowledge
from therapy.encryption import DecryptionError
from therapy.models import Alert, CounselorNote
from therapy.notes import add_note
from worksheets.assignments import assign_worksheet
from worksheets.models import Response
from worksheets.responses import save_draft

EMAIL = "quillon.sentinel@example.org"
PHONE = "+12015550177"
ANSWER = "sentinel-answer-kx93"
DRAFT = "sentinel-draft-vb27"
NOTE = "sentinel-note-pq58"
FOLLOW_UP = "sentinel-follow-up-mj41"
SECRETS = [EMAIL, PHONE, ANSWER, DRAFT, NOTE, FOLLOW_UP]


@pytest.fixture
def quillon(couple):
    return PartnerFactory(couple=couple, display_name="Quillon", email=EMAIL, phone=PHONE)


@pytest.fixture
def records(client, couple, checkin, maya, quillon, partner_a):
    """A submitted worksheet and a draft, a link, a note and an acknowledged urgent alert,
    each entered the way a user enters it, with their change history."""
    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=now + dt.timedelta(days=5),
        assigned_by=maya,
        now=now,
    )
    answers = {
        "confided": "4",
        "own_time": "3",
        "needs_on_hold": "2",
        "went_it_alone": "1",
        "balance_felt_right": "5",
        "note_for_counselor": ANSWER,
    }
    fill_in(
        portal_sign_in(client.__class__(), quillon),
        assignment.responses.get(partner=quillon),
        answers,
    )
    draft = assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=now + dt.timedelta(days=9),
        assigned_by=maya,
        now=now,
    ).responses.get(partner=quillon)
    save_draft(
        response_id=draft.pk, partner=quillon, answers={"note_for_counselor": DRAFT}, now=now
    )
    add_note(couple=couple, counselor=maya, text=NOTE, now=now)
    alert = Alert.objects.create(
        couple=couple, response=draft, kind=Alert.Kind.SAFETY, reason="Urgent", created_at=now
    )
    acknowledge(alerts=Alert.objects.filter(pk=alert.pk), counselor=maya, now=now, note=FOLLOW_UP)
    return assignment


def test_nothing_secret_is_stored_in_plain_text_yet_everything_reads_back(records, quillon):
    on_disk = stored_text(decrypted=False)
    assert [secret for secret in SECRETS if secret in on_disk] == []
    # The same search finds every one of them once decrypted: the search itself works.
    readable = stored_text(decrypted=True)
    assert [secret for secret in SECRETS if secret not in readable] == []
    quillon.refresh_from_db()
    assert (quillon.email, quillon.phone) == (EMAIL, PHONE)
    assert PortalLink.objects.filter(partner=quillon).first().email == EMAIL
    texts = [r.answers.get("note_for_counselor") for r in Response.objects.filter(partner=quillon)]
    assert sorted(texts) == sorted([ANSWER, DRAFT])
    assert CounselorNote.objects.get().text == NOTE
    assert Alert.objects.get(kind=Alert.Kind.SAFETY).follow_up_note == FOLLOW_UP


def test_the_counselor_reads_answers_and_notes_on_the_couple_page(client, maya, couple, records):
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_overview", args=[couple.pk])).content.decode()
    assert NOTE in page
    assert ANSWER in page


def test_the_caseload_never_reads_answers(client, maya, couple, records):
    """Dashboard figures come from the scores stored at submission, not from answers."""
    login(client, maya)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:clients_couple_changelist"))
    assert escape(couple.label) in page.content.decode()
    reading_answers = [q["sql"] for q in queries if '"worksheets_response"."answers"' in q["sql"]]
    assert reading_answers == []


def test_keys_rotate_with_reencrypt_and_the_old_key_can_then_go(settings, records, quillon):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("reencrypt", stdout=io.StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    readable = stored_text(decrypted=True)
    assert [secret for secret in SECRETS if secret not in readable] == []
    assert Partner.objects.get(pk=quillon.pk).email == EMAIL
    # Nothing is left that only the old key opens.
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(DecryptionError, match="not in FIELD_ENCRYPTION_KEYS"):
        Partner.objects.get(pk=quillon.pk)


def test_a_new_lookup_key_takes_effect_with_reencrypt(settings, quillon):
    settings.FIELD_LOOKUP_KEY = "a-new-lookup-key-of-thirty-two-or-more-characters"
    assert list(partners_with_address(EMAIL)) == []  # the stored digests are the old key's
    call_command("reencrypt", stdout=io.StringIO())
    assert list(partners_with_address(EMAIL)) == [quillon]


def test_rows_stored_before_encryption_read_as_they_are_until_reencrypt(quillon):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE clients_partner SET email = %s, email_digest = '' WHERE id = %s",
            [EMAIL, quillon.pk],
        )
    assert Partner.objects.get(pk=quillon.pk).email == EMAIL
    assert EMAIL in stored_text(decrypted=False)
    call_command("reencrypt", stdout=io.StringIO())
    assert EMAIL not in stored_text(decrypted=False)
    assert list(partners_with_address(EMAIL)) == [quillon]


def test_partners_are_found_by_address_and_number_through_their_digests(quillon, partner_a):
    assert list(partners_with_address("  Quillon.SENTINEL@example.org ")) == [quillon]
    assert list(partners_with_address("someone.else@example.org")) == []
    assert follow_text_keyword(phone=PHONE, text="STOP") == 1
    quillon.refresh_from_db()
    partner_a.refresh_from_db()
    assert not quillon.reminders_enabled and partner_a.reminders_enabled


def test_a_changed_address_changes_its_digest(quillon):
    quillon.email = "new.address@example.org"
    quillon.save(update_fields=["email"])
    assert list(partners_with_address(EMAIL)) == []
    assert list(partners_with_address("new.address@example.org")) == [quillon]


def test_encrypted_fields_refuse_searches_that_cannot_work(quillon):
    with pytest.raises(FieldError, match="stored encrypted and cannot be searched"):
        Partner.objects.filter(email=EMAIL).exists()
    with pytest.raises(FieldError, match="stored encrypted"):
        Response.objects.filter(answers__contains=ANSWER).exists()
    assert Partner.objects.filter(pk=quillon.pk, email__isnull=False).exists()
