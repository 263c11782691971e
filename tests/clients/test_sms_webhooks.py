"""What Twilio posts back, signed: delivery reports on our texts, and the texts partners send
to our number (STOP and START)."""

import datetime as dt
import logging
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client

from tests.factories import PartnerFactory
from therapy.models import Alert
from worksheets.assignments import assign_worksheet
from worksheets.models import Reminder
from worksheets.outbox import claim_due_reminders, resend, send_batch
from worksheets.scheduling import local_to_utc

NEW_YORK = ZoneInfo("America/New_York")
# A Monday afternoon in New York, and the end of that Friday.
AFTERNOON = local_to_utc(dt.datetime(2026, 5, 4, 14, 0), NEW_YORK)
DUE = local_to_utc(dt.datetime(2026, 5, 8, 23, 59), NEW_YORK)
B_PHONE = "+12015550123"
A_PHONE = "+12015550177"
INBOUND_URL = "https://couples.example.org/sms/inbound/"


@pytest.fixture
def client():
    """Twilio has no CSRF token to give: the webhooks must work with CSRF checks on."""
    return Client(enforce_csrf_checks=True)


def send_due(now):
    return send_batch(claim_due_reminders(now=now, limit=100), clock=lambda: now)


def post_signed(client, twilio, url, form, *, signature=None):
    """Post `form` as Twilio does: form-encoded to `url`, signed with our auth token unless
    another `signature` is given ("" for none)."""
    signature = twilio.signature(url, form) if signature is None else signature
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return client.post(
        path, urlencode(form), content_type="application/x-www-form-urlencoded", headers=headers
    )


@pytest.fixture
def texted(twilio, couple, checkin, maya, partner_b):
    """Partner B's invitation, sent by text through Twilio: the row and the request."""
    partner_b.channel, partner_b.phone = "sms", B_PHONE
    partner_b.save()
    assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=DUE,
        assigned_by=maya,
        now=AFTERNOON,
        for_partner=partner_b,
    )
    send_due(AFTERNOON)
    [request] = twilio.messages()
    return Reminder.objects.get(partner=partner_b, kind="invitation"), request


def report(client, twilio, request, status, error_code="", **options):
    url, form = twilio.status_callback(request, status, error_code)
    return post_signed(client, twilio, url, form, **options)


def row_state(row):
    row.refresh_from_db()
    return (row.status, row.delivered_at, row.last_error)


# --- Delivery reports ---------------------------------------------------------------------------


def test_a_delivered_report_marks_the_text_delivered(client, twilio, texted):
    row, request = texted
    later = AFTERNOON + dt.timedelta(seconds=5)
    with time_machine.travel(later, tick=False):
        answer = report(client, twilio, request, "delivered")
    assert answer.status_code == 200
    assert row_state(row) == ("delivered", later, "")


@pytest.mark.parametrize("status", ["undelivered", "failed"])
def test_an_undelivered_report_keeps_the_error_code_and_nothing_else(
    client, twilio, texted, status
):
    row, request = texted
    later = AFTERNOON + dt.timedelta(seconds=5)
    with time_machine.travel(later, tick=False):
        answer = report(client, twilio, request, status, error_code="30003")
    assert answer.status_code == 200
    assert row_state(row) == ("undelivered", later, "Not delivered (Twilio error 30003)")


@pytest.mark.parametrize("status", ["queued", "sending", "sent"])
def test_a_report_of_a_text_on_its_way_changes_nothing(client, twilio, texted, status):
    row, request = texted
    before = row_state(row)
    assert report(client, twilio, request, status).status_code == 200
    assert row_state(row) == before == ("sent", None, "")


def test_a_late_sent_report_or_a_repeated_one_leaves_a_delivered_text_as_it_was(
    client, twilio, texted
):
    row, request = texted
    report(client, twilio, request, "delivered")
    delivered = row_state(row)
    report(client, twilio, request, "sent")
    report(client, twilio, request, "delivered")
    report(client, twilio, request, "undelivered", error_code="30005")
    assert row_state(row) == delivered
    assert delivered[0] == "delivered"


def test_a_late_report_on_a_text_put_back_to_be_sent_again_changes_nothing(client, twilio, texted):
    row, request = texted
    report(client, twilio, request, "undelivered", error_code="30003")
    assert resend(reminder_ids=[row.pk], now=AFTERNOON + dt.timedelta(minutes=5)) == 1
    report(client, twilio, request, "delivered")
    assert row_state(row) == ("pending", row.delivered_at, "")


