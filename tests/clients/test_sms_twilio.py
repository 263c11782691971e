"""Text messages through Twilio's client library, to a local server that speaks Twilio's API:
what reaches Twilio, and how each of its answers is recorded on the outbox row."""

import datetime as dt
import logging
import socket
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from tests.conftest import portal_sign_in
from tests.sms_server import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER
from therapy.models import Alert
from worksheets.assignments import assign_worksheet
from worksheets.models import Reminder
from worksheets.outbox import claim_due_reminders, send_batch
from worksheets.responses import save_draft
from worksheets.scheduling import local_to_utc

NEW_YORK = ZoneInfo("America/New_York")
# Mid-afternoon in New York: outside everyone's quiet hours.
AFTERNOON = local_to_utc(dt.datetime(2026, 5, 4, 14, 0), NEW_YORK)
DUE = AFTERNOON + dt.timedelta(days=7)
MOBILE = "+12015550123"


def by_text(partner, phone=MOBILE):
    partner.channel = "sms"
    partner.phone = phone
    partner.save()


def send_due(now):
    """One sweep and its batch, through the outbox, as of `now`."""
    return send_batch(claim_due_reminders(now=now, limit=100), clock=lambda: now)


@pytest.fixture
def for_b(couple, checkin, maya, partner_b):
    """A worksheet for partner B alone, who takes reminders by text."""
    by_text(partner_b)
    return assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=DUE,
        assigned_by=maya,
        now=AFTERNOON,
        for_partner=partner_b,
    )


def invitation_of(partner):
    return Reminder.objects.get(partner=partner, kind="invitation")


def test_an_invitation_by_text_reaches_twilio_once_with_the_number_in_e164(
    twilio, client, couple, checkin, maya, partner_a, partner_b
):
    portal_sign_in(client, partner_b)
    client.post(
        "/portal/preferences/",
        {
            "time_zone": "America/New_York",
            "quiet_hours_start": "21:00",
            "quiet_hours_end": "08:00",
            "preferred_hour": "18",
            "channel": "sms",
            "phone": "(201) 555-0123",
            "reminders_enabled": "on",
        },
    )
    assign_worksheet(couple=couple, template=checkin, due_at=DUE, assigned_by=maya, now=AFTERNOON)
    assert sorted(send_due(AFTERNOON).values()) == ["sent", "sent"]
    [request] = twilio.messages()
    row = invitation_of(partner_b)
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert (request.form["To"], request.form["From"]) == ("+12015550123", FROM_NUMBER)
    assert request.form["StatusCallback"] == (
        f"https://couples.example.org/sms/status/?row=reminder-{row.pk}"
    )
    body = request.form["Body"]
    assert body.startswith("New worksheet from your counselor: Weekly check-in")
    assert "https://couples.example.org/p/" in body and "Stop reminders: https://" in body
    assert (row.status, row.provider_id, row.attempts) == ("sent", request.sid, 1)
    assert row.provider_id.startswith("SM")
    # Partner A takes e-mail: nothing of theirs went to Twilio.
    assert [message.to for message in mail.outbox] == [[partner_a.email]]


def test_a_nudge_by_text_carries_none_of_the_partners_answers(twilio, for_b, partner_b):
    send_due(AFTERNOON)
    response = for_b.responses.get(partner=partner_b)
    save_draft(
        response_id=response.pk,
        partner=partner_b,
        answers={"confided": 4, "note_for_counselor": "He read my journal on Sunday"},
        now=AFTERNOON + dt.timedelta(hours=1),
    )
    nudge = Reminder.objects.get(partner=partner_b, kind="before_due")
    assert send_due(nudge.due_at) == {nudge.pk: "sent"}
    [_, request] = twilio.messages()
    body = request.form["Body"]
    assert body.startswith("Reminder: Weekly check-in on closeness and space is due")
    assert "journal" not in body and "confided" not in body


