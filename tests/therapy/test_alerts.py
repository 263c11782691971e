"""Alerts raised by what partners hand in, and by what cannot be delivered."""

import datetime as dt

from django.utils import timezone

from tests.therapy.conftest import week_of_answers
from therapy.models import Alert
from worksheets.assignments import assign_worksheet
from worksheets.responses import submit_response


def test_a_gap_that_widens_by_two_or_more_raises_an_alert(couple, library, maya):
    time_map = library.get(slug="time-map")
    now = timezone.now()
    week_of_answers(couple, time_map, maya, now - dt.timedelta(days=20), (6, 5))  # gap 1
    week_of_answers(couple, time_map, maya, now - dt.timedelta(days=10), (6, 4))  # gap 2
    assert not Alert.objects.filter(kind="gap_widened").exists()
    week_of_answers(couple, time_map, maya, now - dt.timedelta(days=2), (8, 3))  # gap 5
    [alert] = Alert.objects.filter(kind="gap_widened")
    assert alert.reason == (
        "The gap in preferred balance widened from 2 to 5 of 10 on “Your time map”."
    )


def test_a_concern_score_in_its_top_band_raises_an_alert(couple, checkin, maya, partner_a):
    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=checkin,
        assigned_by=maya,
        due_at=now + dt.timedelta(days=3),
        now=now,
    )
    response = assignment.responses.get(partner=partner_a)
    submit_response(
        response_id=response.pk,
        partner=partner_a,
        now=now,
        answers={
            "confided": 3,
            "own_time": 3,
            "needs_on_hold": 5,
            "went_it_alone": 2,
            "balance_felt_right": 3,
        },
    )
    [alert] = Alert.objects.filter(kind="concern_band")
    assert alert.reason == "Sam: “Putting your needs on hold” is 5.0 of 5 (Often)."


def test_a_failed_delivery_raises_an_alert(couple, checkin, maya, partner_a, settings):
    from worksheets.outbox import claim_due_reminders, send_reminder

    settings.EMAIL_BACKEND = "tests.worksheets.failing_mail.RefusingBackend"
    couple.partners.update(quiet_hours_start=dt.time(0), quiet_hours_end=dt.time(0))
    now = timezone.now()
    assign_worksheet(
        couple=couple,
        template=checkin,
        assigned_by=maya,
        due_at=now + dt.timedelta(days=3),
        now=now,
    )
    for reminder_id in claim_due_reminders(now=now, limit=10):
        send_reminder(reminder_id=reminder_id, now=now)
    reasons = sorted(Alert.objects.filter(kind="delivery_failed").values_list("reason", flat=True))
    assert reasons == [
        f"Invitation to {name} could not be delivered: SMTPRecipientsRefused."
        for name in ("Alex", "Sam")
    ]
    assert len(reasons) == 2


def test_two_missed_occurrences_in_a_row_are_named_as_such(couple, checkin, maya, partner_a):
    from worksheets.outbox import claim_due_reminders, send_reminder

    couple.partners.update(quiet_hours_start=dt.time(0), quiet_hours_end=dt.time(0))
    start = timezone.now() - dt.timedelta(days=40)
    assign_worksheet(
        couple=couple,
        template=checkin,
        assigned_by=maya,
        recurrence="every_n_days",
        interval_days=7,
        due_at=start + dt.timedelta(days=6),
        now=start,
    )
    from worksheets.occurrences import create_upcoming_occurrences

    moment = start
    for _ in range(20 * 24 // 6):
        moment += dt.timedelta(hours=6)
        create_upcoming_occurrences(now=moment)
        for reminder_id in claim_due_reminders(now=moment, limit=100):
            send_reminder(reminder_id=reminder_id, now=moment)
    kinds = list(
        Alert.objects.filter(response__partner=partner_a)
        .order_by("response__occurrence")
        .values_list("kind", flat=True)
    )
    assert kinds[:2] == ["missed_work", "missed_twice"]


def test_a_standing_concern_is_raised_once_until_it_is_acknowledged(
    couple, checkin, maya, partner_a
):
    answers = {
        "confided": 3,
        "own_time": 3,
        "needs_on_hold": 5,
        "went_it_alone": 2,
        "balance_felt_right": 3,
    }
    start = timezone.now() - dt.timedelta(weeks=3)

    def week(n):
        assignment = assign_worksheet(
            couple=couple,
            template=checkin,
            assigned_by=maya,
            due_at=start + dt.timedelta(weeks=n, days=5),
            now=start + dt.timedelta(weeks=n),
        )
        response = assignment.responses.get(partner=partner_a)
        submit_response(
            response_id=response.pk,
            partner=partner_a,
            answers=answers,
            now=start + dt.timedelta(weeks=n, days=1),
        )

    week(0)
    week(1)
    [alert] = Alert.objects.filter(kind="concern_band")
    alert.acknowledged_at = timezone.now()
    alert.save()
    week(2)
    assert Alert.objects.filter(kind="concern_band").count() == 2
    assert Alert.objects.filter(kind="concern_band", acknowledged_at__isnull=True).count() == 1
