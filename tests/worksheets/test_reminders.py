import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from worksheets.assignments import assign_worksheet, cancel_assignment
from worksheets.models import Reminder
from worksheets.outbox import claim_due_reminders, send_reminder
from worksheets.responses import submit_response
from worksheets.scheduling import local_to_utc

NEW_YORK = ZoneInfo("America/New_York")
# Mid-afternoon in New York: outside everyone's quiet hours.
AFTERNOON = local_to_utc(dt.datetime(2026, 5, 4, 14, 0), NEW_YORK)
FULL_ANSWERS = {
    "confided": 4,
    "own_time": 3,
    "needs_on_hold": 2,
    "went_it_alone": 2,
    "balance_felt_right": 4,
}


@pytest.fixture
def assignment(couple, checkin, maya):
    return assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=AFTERNOON + dt.timedelta(days=7),
        assigned_by=maya,
        now=AFTERNOON,
    )


def send_all_due(now):
    return {
        rid: send_reminder(reminder_id=rid, now=now)
        for rid in claim_due_reminders(now=now, limit=100)
    }


def test_assigning_writes_the_whole_plan_for_each_partner(assignment):
    kinds = sorted(
        Reminder.objects.filter(response__assignment=assignment).values_list(
            "response__partner__display_name", "kind"
        )
    )
    plan = ["before_due", "counselor_alert", "due_day", "invitation", "overdue_first"]
    assert kinds == [("Alex", kind) for kind in plan] + [("Sam", kind) for kind in plan]


def test_the_invitation_e_mail_carries_a_personal_link(assignment, partner_a, partner_b):
    outcomes = send_all_due(AFTERNOON)
    assert sorted(outcomes.values()) == ["sent", "sent"]
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {partner_a.email, partner_b.email}
    body = by_recipient[partner_a.email].body
    assert "Weekly check-in on closeness and space" in body
    assert re.search(r"http://\S+/p/[\w-]{40,}/", body)


def test_a_claimed_row_is_not_claimed_again_until_its_lease_runs_out(assignment):
    first = claim_due_reminders(now=AFTERNOON, limit=100)
    assert len(first) == 2
    assert claim_due_reminders(now=AFTERNOON + dt.timedelta(minutes=1), limit=100) == []
    # The worker that held them died: after the lease the rows are claimed again.
    assert sorted(claim_due_reminders(now=AFTERNOON + dt.timedelta(hours=1), limit=100)) == sorted(
        first
    )


def test_a_second_delivery_of_the_same_send_does_nothing(assignment):
    [reminder_id, _] = claim_due_reminders(now=AFTERNOON, limit=100)
    assert send_reminder(reminder_id=reminder_id, now=AFTERNOON) == "sent"
    assert send_reminder(reminder_id=reminder_id, now=AFTERNOON) == "sent"
    assert len(mail.outbox) == 1


def test_the_partner_who_submitted_gets_no_nudge_and_the_other_does(
    assignment, partner_a, partner_b
):
    send_all_due(AFTERNOON)
    mail.outbox.clear()
    response_a = assignment.responses.get(partner=partner_a)
    submit_response(
        response_id=response_a.pk,
        partner=partner_a,
        answers=FULL_ANSWERS,
        now=AFTERNOON + dt.timedelta(days=1),
    )
    send_all_due(AFTERNOON + dt.timedelta(days=6))
    assert [message.to[0] for message in mail.outbox] == [partner_b.email]
    assert set(
        response_a.reminders.exclude(kind="invitation").values_list("status", flat=True)
    ) == {"cancelled"}


def test_a_nudge_claimed_before_submission_is_skipped_when_sent_after_it(assignment, partner_a):
    send_all_due(AFTERNOON)
    later = AFTERNOON + dt.timedelta(days=6)
    claimed = claim_due_reminders(now=later, limit=100)
    response_a = assignment.responses.get(partner=partner_a)
    submit_response(response_id=response_a.pk, partner=partner_a, answers=FULL_ANSWERS, now=later)
    mail.outbox.clear()
    for reminder_id in claimed:
        send_reminder(reminder_id=reminder_id, now=later)
    assert partner_a.email not in [message.to[0] for message in mail.outbox]


