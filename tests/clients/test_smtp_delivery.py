"""The outbox over real SMTP: Django's SMTP backend talking to a server the test starts.

Counted at the server, which never de-duplicates: one DATA per row and a batch over one
connection; a 5xx refusal is permanent, a 4xx or a stalled server transient; after a crash
mid-send, nudges are left "unknown" and every other kind is sent again.
"""

import contextlib
import datetime as dt
import time
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from clients.messaging import message_id
from tests.smtp_servers import (
    FailingData,
    RefusingRecipients,
    RefusingSender,
    Sink,
    Stalling,
    serving,
)
from therapy.alerts import raise_missed_work_alert
from therapy.models import Alert
from worksheets.assignments import assign_worksheet
from worksheets.models import Reminder
from worksheets.outbox import claim_due_reminders, recover_interrupted_sends, send_batch
from worksheets.reminders import plan_alert_email, request_link
from worksheets.responses import save_draft
from worksheets.scheduling import local_to_utc

# Mid-afternoon in New York: outside everyone's quiet hours.
AFTERNOON = local_to_utc(dt.datetime(2026, 5, 4, 14, 0), ZoneInfo("America/New_York"))
EMAIL_TIMEOUT = 2
SENTINEL = "SENTINEL-she-reads-my-messages-5120"


@pytest.fixture
def smtp(settings):
    """Start a server with the given handler and point Django's SMTP backend at it."""
    with contextlib.ExitStack() as servers:

        def start(handler):
            server = servers.enter_context(serving(handler))
            settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            settings.EMAIL_HOST = server.hostname
            settings.EMAIL_PORT = server.port
            settings.EMAIL_TIMEOUT = EMAIL_TIMEOUT
            settings.EMAIL_USE_TLS = False
            settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
            return handler

        yield start


@pytest.fixture
def invitations(couple, daniels_couple, maya, daniel, library):
    """Eight invitations due now: two worksheets for each of two couples."""
    for pair, counselor in ((couple, maya), (daniels_couple, daniel)):
        for slug in ("weekly-checkin", "support-preferences"):
            assign_worksheet(
                couple=pair,
                template=library.get(slug=slug),
                due_at=AFTERNOON + dt.timedelta(days=7),
                assigned_by=counselor,
                now=AFTERNOON,
            )
    return Reminder.objects.filter(kind=Reminder.Kind.INVITATION)


def send_due():
    """Claim what is due and send it as one batch, the way the worker does."""
    ids = claim_due_reminders(now=AFTERNOON, limit=100)
    return ids, send_batch(ids, clock=lambda: AFTERNOON)


def statuses(ids):
    return set(Reminder.objects.filter(pk__in=ids).values_list("status", flat=True))


def test_an_accepted_batch_is_one_data_per_row_over_one_connection(smtp, invitations):
    sink = smtp(Sink())
    ids, _ = send_due()
    assert len(ids) == 8
    assert statuses(ids) == {"sent"}
    assert Counter(sink.message_ids()) == Counter(message_id(f"reminder-{pk}") for pk in ids)
    assert sink.connections == 1
    by_id = {r.message_id: r.recipients for r in sink.received}
    for row in invitations.select_related("partner"):
        assert by_id[message_id(f"reminder-{row.pk}")] == [row.partner.email]


def test_a_batch_sent_twice_reaches_the_server_once(smtp, invitations):
    """A redelivered Celery message repeats nothing: the rows are no longer claimed."""
    sink = smtp(Sink())
    ids, _ = send_due()
    send_batch(ids, clock=lambda: AFTERNOON)
    assert len(sink.received) == len(ids) == 8


def test_a_refused_address_fails_at_once_and_alerts_the_counselors(smtp, invitations):
    server = smtp(RefusingRecipients(code=550))
    ids, results = send_due()
    assert set(results.values()) == {"failed"}
    assert set(Reminder.objects.filter(pk__in=ids).values_list("status", "attempts")) == {
        ("failed", 1)
    }
    alerts = Alert.objects.filter(kind=Alert.Kind.DELIVERY_FAILED)
    assert alerts.count() == len(ids)
    assert server.received == []
    # A refused recipient does not spoil the connection: the batch kept its one.
    assert server.connections == 1


def test_a_451_at_data_puts_the_rows_back_with_backoff(smtp, invitations):
    server = smtp(FailingData())
    ids, _ = send_due()
    for row in Reminder.objects.filter(pk__in=ids):
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "SMTP 451")
        # The first retry waits between half a minute and a minute, jittered.
        assert AFTERNOON + dt.timedelta(seconds=30) <= row.due_at <= AFTERNOON + dt.timedelta(
            minutes=1
        )
    assert server.received == []
    assert not Alert.objects.filter(kind=Alert.Kind.DELIVERY_FAILED).exists()


@pytest.mark.parametrize(
    "server",
    [lambda: RefusingRecipients(code=451), RefusingSender],
    ids=["greylisted-at-rcpt", "rate-limited-at-mail"],
)
def test_a_451_before_data_is_tried_again_later(smtp, invitations, server):
    """Temporary refusals of the recipient (greylisting) or of the sender (a rate limit)."""
    smtp(server())
    ids, _ = send_due()
    assert set(Reminder.objects.filter(pk__in=ids).values_list("status", "last_error")) == {
        ("pending", "SMTP 451")
    }
    assert not Alert.objects.filter(kind=Alert.Kind.DELIVERY_FAILED).exists()