def test_a_messaging_service_sends_in_place_of_a_number(twilio, settings, for_b, partner_b):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "a1b2c3d4" * 4
    assert send_due(AFTERNOON) == {invitation_of(partner_b).pk: "sent"}
    [request] = twilio.messages()
    assert request.form["MessagingServiceSid"] == settings.TWILIO_MESSAGING_SERVICE_SID
    assert "From" not in request.form


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (21211, "not a valid phone number"),
        (21610, "the recipient texted STOP to our number"),
        (21614, "not a mobile number"),
    ],
)
def test_a_number_twilio_refuses_fails_at_once_and_tells_the_counselor(
    twilio, for_b, partner_b, caplog, code, reason
):
    caplog.set_level(logging.DEBUG)
    twilio.refuse(code)
    row = invitation_of(partner_b)
    assert send_due(AFTERNOON) == {row.pk: "failed"}
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == f"Twilio refused the number: {reason} (error {code})"
    assert len(twilio.messages()) == 1
    # Nothing is tried again later.
    assert claim_due_reminders(now=AFTERNOON + dt.timedelta(hours=4), limit=100) == []
    [alert] = Alert.objects.filter(kind="delivery_failed", response__partner=partner_b)
    assert row.last_error in alert.reason
    # Twilio's own message repeats the number; nothing of it, nor of the text, is logged.
    assert MOBILE not in caplog.text and "New worksheet" not in caplog.text


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("trouble", "error", "reaches_twilio"),
    [
        ("server error", "Twilio could not take the message now (HTTP 500)", True),
        ("too many requests", "Twilio could not take the message now (HTTP 429)", True),
        ("stall", "Twilio did not answer in time", True),
        ("wrong credentials", "Twilio refused our account settings (HTTP 401, error 20003)", True),
        ("unreachable", "Could not connect to Twilio", False),
    ],
)
def test_twilio_in_trouble_puts_the_text_back_to_try_again_after_a_backoff(
    twilio, settings, for_b, partner_b, trouble, error, reaches_twilio
):
    if trouble == "server error":
        twilio.fail(500)
    elif trouble == "too many requests":
        twilio.fail(429)
    elif trouble == "stall":
        twilio.stall()  # past the client's timeout of one second
    elif trouble == "wrong credentials":
        settings.TWILIO_AUTH_TOKEN = "0" * 32
    else:
        settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{closed_port()}"
    row = invitation_of(partner_b)
    assert send_due(AFTERNOON) == {row.pk: "pending"}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, error)
    # The first retry waits between 30 and 60 seconds (exponential backoff, with jitter).
    assert dt.timedelta(seconds=30) <= row.due_at - AFTERNOON <= dt.timedelta(seconds=60)
    assert row.provider_id == ""
    assert len(twilio.messages()) == (1 if reaches_twilio else 0)
    assert claim_due_reminders(now=AFTERNOON + dt.timedelta(seconds=20), limit=100) == []

    twilio.succeed()
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_API_BASE_URL = twilio.base_url
    assert send_due(row.due_at) == {row.pk: "sent"}
    # Twilio takes no idempotency key: had it taken the stalled request, this is a second text.
    assert len(twilio.messages()) == (2 if reaches_twilio else 1)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.provider_id) == ("sent", 2, twilio.messages()[-1].sid)


def test_a_nudge_twilio_may_have_taken_before_it_stalled_is_never_sent_twice(
    twilio, for_b, partner_b
):
    """A stalled request may have reached Twilio. An invitation tries again (above); a nudge
    is recorded as outcome unknown and not sent again, even when resent by a later sweep."""
    send_due(AFTERNOON)
    nudge = Reminder.objects.get(partner=partner_b, kind="before_due")
    twilio.stall()
    assert send_due(nudge.due_at) == {nudge.pk: "unknown"}
    nudge.refresh_from_db()
    assert nudge.last_error.startswith("Outcome unknown")
    twilio.succeed()
    later = nudge.due_at + dt.timedelta(hours=3)
    assert nudge.pk not in send_due(later)
    requests_for_nudge = [m for m in twilio.messages() if "due" in m.form["Body"]]
    assert len(requests_for_nudge) == 1
