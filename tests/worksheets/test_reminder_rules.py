"""The reminder plan at send time: stop conditions, caps, alerts, channels and rescheduling."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from therapy.models import Alert
from worksheets.assignments import assign_worksheet
from worksheets.models import Reminder
from worksheets.outbox import claim_due_reminders, resend, send_reminder
from worksheets.reminders import reschedule_partner
from worksheets.scheduling import local_to_utc

NEW_YORK = ZoneInfo("America/New_York")
MONDAY_2PM = local_to_utc(dt.datetime(2026, 5, 4, 14, 0), NEW_YORK)
DUE = local_to_utc(dt.datetime(2026, 5, 8, 23, 59), NEW_YORK)


@pytest.fixture
def assignment(couple, checkin, maya):
    return assign_worksheet(
        couple=couple, template=checkin, due_at=DUE, assigned_by=maya, now=MONDAY_2PM
    )


def run_until(moment):
    return {
        rid: send_reminder(reminder_id=rid, now=moment)
        for rid in claim_due_reminders(now=moment, limit=500)
    }


def subjects_to(partner):
    return [m.subject for m in mail.outbox if m.to == [partner.email]]


def test_a_partner_who_never_submits_gets_every_nudge_then_the_counselor_is_alerted(
    assignment, partner_a, maya
):
    maya.alert_by_email = True
    maya.save()
    for day in range(0, 12):
        run_until(MONDAY_2PM + dt.timedelta(days=day, hours=6))
    assert subjects_to(partner_a) == [
        "A new worksheet from your counselor: Weekly check-in on closeness and space",
        "Reminder: Weekly check-in on closeness and space is due soon",
        "Due today: Weekly check-in on closeness and space",
        "Still open: Weekly check-in on closeness and space",
    ]
    alert = Alert.objects.get(response__partner=partner_a)
    assert alert.kind == "missed_work"
    assert "after 3 reminders" in alert.reason
    [counselor_mail] = [
        m for m in mail.outbox if m.to == [maya.user.email] and partner_a.display_name in m.body
    ]
    assert "Rivera & Chen" in counselor_mail.subject
    assert "confided" not in counselor_mail.body


def test_the_counselor_is_not_alerted_when_the_work_was_handed_in(assignment, partner_a):
    from worksheets.responses import submit_response

    run_until(MONDAY_2PM)
    response = assignment.responses.get(partner=partner_a)
    submit_response(
        response_id=response.pk,
        partner=partner_a,
        answers={"confided": 3},
        now=MONDAY_2PM + dt.timedelta(days=1),
    )
    for day in range(1, 12):
        run_until(MONDAY_2PM + dt.timedelta(days=day))
    assert not Alert.objects.filter(response=response).exists()


@pytest.mark.parametrize("stop", ["paused", "couple_closed", "removed"])
def test_nothing_more_goes_out_after_a_stop_condition(assignment, partner_a, stop):
    run_until(MONDAY_2PM)
    mail.outbox.clear()
    if stop == "paused":
        assignment.status = "paused"
        assignment.save()
    elif stop == "couple_closed":
        assignment.couple.status = "closed"
        assignment.couple.save()
    else:
        partner_a.removed_at = MONDAY_2PM
        partner_a.save()
    outcomes = run_until(MONDAY_2PM + dt.timedelta(days=3))
    assert subjects_to(partner_a) == []
    assert "skipped" in outcomes.values()


def test_a_nudge_beyond_the_cap_is_skipped_at_send_time(assignment, partner_a):
    assignment.reminder_plan = {"max_nudges": 1}
    assignment.save()
    run_until(MONDAY_2PM + dt.timedelta(days=2, hours=6))  # invitation and the first nudge
    run_until(DUE - dt.timedelta(hours=5))
    due_day = Reminder.objects.get(response__partner=partner_a, kind="due_day")
    assert due_day.status == "skipped"
    assert "most nudges" in due_day.last_error


def test_every_e_mail_carries_a_one_click_unsubscribe(assignment, partner_a):
    run_until(MONDAY_2PM)
    [message] = [m for m in mail.outbox if m.to == [partner_a.email]]
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<http") and "/unsubscribe/" in header
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header.strip("<>") in message.body


def test_a_partner_who_prefers_texts_gets_an_sms(
    couple, checkin, maya, partner_b, settings, tmp_path
):
    settings.SMS_FILE_PATH = tmp_path
    partner_b.channel = "sms"
    partner_b.phone = "+15555550123"
    partner_b.save()
    assign_worksheet(couple=couple, template=checkin, due_at=DUE, assigned_by=maya, now=MONDAY_2PM)
    run_until(MONDAY_2PM)
    [text] = [json.loads(p.read_text()) for p in tmp_path.glob("*.json")]
    assert text["to"] == "+15555550123"
    assert "New worksheet from your counselor" in text["body"] and "/p/" in text["body"]
    assert "Stop reminders:" in text["body"]
    assert subjects_to(partner_b) == []


def test_a_text_to_a_partner_without_a_phone_fails_at_once(
    couple, checkin, maya, partner_b, settings, tmp_path
):
    settings.SMS_FILE_PATH = tmp_path
    partner_b.channel = "sms"
    partner_b.save()
    assign_worksheet(couple=couple, template=checkin, due_at=DUE, assigned_by=maya, now=MONDAY_2PM)
    run_until(MONDAY_2PM)
    row = Reminder.objects.get(response__partner=partner_b, kind="invitation")
    assert (row.status, row.last_error) == ("failed", "The partner has no phone number.")


def test_a_failed_reminder_can_be_sent_again(assignment, partner_a, settings):
    settings.EMAIL_BACKEND = "tests.worksheets.failing_mail.RefusingBackend"
    run_until(MONDAY_2PM)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    failed = Reminder.objects.get(response__partner=partner_a, kind="invitation")
    assert failed.status == "failed"
    assert resend(reminder_ids=[failed.pk], now=MONDAY_2PM) == 1
    run_until(MONDAY_2PM + dt.timedelta(minutes=1))
    failed.refresh_from_db()
    assert failed.status == "sent"
    assert len(subjects_to(partner_a)) == 1


def test_moving_to_another_time_zone_reschedules_pending_reminders(assignment, partner_a):
    run_until(MONDAY_2PM)
    partner_a.time_zone = "Asia/Kathmandu"
    partner_a.save()
    reschedule_partner(partner=partner_a, now=MONDAY_2PM + dt.timedelta(minutes=5))
    kathmandu = ZoneInfo("Asia/Kathmandu")
    rows = {r.kind: r for r in Reminder.objects.filter(response__partner=partner_a)}
    assert rows["invitation"].status == "sent"  # what was sent stays sent
    local = rows["due_day"].due_at.astimezone(kathmandu)
    # The due time (23:59 New York) is 09:44 next day in Kathmandu: the due-day nudge moves to
    # four hours before it, then out of Kathmandu's quiet hours to 08:00.
    assert (local.date(), local.strftime("%H:%M")) == (dt.date(2026, 5, 9), "08:00")
    assert Reminder.objects.filter(response__partner=partner_a, kind="invitation").count() == 1


def test_assigning_on_the_eve_of_spring_forward_uses_the_real_clock(
    couple, checkin, maya, partner_a
):
    import time_machine
    from django.utils import timezone

    partner_a.preferred_hour = 2  # 02:00 does not exist in New York on 8 March 2026
    partner_a.quiet_hours_start = partner_a.quiet_hours_end = dt.time(0)
    partner_a.save()
    eve = local_to_utc(dt.datetime(2026, 3, 7, 20, 0), NEW_YORK)
    due = local_to_utc(dt.datetime(2026, 3, 8, 23, 59), NEW_YORK)
    with time_machine.travel(eve, tick=False):
        assign_worksheet(
            couple=couple, template=checkin, due_at=due, assigned_by=maya, now=timezone.now()
        )
    nudge = Reminder.objects.get(response__partner=partner_a, kind="due_day")
    assert nudge.due_at.astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M %Z") == "2026-03-08 03:00 EDT"


def test_a_partner_ahead_of_the_practice_hears_the_evening_before_that_it_is_due_tomorrow(
    couple, checkin, maya, partner_a
):
    partner_a.time_zone = "Europe/Stockholm"  # 23:59 in New York is 05:59 here
    partner_a.save()
    assign_worksheet(couple=couple, template=checkin, due_at=DUE, assigned_by=maya, now=MONDAY_2PM)
    for hours in range(0, 24 * 5, 3):
        run_until(MONDAY_2PM + dt.timedelta(hours=hours))
    assert subjects_to(partner_a)[-1] == "Due tomorrow: Weekly check-in on closeness and space"
    [due_day] = [m for m in mail.outbox if m.subject.startswith("Due tomorrow")]
    # Due at an instant (23:59 in New York): the partner is told that instant on their clock.
    assert "is due tomorrow at 05:59 your time." in due_day.body
    planned = Reminder.objects.get(response__partner=partner_a, kind="due_day").due_at
    assert planned.astimezone(ZoneInfo("Europe/Stockholm")).strftime("%a %H:%M") == "Fri 18:00"


def test_messages_give_dates_and_times_in_the_partners_own_zone(assignment, partner_b):
    # Due Friday 23:59 in New York, which is already Saturday in UTC.
    run_until(MONDAY_2PM + dt.timedelta(days=3))
    [soon] = [m for m in mail.outbox if m.to == [partner_b.email] and "due soon" in m.subject]
    assert "is due Friday 8 May, 23:59 your time" in soon.body
