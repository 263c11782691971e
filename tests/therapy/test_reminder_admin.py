"""Reminders, sessions and alerts as the counselor handles them in the dashboard."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from therapy.models import Alert, CounselingSession
from worksheets.assignments import assign_worksheet
from worksheets.models import Reminder
from worksheets.scheduling import local_to_utc

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def assignment(couple, checkin, maya):
    now = timezone.now()
    # Due at 23:59 in New York five days from now, so every nudge of the plan has room.
    day = now.astimezone(NEW_YORK).date() + dt.timedelta(days=5)
    due = local_to_utc(dt.datetime.combine(day, dt.time(23, 59)), NEW_YORK)
    return assign_worksheet(couple=couple, template=checkin, due_at=due, assigned_by=maya, now=now)


def test_the_delivery_log_resends_a_failed_reminder(client, maya, assignment, partner_a):
    failed = Reminder.objects.get(response__partner=partner_a, kind="invitation")
    Reminder.objects.filter(pk=failed.pk).update(status="failed", attempts=5, last_error="SMTP 451")
    login(client, maya)
    log = client.get(reverse("admin:worksheets_reminder_changelist"), {"status__exact": "failed"})
    assert "SMTP 451" in log.content.decode()
    client.post(
        reverse("admin:worksheets_reminder_changelist"),
        {"action": "resend_selected", "_selected_action": [failed.pk]},
    )
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 0, "")


def test_the_home_page_counts_failed_reminders_overdue_work_and_alerts(
    client, maya, assignment, partner_a
):
    Reminder.objects.filter(response__partner=partner_a, kind="invitation").update(status="failed")
    assignment.responses.update(due_at=timezone.now() - dt.timedelta(days=1))
    Alert.objects.create(
        couple=assignment.couple,
        kind="missed_work",
        reason="Sam has not handed in the check-in.",
        created_at=timezone.now(),
    )
    login(client, maya)
    page = client.get("/admin/").content.decode()
    assert "2 overdue worksheets" in page
    assert "1 failed reminder" in page
    assert "1 open alert" in page and "Sam has not handed in the check-in." in page


def test_acknowledging_an_alert_takes_it_off_the_home_page(client, maya, couple):
    alert = Alert.objects.create(
        couple=couple, kind="missed_work", reason="Needs a call.", created_at=timezone.now()
    )
    login(client, maya)
    client.post(
        reverse("admin:therapy_alert_changelist"),
        {"action": "acknowledge_selected", "_selected_action": [alert.pk]},
    )
    alert.refresh_from_db()
    assert alert.acknowledged_by == maya
    assert "Needs a call." not in client.get("/admin/").content.decode()


def test_a_counselor_schedules_a_session_in_the_practice_time_zone(client, maya, couple):
    login(client, maya)
    url = reverse("admin:clients_couple_schedule", args=[couple.pk])
    client.post(url, {"starts_at": "2030-03-10T09:30"})
    session = CounselingSession.objects.get(couple=couple)
    assert session.starts_at == dt.datetime(2030, 3, 10, 13, 30, tzinfo=dt.UTC)  # 09:30 EDT
    page = client.get(reverse("admin:clients_couple_change", args=[couple.pk])).content.decode()
    assert "Mar 10, 2030, 9:30 AM" in page  # DATETIME_FORMAT, US English


def test_a_session_in_the_past_gets_a_message(client, maya, couple):
    login(client, maya)
    url = reverse("admin:clients_couple_schedule", args=[couple.pk])
    response = client.post(url, {"starts_at": "2020-03-10T09:30"})
    assert "Choose a time in the future." in response.content.decode()
    assert not CounselingSession.objects.exists()


def test_another_counselors_couple_cannot_be_scheduled(client, maya, daniels_couple):
    login(client, maya)
    url = reverse("admin:clients_couple_schedule", args=[daniels_couple.pk])
    assert client.post(url, {"starts_at": "2030-03-10T09:30"}).status_code == 404


def test_changing_a_partners_time_zone_in_the_admin_moves_their_reminders(
    client, maya, couple, assignment, partner_a, partner_b
):
    before = Reminder.objects.get(response__partner=partner_a, kind="due_day").due_at
    login(client, maya)
    data = {
        "label": couple.label,
        "status": "active",
        "partners-TOTAL_FORMS": "2",
        "partners-INITIAL_FORMS": "2",
        "partners-MIN_NUM_FORMS": "1",
        "partners-MAX_NUM_FORMS": "2",
    }
    for index, partner in enumerate((partner_a, partner_b)):
        data.update(
            {
                f"partners-{index}-id": str(partner.pk),
                f"partners-{index}-couple": str(couple.pk),
                f"partners-{index}-display_name": partner.display_name,
                f"partners-{index}-email": partner.email,
                f"partners-{index}-time_zone": "Asia/Tokyo"
                if partner == partner_a
                else partner.time_zone,
                f"partners-{index}-quiet_hours_start": "21:00",
                f"partners-{index}-quiet_hours_end": "08:00",
                f"partners-{index}-preferred_hour": "18",
                f"partners-{index}-channel": "email",
                f"partners-{index}-reminders_enabled": "on",
            }
        )
    response = client.post(reverse("admin:clients_couple_change", args=[couple.pk]), data)
    assert response.status_code == 302
    after = Reminder.objects.get(response__partner=partner_a, kind="due_day").due_at
    assert after != before
    # Due 23:59 in New York is 13:59 the next day in Tokyo: 18:00 would be too late, so the
    # due-day nudge comes four hours before the due time.
    assert after == assignment.due_at - dt.timedelta(hours=4)
    untouched = Reminder.objects.get(response__partner=partner_b, kind="due_day")
    assert untouched.created_at == assignment.created_at


def test_a_counselor_turns_on_alerts_by_e_mail(client, maya):
    login(client, maya)
    client.post(reverse("admin:preferences"), {"alert_by_email": "on"})
    maya.refresh_from_db()
    assert maya.alert_by_email
