"""Webhooks go out through the outbox to a real local receiver, which verifies each one with
the independent `standardwebhooks` library: signed, fresh, the same webhook-id on every
retry, retried with backoff, failed with an alert, paused by 410 Gone, and scoped to the
practice whose event it is."""

import datetime as dt
import json
import socket

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import CounselorFactory, PracticeFactory, couple_with_partners
from tests.webhook_receiver import Receiver
from therapy import webhooks
from therapy.alerts import raise_missed_work_alert
from therapy.models import Alert, WebhookSubscription
from worksheets.assignments import assign_worksheet
from worksheets.models import Reminder
from worksheets.outbox import (
    MAX_ATTEMPTS,
    claim_due_reminders,
    recover_interrupted_sends,
    send_batch,
)
from worksheets.reminders import report_overdue_work
from worksheets.responses import submit_response

ALL_EVENTS = [event for event, _ in webhooks.EVENT_TYPES]
FULL_ANSWERS = {
    "confided": 4,
    "own_time": 3,
    "needs_on_hold": 2,
    "went_it_alone": 2,
    "balance_felt_right": 4,
}
Status = Reminder.Status


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = True
    settings.WEBHOOK_TIMEOUT = 1


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def subscribe(receiver, practice, path="/hooks", events=ALL_EVENTS):
    subscription, secret = webhooks.create_subscription(
        practice=practice,
        url=receiver.url(path),
        events=events,
        created_by=None,
        now=timezone.now(),
    )
    receiver.secrets[path] = secret
    return subscription


@pytest.fixture
def subscription(receiver, practice):
    return subscribe(receiver, practice)


@pytest.fixture
def assignment(couple, checkin, maya):
    now = timezone.now()
    return assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=now + dt.timedelta(days=7),
        assigned_by=maya,
        now=now,
    )


def deliver_webhooks(now=None) -> dict[int, str]:
    """One sweep and one send batch of the webhooks due at `now`, as the worker runs them."""
    now = now or timezone.now()
    claimed = claim_due_reminders(now=now, limit=500)
    ids = list(
        Reminder.objects.filter(pk__in=claimed, kind=Reminder.Kind.WEBHOOK).values_list(
            "pk", flat=True
        )
    )
    return send_batch(ids, clock=lambda: now)


def submit(assignment, partner, answers=FULL_ANSWERS):
    response = assignment.responses.get(partner=partner)
    return submit_response(
        response_id=response.pk, partner=partner, answers=answers, now=timezone.now()
    )


def test_a_submission_reaches_the_receiver_signed_and_fresh(
    receiver, subscription, assignment, partner_a
):
    response = submit(assignment, partner_a)
    assert deliver_webhooks() != {}
    [got] = receiver.received
    assert got.signature_valid
    assert abs(got.received_at - got.timestamp) < 5
    body = json.loads(got.body)
    assert body["type"] == "response.submitted"
    assert body["data"]["response_id"] == response.pk
    assert body["data"]["partner_id"] == partner_a.pk
    assert body["data"]["scores"]["preferred_balance"] == response.preferred_balance
    row = Reminder.objects.get(kind=Reminder.Kind.WEBHOOK)
    assert (row.status, row.attempts, row.response_code) == (Status.SENT, 1, 200)
    assert row.event_id == got.webhook_id


