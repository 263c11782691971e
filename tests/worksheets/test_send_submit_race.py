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