def test_a_report_on_a_message_we_do_not_know_answers_200_and_changes_nothing(
    client, twilio, texted
):
    row, request = texted
    url, form = twilio.status_callback(request, "delivered")
    form = {**form, "MessageSid": "SM" + "f" * 32, "SmsSid": "SM" + "f" * 32}
    assert post_signed(client, twilio, url, form).status_code == 200
    assert row_state(row) == ("sent", None, "")


@pytest.mark.parametrize(
    "forgery", ["another token", "no signature", "another address", "another status"]
)
def test_a_report_without_twilios_signature_is_refused_and_not_logged(
    client, twilio, texted, caplog, forgery
):
    caplog.set_level(logging.DEBUG)
    row, request = texted
    url, form = twilio.status_callback(request, "undelivered", error_code="30003")
    signature = twilio.signature(url, form)
    if forgery == "another token":
        signature = twilio.signature(url, form, token="0" * 32)
    elif forgery == "no signature":
        signature = ""
    elif forgery == "another address":
        url = url.replace("?row=", "?row=9")  # signed for one address, posted to another
    else:
        form = {**form, "MessageStatus": "delivered"}  # signed for another form
    answer = post_signed(client, twilio, url, form, signature=signature)
    assert answer.status_code == 403
    assert row_state(row) == ("sent", None, "")
    assert request.sid not in caplog.text and B_PHONE not in caplog.text


@pytest.mark.django_db(transaction=True)  # the report comes on the server's own thread
def test_a_report_that_comes_before_the_batch_records_its_send_is_kept(
    twilio, couple, checkin, maya, partner_b
):
    """Twilio can report "delivered" before our request for the message has had its answer,
    so before the batch has recorded the message's SID. The report settles the row, and the
    batch's record, coming after, leaves it so."""
    partner_b.channel, partner_b.phone = "sms", B_PHONE
    partner_b.save()
    reports = []

    def report_at_once(request):
        answer = report(Client(enforce_csrf_checks=True), twilio, request, "delivered")
        reports.append((answer.status_code, *row_state(row_of(request))))
        connection.close()  # this thread's own

    def row_of(request):
        [key] = [
            value
            for name, value in parse_qsl(urlsplit(request.form["StatusCallback"]).query)
            if name == "row"
        ]
        return Reminder.objects.get(pk=key.removeprefix("reminder-"))

    twilio.on_message = report_at_once
    assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=DUE,
        assigned_by=maya,
        now=AFTERNOON,
        for_partner=partner_b,
    )
    with time_machine.travel(AFTERNOON, tick=False):
        send_due(AFTERNOON)
    [request] = twilio.messages()
    row = Reminder.objects.get(partner=partner_b, kind="invitation")
    assert reports == [(200, "delivered", AFTERNOON, "")]
    assert row_state(row) == ("delivered", AFTERNOON, "")
    assert (row.provider_id, row.sent_at) == (request.sid, AFTERNOON)


def test_reports_are_read_only_from_posts(client, twilio, texted):
    assert client.get("/sms/status/").status_code == 405


def test_a_text_reported_delivered_still_counts_in_the_counselors_alert(
    twilio, client, couple, checkin, maya, partner_b
):
    """Every nudge is reported delivered; the alert after the last one still counts them."""
    partner_b.channel, partner_b.phone = "sms", B_PHONE
    partner_b.save()
    assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=DUE,
        assigned_by=maya,
        now=AFTERNOON,
        for_partner=partner_b,
    )
    reported = 0
    for hours in range(0, 24 * 12, 6):
        send_due(AFTERNOON + dt.timedelta(hours=hours))
        for request in twilio.messages()[reported:]:
            assert report(client, twilio, request, "delivered").status_code == 200
        reported = len(twilio.messages())
    texts = Reminder.objects.filter(partner=partner_b).exclude(kind="counselor_alert")
    assert sorted(texts.values_list("kind", "status")) == [
        ("before_due", "delivered"),
        ("due_day", "delivered"),
        ("invitation", "delivered"),
        ("overdue_first", "delivered"),
    ]
    alert = Alert.objects.get(kind="missed_work", response__partner=partner_b)
    assert "after 3 reminders" in alert.reason