def test_the_event_is_written_with_the_submission_it_reports(subscription, assignment, partner_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(assignment, partner_a)
        raise RuntimeError("the submission's transaction rolls back")
    assert not Reminder.objects.filter(kind=Reminder.Kind.WEBHOOK).exists()
    submit(assignment, partner_a)
    [row] = Reminder.objects.filter(kind=Reminder.Kind.WEBHOOK)
    assert (row.partner_id, row.event_type, row.status) == (
        partner_a.pk,
        "response.submitted",
        Status.PENDING,
    )


def test_a_receiver_failing_twice_gets_it_on_the_third_attempt_with_the_same_id(
    receiver, subscription, assignment, partner_a
):
    receiver.script = [500, 503]
    submit(assignment, partner_a)
    now = timezone.now()
    for attempt in (1, 2):
        deliver_webhooks(now)
        row = Reminder.objects.get(kind=Reminder.Kind.WEBHOOK)
        assert (row.status, row.attempts) == (Status.PENDING, attempt)
        # The outbox's backoff: between half and all of one minute doubled per attempt.
        ceiling = 60 * 2 ** (attempt - 1)
        assert ceiling / 2 <= (row.due_at - now).total_seconds() <= ceiling
        # Not before its time.
        assert deliver_webhooks(row.due_at - dt.timedelta(seconds=1)) == {}
        now = row.due_at
    deliver_webhooks(now)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_code) == (Status.SENT, 3, 200)
    assert [r.signature_valid for r in receiver.received] == [True, True, True]
    assert len({r.webhook_id for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1


def test_410_gone_pauses_the_subscription_and_fails_the_row(
    receiver, subscription, assignment, partner_a, partner_b
):
    receiver.script = [410]
    submit(assignment, partner_a)
    deliver_webhooks()
    row = Reminder.objects.get(kind=Reminder.Kind.WEBHOOK)
    assert (row.status, row.attempts, row.response_code) == (Status.FAILED, 1, 410)
    subscription.refresh_from_db()
    assert subscription.status == WebhookSubscription.Status.PAUSED
    assert "410" in subscription.paused_reason
    submit(assignment, partner_b)
    deliver_webhooks()
    assert len(receiver.received) == 1  # nothing more goes to a paused subscription


def test_another_4xx_fails_at_once_and_raises_the_outbox_alert(
    receiver, subscription, assignment, partner_a, couple
):
    receiver.script = [400]
    submit(assignment, partner_a)
    deliver_webhooks()
    row = Reminder.objects.get(event_type="response.submitted")
    assert (row.status, row.attempts, row.last_error) == (Status.FAILED, 1, "HTTP 400")
    subscription.refresh_from_db()
    assert subscription.is_active  # only a 410 pauses it
    alert = couple.alerts.get(kind=Alert.Kind.DELIVERY_FAILED)
    assert "127.0.0.1" in alert.reason and "HTTP 400" in alert.reason
    # The alert is an event too, told to the practice's systems like any other.
    assert Reminder.objects.filter(event_type="alert.raised").count() == 1


def test_a_receiver_that_keeps_failing_ends_failed_after_the_outbox_attempts(
    receiver, subscription, assignment, partner_a, couple
):
    receiver.script = [503] * MAX_ATTEMPTS
    submit(assignment, partner_a)
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        deliver_webhooks(now)
        now = Reminder.objects.get(event_type="response.submitted").due_at
    row = Reminder.objects.get(event_type="response.submitted")
    assert (row.status, row.attempts, row.response_code) == (Status.FAILED, MAX_ATTEMPTS, 503)
    assert len(receiver.received) == MAX_ATTEMPTS
    assert couple.alerts.filter(kind=Alert.Kind.DELIVERY_FAILED).count() == 1


def test_a_stalling_receiver_times_out_and_is_tried_again(
    receiver, subscription, assignment, partner_a
):
    receiver.script = ["stall"]
    submit(assignment, partner_a)
    deliver_webhooks()
    row = Reminder.objects.get(kind=Reminder.Kind.WEBHOOK)
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert "did not answer in time" in row.last_error
    deliver_webhooks(row.due_at)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert len({r.webhook_id for r in receiver.received}) == 1


def test_a_send_cut_short_by_a_crash_is_sent_again_with_the_same_webhook_id(
    receiver, subscription, assignment, partner_a
):
    submit(assignment, partner_a)
    deliver_webhooks()
    # The worker died after the receiver took it, before the outcome was recorded.
    now = timezone.now()
    Reminder.objects.filter(kind=Reminder.Kind.WEBHOOK).update(
        status=Status.SENDING, lease_until=now - dt.timedelta(seconds=1)
    )
    again = recover_interrupted_sends(now=now, limit=10)
    send_batch(again, clock=lambda: now)
    assert [r.signature_valid for r in receiver.received] == [True, True]
    assert receiver.received[0].webhook_id == receiver.received[1].webhook_id
    assert Reminder.objects.get(kind=Reminder.Kind.WEBHOOK).status == Status.SENT


def test_a_practices_events_go_to_its_own_subscriptions_only(
    receiver, practice, subscription, assignment, partner_a, library
):
    elsewhere = PracticeFactory(name="Elsewhere")
    subscribe(receiver, elsewhere, path="/elsewhere")
    their_counselor = CounselorFactory(practice=elsewhere)
    their_couple = couple_with_partners(counselor=their_counselor, label="Other & Other")
    now = timezone.now()
    theirs = assign_worksheet(
        couple=their_couple,
        template=library.get(slug="weekly-checkin"),
        due_at=now + dt.timedelta(days=7),
        assigned_by=their_counselor,
        now=now,
    )
    ours = submit(assignment, partner_a)
    their_partner = their_couple.partners.order_by("pk").first()
    their_response = submit(theirs, their_partner)
    deliver_webhooks()
    by_path = {r.path: json.loads(r.body)["data"]["response_id"] for r in receiver.received}
    assert by_path == {"/hooks": ours.pk, "/elsewhere": their_response.pk}


def test_an_alert_is_told_by_ids_and_kind_never_its_reason(
    receiver, subscription, assignment, partner_a
):
    response = assignment.responses.get(partner=partner_a)
    alert = raise_missed_work_alert(response=response, now=timezone.now())
    deliver_webhooks()
    [got] = receiver.received
    assert got.signature_valid
    body = json.loads(got.body)
    assert body["type"] == "alert.raised"
    assert body["data"] == {
        "alert_id": alert.pk,
        "kind": "missed_work",
        "urgent": False,
        "couple_id": response.assignment.couple_id,
        "response_id": response.pk,
        "partner_id": partner_a.pk,
        "created_at": body["data"]["created_at"],
    }
    assert partner_a.display_name not in got.body.decode()
    assert "Weekly" not in got.body.decode()


def test_work_that_becomes_overdue_is_told_once_even_with_reminders_off(
    receiver, subscription, couple, checkin, maya, partner_a, partner_b
):
    partner_b.reminders_enabled = False
    partner_b.save()
    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=now + dt.timedelta(hours=1),
        assigned_by=maya,
        now=now,
    )
    submit(assignment, partner_a)  # handed in on time: never overdue
    assert report_overdue_work(now=now, limit=100) == 0
    later = now + dt.timedelta(hours=1, minutes=1)
    assert report_overdue_work(now=later, limit=100) == 1
    assert report_overdue_work(now=later + dt.timedelta(minutes=1), limit=100) == 0
    deliver_webhooks(later)
    overdue = [json.loads(r.body) for r in receiver.received]
    overdue = [b for b in overdue if b["type"] == "assignment.overdue"]
    assert [b["data"]["partner_id"] for b in overdue] == [partner_b.pk]
    assert overdue[0]["data"]["response_id"] == assignment.responses.get(partner=partner_b).pk


def test_a_subscription_receives_only_the_events_it_chose(
    receiver, practice, assignment, partner_a
):
    subscribe(receiver, practice, events=["alert.raised"])
    submit(assignment, partner_a)
    assert not Reminder.objects.filter(kind=Reminder.Kind.WEBHOOK).exists()


def test_a_rotated_secret_signs_what_is_sent_after(receiver, subscription, assignment, partner_a):
    submit(assignment, partner_a)
    old = receiver.secrets["/hooks"]
    receiver.secrets["/hooks"] = webhooks.rotate_secret(
        subscription=subscription, now=timezone.now()
    )
    assert receiver.secrets["/hooks"] != old
    deliver_webhooks()
    assert [r.signature_valid for r in receiver.received] == [True]


@pytest.mark.parametrize("deliveries", [2, 6])
def test_a_batch_of_webhooks_costs_a_query_per_post_and_three_more(
    receiver, subscription, assignment, partner_a, deliveries
):
    now = timezone.now()
    for _ in range(deliveries):
        webhooks.emit(
            webhooks.Event("alert.raised", subscription.practice_id, partner_a.pk, {}), now=now
        )
    claimed = claim_due_reminders(now=now, limit=500)
    ids = list(
        Reminder.objects.filter(pk__in=claimed, kind=Reminder.Kind.WEBHOOK).values_list(
            "pk", flat=True
        )
    )
    with CaptureQueriesContext(connection) as queries:
        send_batch(ids, clock=lambda: now)
    # The batch with its subscriptions; one per row to mark it "sending"; the outcomes in
    # one statement; releasing the batch's locks. One connection serves every POST.
    assert len(queries) == deliveries + 3
    assert len(receiver.received) == deliveries
    assert len({r.client_port for r in receiver.received}) == 1


def test_a_partners_quiet_hours_and_opt_out_do_not_hold_a_webhook(
    receiver, subscription, assignment, partner_a
):
    # Quiet all day but one minute, and no reminders: for messages to the partner.
    partner_a.quiet_hours_start, partner_a.quiet_hours_end = dt.time(0, 0), dt.time(23, 59)
    partner_a.reminders_enabled = False
    partner_a.save()
    submit(assignment, partner_a)
    deliver_webhooks()
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["response.submitted"]


def test_a_name_pointed_at_a_private_address_after_the_check_is_refused_before_sending(
    receiver, subscription, assignment, partner_a, settings, monkeypatch
):
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = False
    port = int(receiver.url().rsplit(":", 1)[1].split("/")[0])
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        url=f"https://localhost:{port}/hooks"
    )
    # The name looks public when checked, and leads to this machine when connected to.
    public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: public)
    submit(assignment, partner_a)
    deliver_webhooks()
    row = Reminder.objects.get(event_type="response.submitted")
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert row.last_error == "Not sent: the address led to a private network."
    assert receiver.received == []
