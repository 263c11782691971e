"""A partner submits while their reminder is going out: the reminder is recorded as sent
before the submission commits, or not sent at all; never sent after the work was handed in."""

import datetime as dt
import threading
import time

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from tests.worksheets import blocking_mail
from worksheets.assignments import assign_worksheet
from worksheets.models import Reminder
from worksheets.outbox import claim_due_reminders, send_reminder
from worksheets.responses import submit_response

pytestmark = pytest.mark.django_db(transaction=True)
ANSWERS = {
    "confided": 3,
    "own_time": 3,
    "needs_on_hold": 3,
    "went_it_alone": 3,
    "balance_felt_right": 3,
}


@pytest.fixture
def claimed_invitation(couple, checkin, maya, partner_a):
    now = timezone.now().replace(hour=16)  # afternoon in New York, outside quiet hours
    assignment = assign_worksheet(
        couple=couple,
        template=checkin,
        assigned_by=maya,
        due_at=now + dt.timedelta(days=4),
        now=now,
    )
    claim_due_reminders(now=now, limit=10)
    reminder = Reminder.objects.get(response__partner=partner_a, kind="invitation")
    return reminder, assignment.responses.get(partner=partner_a), now


def in_thread(target, finished, name):
    def run():
        try:
            target()
        finally:
            finished.append((name, time.monotonic()))
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_submission_during_a_send_waits_until_the_send_is_recorded(
    claimed_invitation, partner_a, settings
):
    settings.EMAIL_BACKEND = "tests.worksheets.blocking_mail.BlockingBackend"
    blocking_mail.entered.clear()
    blocking_mail.release.clear()
    reminder, response, now = claimed_invitation
    finished = []
    sender = in_thread(lambda: send_reminder(reminder_id=reminder.pk, now=now), finished, "send")
    assert blocking_mail.entered.wait(timeout=10), "the send never reached the provider"
    submitter = in_thread(
        lambda: submit_response(
            response_id=response.pk, partner=partner_a, answers=ANSWERS, now=now
        ),
        finished,
        "submit",
    )
    time.sleep(0.5)
    assert submitter.is_alive(), "the submission did not wait for the send in progress"
    blocking_mail.release.set()
    sender.join(timeout=10)
    submitter.join(timeout=10)
    assert [name for name, _ in finished] == ["send", "submit"]
    reminder.refresh_from_db()
    response.refresh_from_db()
    assert reminder.status == "sent" and response.status == "submitted"
    assert len(mail.outbox) == 1


def test_a_send_after_the_submission_sends_nothing(claimed_invitation, partner_a):
    reminder, response, now = claimed_invitation
    submit_response(response_id=response.pk, partner=partner_a, answers=ANSWERS, now=now)
    assert send_reminder(reminder_id=reminder.pk, now=now) == "cancelled"
    assert mail.outbox == []


def test_a_submission_waits_at_most_a_second_for_a_stalled_send(
    claimed_invitation, partner_a, settings
):
    """The provider hangs mid-send: the submission goes in after SUBMIT_WAIT_FOR_SEND_MS, and
    the message already handed to the provider is the only one; nothing starts after."""
    settings.EMAIL_BACKEND = "tests.worksheets.blocking_mail.BlockingBackend"
    blocking_mail.entered.clear()
    blocking_mail.release.clear()
    reminder, response, now = claimed_invitation
    finished = []
    sender = in_thread(lambda: send_reminder(reminder_id=reminder.pk, now=now), finished, "send")
    assert blocking_mail.entered.wait(timeout=10), "the send never reached the provider"
    started = time.monotonic()
    submitter = in_thread(
        lambda: submit_response(
            response_id=response.pk, partner=partner_a, answers=ANSWERS, now=now
        ),
        finished,
        "submit",
    )
    submitter.join(timeout=10)
    waited = time.monotonic() - started
    print(f"race: the submission waited {waited:.2f}s for a stalled send")
    assert not submitter.is_alive()
    assert 0.9 <= waited <= 1.5, waited
    response.refresh_from_db()
    assert response.status == "submitted"
    # The nudges planned for this response are cancelled, so none can start after.
    assert not Reminder.objects.filter(response=response).open().exists()
    blocking_mail.release.set()
    sender.join(timeout=10)
    reminder.refresh_from_db()
    assert reminder.status == "sent"
    assert len(mail.outbox) == 1


def test_a_submission_waits_for_a_quick_send_then_goes_in(claimed_invitation, partner_a, settings):
    """Measured in the race above: with a provider that answers, the wait is the send's time."""
    settings.EMAIL_BACKEND = "tests.worksheets.blocking_mail.BlockingBackend"
    blocking_mail.entered.clear()
    blocking_mail.release.clear()
    reminder, response, now = claimed_invitation
    finished = []
    sender = in_thread(lambda: send_reminder(reminder_id=reminder.pk, now=now), finished, "send")
    assert blocking_mail.entered.wait(timeout=10)
    started = time.monotonic()
    submitter = in_thread(
        lambda: submit_response(
            response_id=response.pk, partner=partner_a, answers=ANSWERS, now=now
        ),
        finished,
        "submit",
    )
    time.sleep(0.2)
    blocking_mail.release.set()
    submitter.join(timeout=10)
    sender.join(timeout=10)
    waited = time.monotonic() - started
    assert waited < 1.0
    assert [name for name, _ in finished] == ["send", "submit"]