# --- Texts partners send to our number ------------------------------------------------------------


@pytest.fixture
def both_by_text(partner_a, partner_b):
    for partner, phone in ((partner_a, A_PHONE), (partner_b, B_PHONE)):
        partner.channel, partner.phone = "sms", phone
        partner.save()


def text_us(client, twilio, sender, body, **options):
    url, form = twilio.incoming_text(INBOUND_URL, sender=sender, body=body)
    return post_signed(client, twilio, url, form, **options)


def reminders_on(*partners):
    return [type(partner).objects.get(pk=partner.pk).reminders_enabled for partner in partners]


@pytest.mark.parametrize(
    "body", ["STOP", "stop", "  Stop\n", "STOPALL", "unsubscribe", "Cancel", "END", "quit"]
)
def test_stop_turns_reminders_off_for_that_partner_only(
    client, twilio, both_by_text, partner_a, partner_b, body
):
    answer = text_us(client, twilio, B_PHONE, body)
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/xml")
    assert answer.content.decode() == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    assert reminders_on(partner_a, partner_b) == [True, False]


@pytest.mark.parametrize("body", ["START", "unstop", " yes "])
def test_start_turns_them_on_again(client, twilio, both_by_text, partner_a, partner_b, body):
    text_us(client, twilio, B_PHONE, "STOP")
    answer = text_us(client, twilio, B_PHONE, body)
    assert answer.status_code == 200
    assert answer.content.decode() == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    assert reminders_on(partner_a, partner_b) == [True, True]


def test_stop_reaches_every_current_partner_with_that_number_and_no_one_else(
    client, twilio, both_by_text, partner_a, partner_b, daniels_couple
):
    elsewhere = PartnerFactory(couple=daniels_couple, channel="sms", phone=B_PHONE)
    removed = PartnerFactory(
        couple=daniels_couple, phone=B_PHONE, removed_at=AFTERNOON, reminders_enabled=True
    )
    without_phone = PartnerFactory(couple=daniels_couple, phone="")
    text_us(client, twilio, B_PHONE, "STOP")
    assert reminders_on(partner_b, elsewhere) == [False, False]
    assert reminders_on(partner_a, removed, without_phone) == [True, True, True]


def test_any_other_text_changes_nothing(client, twilio, both_by_text, partner_a, partner_b):
    answer = text_us(client, twilio, B_PHONE, "Stop sending me these please")
    assert answer.status_code == 200
    assert reminders_on(partner_a, partner_b) == [True, True]


def test_after_stop_the_next_nudge_is_skipped_and_never_reaches_twilio(
    client, twilio, couple, checkin, maya, partner_b
):
    partner_b.channel, partner_b.phone = "sms", B_PHONE
    partner_b.save()
    assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=DUE,
        assigned_by=maya,
        now=AFTERNOON,
        for_partner=partner_b,
    )
    send_due(AFTERNOON)
    text_us(client, twilio, B_PHONE, "STOP")
    nudge = Reminder.objects.get(partner=partner_b, kind="before_due")
    assert send_due(nudge.due_at) == {nudge.pk: "skipped"}
    assert len(twilio.messages()) == 1  # the invitation only


@pytest.mark.parametrize("forgery", ["another token", "no signature"])
def test_a_text_without_twilios_signature_is_refused_and_not_logged(
    client, twilio, both_by_text, partner_a, partner_b, caplog, forgery
):
    caplog.set_level(logging.DEBUG)
    url, form = twilio.incoming_text(INBOUND_URL, sender=B_PHONE, body="STOP")
    signature = "" if forgery == "no signature" else twilio.signature(url, form, token="0" * 32)
    assert post_signed(client, twilio, url, form, signature=signature).status_code == 403
    assert reminders_on(partner_a, partner_b) == [True, True]
    assert B_PHONE not in caplog.text and "STOP" not in caplog.text


def test_a_stop_is_logged_without_the_number_or_the_text(
    client, twilio, both_by_text, partner_b, caplog
):
    caplog.set_level(logging.DEBUG)
    text_us(client, twilio, B_PHONE, "STOP")
    assert "changed the reminders of 1 partner(s)" in caplog.text
    assert B_PHONE not in caplog.text and "STOP" not in caplog.text