def test_a_stalled_server_is_a_transient_failure_after_the_timeout(smtp, invitations):
    smtp(Stalling())
    [first, *_] = claim_due_reminders(now=AFTERNOON, limit=100)
    started = time.monotonic()
    send_batch([first], clock=lambda: AFTERNOON)
    took = time.monotonic() - started
    assert EMAIL_TIMEOUT <= took < EMAIL_TIMEOUT + 1.5
    row = Reminder.objects.get(pk=first)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "SMTPServerDisconnected" in row.last_error and row.due_at > AFTERNOON


@pytest.mark.parametrize(
    ("server", "error"),
    [(lambda: FailingData(times=1), "SMTP 451"), (lambda: Stalling(times=1), "Disconnected")],
    ids=["451-at-data", "stall"],
)
def test_after_a_transient_failure_the_next_message_reconnects(smtp, invitations, server, error):
    sink = smtp(server())
    ids, results = send_due()
    first, *rest = sorted(ids)
    assert results[first] == "pending" and error in Reminder.objects.get(pk=first).last_error
    assert {results[pk] for pk in rest} == {"sent"}
    assert sink.message_ids() == [message_id(f"reminder-{pk}") for pk in rest]
    assert sink.connections == 2


def test_the_urgent_safety_notice_reaches_the_counselors_with_no_answer_in_it(
    smtp, couple, partner_a, maya, daniel, library
):
    sink = smtp(Sink())
    couple.counselors.add(daniel)
    assignment = assign_worksheet(
        couple=couple,
        template=library.get(slug="support-preferences"),
        due_at=AFTERNOON + dt.timedelta(days=7),
        assigned_by=maya,
        now=AFTERNOON,
    )
    send_due()  # the invitations
    sink.received.clear()

    save_draft(
        response_id=assignment.responses.get(partner=partner_a).pk,
        partner=partner_a,
        answers={"afraid_to_say_no": 5, "help_just_right": SENTINEL},
        now=AFTERNOON,
        item_keys={"afraid_to_say_no", "help_just_right"},
    )
    send_due()

    notice = Reminder.objects.get(kind=Reminder.Kind.SAFETY_NOTICE)
    assert notice.status == "sent"
    [received] = sink.received
    assert received.message_id == message_id(f"reminder-{notice.pk}")
    assert sorted(received.recipients) == sorted([maya.user.email, daniel.user.email])
    data = received.content.decode()
    assert "urgent alert is waiting" in data
    for secret in (
        SENTINEL,
        "afraid",
        "afraid_to_say_no",
        partner_a.display_name,
        couple.label,
        assignment.template.title,
    ):
        assert secret.lower() not in data.lower()


def test_after_a_crash_mid_send_a_nudge_is_left_unknown_and_every_other_kind_sent_again(
    smtp, couple, partner_a, maya, library, settings
):
    """The rows a worker killed mid-batch leaves "sending" (handed to the server or not, it
    cannot say) are settled by their kind's rule once their lease runs out."""
    sink = smtp(Sink())
    assignment = assign_worksheet(
        couple=couple,
        template=library.get(slug="support-preferences"),
        due_at=AFTERNOON + dt.timedelta(days=7),
        assigned_by=maya,
        now=AFTERNOON,
    )
    response = assignment.responses.get(partner=partner_a)
    Reminder.objects.filter(response=response, kind=Reminder.Kind.DUE_DAY).update(due_at=AFTERNOON)
    request_link(partner=partner_a, now=AFTERNOON)
    save_draft(
        response_id=response.pk,
        partner=partner_a,
        answers={"afraid_to_say_no": 5},
        now=AFTERNOON,
        item_keys={"afraid_to_say_no"},
    )
    maya.alert_by_email = True
    maya.save(update_fields=["alert_by_email"])
    alert = raise_missed_work_alert(response=response, now=AFTERNOON)
    plan_alert_email(alert=alert, partner=partner_a, now=AFTERNOON)
    ids = claim_due_reminders(now=AFTERNOON, limit=100)
    # What the dead worker left: every row of its batch committed "sending", none recorded.
    Reminder.objects.filter(pk__in=ids).update(
        status="sending", attempts=1, lease_until=AFTERNOON + settings.OUTBOX_SENDING_LEASE
    )

    later = AFTERNOON + settings.OUTBOX_SENDING_LEASE + dt.timedelta(seconds=1)
    again = recover_interrupted_sends(now=later, limit=100)
    send_batch(again, clock=lambda: later)

    assert sorted(Reminder.objects.filter(pk__in=ids).values_list("kind", "status")) == [
        ("alert_email", "sent"),
        ("due_day", "unknown"),
        ("invitation", "sent"),
        ("invitation", "sent"),
        ("link", "sent"),
        ("safety_notice", "sent"),
    ]
    assert sorted(sink.message_ids()) == sorted(message_id(f"reminder-{pk}") for pk in again)
    assert len(again) == 5