def test_a_cancelled_assignment_sends_nothing_more(assignment):
    cancel_assignment(assignment=assignment)
    assert send_all_due(AFTERNOON + dt.timedelta(days=8)) == {}
    assert mail.outbox == []


def test_nudges_are_skipped_for_a_partner_who_turned_reminders_off(assignment, partner_b):
    partner_b.reminders_enabled = False
    partner_b.save()
    send_all_due(AFTERNOON)
    mail.outbox.clear()
    outcomes = send_all_due(AFTERNOON + dt.timedelta(days=6))
    skipped = Reminder.objects.get(pk__in=outcomes, response__partner=partner_b)
    assert skipped.status == "skipped"
    assert "turned reminders off" in skipped.last_error
    assert partner_b.email not in [message.to[0] for message in mail.outbox]


def test_a_send_that_falls_in_quiet_hours_waits_for_the_morning(assignment, partner_a):
    # The row came due in the afternoon but the worker only got to it at 23:30 local.
    late = local_to_utc(dt.datetime(2026, 5, 4, 23, 30), NEW_YORK)
    claimed = claim_due_reminders(now=late, limit=100)
    outcomes = {send_reminder(reminder_id=rid, now=late) for rid in claimed}
    assert outcomes == {"pending"}
    invitation = Reminder.objects.get(response__partner=partner_a, kind="invitation")
    assert invitation.due_at.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(
        2026, 5, 5, 8, 0
    )
    assert mail.outbox == []


def test_a_transient_failure_retries_later_with_backoff(assignment, settings):
    settings.EMAIL_BACKEND = "tests.worksheets.failing_mail.TemporarilyDownBackend"
    [reminder_id, _] = claim_due_reminders(now=AFTERNOON, limit=100)
    assert send_reminder(reminder_id=reminder_id, now=AFTERNOON) == "pending"
    row = Reminder.objects.get(pk=reminder_id)
    assert row.attempts == 1
    assert "SMTPServerDisconnected" in row.last_error
    assert AFTERNOON + dt.timedelta(seconds=30) <= row.due_at <= AFTERNOON + dt.timedelta(minutes=1)


def test_a_reminder_that_keeps_failing_ends_as_failed(assignment, settings):
    settings.EMAIL_BACKEND = "tests.worksheets.failing_mail.TemporarilyDownBackend"
    moment = AFTERNOON
    for _ in range(10):
        send_all_due(moment)
        moment += dt.timedelta(hours=3)
    invitations = Reminder.objects.filter(kind="invitation")
    assert set(invitations.values_list("status", "attempts")) == {("failed", 5)}


def test_a_refused_address_fails_at_once(assignment, settings):
    settings.EMAIL_BACKEND = "tests.worksheets.failing_mail.RefusingBackend"
    [reminder_id, _] = claim_due_reminders(now=AFTERNOON, limit=100)
    assert send_reminder(reminder_id=reminder_id, now=AFTERNOON) == "failed"
    assert Reminder.objects.get(pk=reminder_id).attempts == 1


def test_a_vanished_row_is_a_normal_exit(db):
    assert send_reminder(reminder_id=987654, now=AFTERNOON) == "gone"


def test_no_reminder_e_mail_contains_the_partners_answers(assignment, partner_a):
    send_all_due(AFTERNOON)
    response_a = assignment.responses.get(partner=partner_a)
    secret = "SENTINEL-private-note-4411"
    submit_response(
        response_id=response_a.pk,
        partner=partner_a,
        answers={**FULL_ANSWERS, "note_for_counselor": secret},
        now=AFTERNOON,
    )
    send_all_due(AFTERNOON + dt.timedelta(days=7))
    assert all(secret not in message.body for message in mail.outbox)
