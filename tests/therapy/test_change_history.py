"""The change history of clinical records: every change, who made it and when, shown on the
couple page, and kept after the record (or the whole couple) is deleted."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.preferences import turn_off_reminders
from tests.conftest import login, portal_sign_in
from therapy.alerts import acknowledge
from therapy.history import couple_history
from therapy.models import AccessLog, Alert, CounselorNote
from therapy.notes import add_note
from worksheets.assignments import assign_worksheet, cancel_assignment


def overview(client, couple):
    return client.get(reverse("admin:clients_couple_overview", args=[couple.pk])).content.decode()


def history_rows(page: str) -> str:
    return page[page.index('id="change-history"') :]


@pytest.fixture
def assignment(couple, checkin, maya):
    now = timezone.now()
    return assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=now + dt.timedelta(days=5),
        assigned_by=maya,
        now=now,
    )


def test_a_counselors_edit_of_a_partner_shows_who_changed_which_field(
    client, maya, couple, partner_a
):
    login(client, maya)
    data = {
        "label": couple.label,
        "status": "active",
        "partners-TOTAL_FORMS": "2",
        "partners-INITIAL_FORMS": "2",
        "partners-MIN_NUM_FORMS": "1",
        "partners-MAX_NUM_FORMS": "2",
    }
    for index, partner in enumerate(couple.partners.order_by("pk")):
        data |= {
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
    answer = client.post(reverse("admin:clients_couple_change", args=[couple.pk]), data)
    assert answer.status_code == 302
    rows = history_rows(overview(client, couple))
    assert f"<td>{maya.user.get_full_name() or 'maya'}</td>" in rows
    assert f"<td>Partner {partner_a.display_name}</td>" in rows
    assert "Changed: time zone" in rows


def test_an_acknowledgement_a_cancellation_and_a_note_are_in_the_history(
    client, maya, couple, assignment, partner_a
):
    alert = Alert.objects.create(
        couple=couple, kind=Alert.Kind.MISSED_WORK, reason="Not done", created_at=timezone.now()
    )
    acknowledge(alerts=Alert.objects.filter(pk=alert.pk), counselor=maya, now=timezone.now())
    cancel_assignment(assignment=assignment)
    add_note(couple=couple, counselor=maya, text="Talked about money.", now=timezone.now())
    changes = {(c.what, c.kind, c.reason) for c in couple_history(couple)}
    assert (
        "Alert: worksheet still open after the last reminder",
        "changed",
        "Acknowledged",
    ) in changes
    assert (f"Assignment {assignment.template.title}", "changed", "Cancelled") in changes
    assert ("Counselor note", "added", "") in changes
    acknowledged = next(c for c in couple_history(couple) if c.reason == "Acknowledged")
    assert "acknowledged at" in acknowledged.fields


def test_a_partners_own_change_is_recorded_without_a_staff_name(client, couple, partner_a):
    portal_sign_in(client, partner_a)
    turn_off_reminders(partner_a)
    [change] = [c for c in couple_history(couple) if c.reason]
    assert (change.who, change.reason) == (
        "Partner or system",
        "Reminders turned off by the partner",
    )


def test_the_history_and_the_access_log_outlive_the_couple(client, priya, maya, couple):
    login(client, maya)
    overview(client, couple)
    couple_id = couple.pk
    add_note(couple=couple, counselor=maya, text="x", now=timezone.now())
    couple.delete()

    assert CounselorNote.history.filter(couple_id=couple_id, history_type="-").exists()
    assert AccessLog.objects.filter(couple_id=couple_id).count() == 1
    login(client, priya)
    page = client.get(reverse("admin:therapy_accesslog_changelist")).content.decode()
    assert f"Deleted couple #{couple_id}" in page
    log = AccessLog.objects.get(couple_id=couple_id)
    detail = client.get(reverse("admin:therapy_accesslog_change", args=[log.pk]))
    assert f"Deleted couple #{couple_id}" in detail.content.decode()


def test_the_couple_page_reads_the_history_in_a_constant_number_of_queries(
    client, maya, couple, checkin, partner_a, django_assert_max_num_queries
):
    def change_things(times):
        for n in range(times):
            add_note(couple=couple, counselor=maya, text=f"note {n}", now=timezone.now())
            partner_a.preferred_hour = n % 24
            partner_a.save()

    change_things(2)
    with django_assert_max_num_queries(8) as few:
        couple_history(couple)
    change_things(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(couple_history(couple)) > 20
