"""Urgent safety alerts on the couple's page and in the alert list: read what signalled,
acknowledge only with a note on the follow-up, and keep that note in the record."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from therapy import access
from therapy.models import Alert
from worksheets.assignments import assign_to_partners
from worksheets.responses import save_draft

NOTE_FIELD = "alert-{}-note"


@pytest.fixture
def support_preferences(library):
    return library.get(slug="support-preferences")


def raise_urgent_alert(couple, partner, template, counselor, now, **more_answers):
    """The partner saves the part of the worksheet with the safety question, answering 5."""
    [assignment] = assign_to_partners(
        couple=couple,
        template=template,
        partner=None,
        due_at=now + dt.timedelta(days=5),
        assigned_by=counselor,
        now=now,
    )
    response = assignment.responses.get(partner=partner)
    answers = {"afraid_to_say_no": 5, **more_answers}
    save_draft(
        response_id=response.pk, partner=partner, answers=answers, now=now, item_keys=set(answers)
    )
    return Alert.objects.get(response=response, kind=Alert.Kind.SAFETY, acknowledged_at=None)


def overview(couple):
    return reverse("admin:clients_couple_overview", args=[couple.pk])


def test_an_open_urgent_alert_heads_the_couple_page_with_the_answer_that_signalled(
    client, maya, couple, partner_a, support_preferences
):
    raised_at = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
    alert = raise_urgent_alert(couple, partner_a, support_preferences, maya, raised_at)
    login(client, maya)
    page = client.get(overview(couple)).content.decode()
    heading = f'<h2 id="urgent-{alert.pk}">Urgent: speak with Sam alone first</h2>'
    assert f'<section class="urgent" aria-labelledby="urgent-{alert.pk}">' in page
    # At the very top: before the partners, the rest of the alerts and the charts.
    assert page.index(heading) < page.index("Sam (America/New_York)") < page.index("Scores over")
    # Raised at 10:30 in the practice's zone (New York, UTC-5 in early March).
    assert "Raised Mar 2, 2026, 10:30 AM EST" in page  # DATETIME_FORMAT, and the zone
    assert "I sometimes feel afraid to tell my partner no." in page
    assert re.search(r"<td>5 – [^<]+</td>", page)
    note = NOTE_FIELD.format(alert.pk)
    assert f'<label for="id_{note}">What did you do to follow up?</label>' in page
    assert re.search(rf'<textarea name="{note}"[^>]* required [^>]*id="id_{note}">', page)
    # The urgent alert has no quick button among the other alerts.
    assert "Open alerts" not in page
    assert "Joint work is paused." in page and "An urgent alert is open" in page


def test_an_urgent_alert_sent_without_a_note_stays_open_and_says_why(
    client, maya, couple, partner_a, support_preferences, now
):
    alert = raise_urgent_alert(couple, partner_a, support_preferences, maya, now)
    login(client, maya)
    page = client.post(
        overview(couple), {"acknowledge": alert.pk, NOTE_FIELD.format(alert.pk): "  "}
    )
    assert page.status_code == 400
    assert "an urgent alert is acknowledged only with a note" in page.content.decode()
    alert.refresh_from_db()
    assert alert.is_open and alert.follow_up_note == ""


def test_a_note_refused_as_too_long_comes_back_as_typed(
    client, maya, couple, partner_a, support_preferences, now
):
    alert = raise_urgent_alert(couple, partner_a, support_preferences, maya, now)
    typed = "Phoned Sam on her own. " * 100
    login(client, maya)
    page = client.post(
        overview(couple), {"acknowledge": alert.pk, NOTE_FIELD.format(alert.pk): typed}
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert "Ensure this value has at most 2000 characters" in html
    assert typed.strip() in html
    alert.refresh_from_db()
    assert alert.is_open


def test_with_a_note_the_alert_is_acknowledged_and_kept_in_the_safety_follow_ups(
    client, maya, couple, partner_a, support_preferences, now
):
    alert = raise_urgent_alert(couple, partner_a, support_preferences, maya, now)
    login(client, maya)
    page = client.post(
        overview(couple),
        {"acknowledge": alert.pk, NOTE_FIELD.format(alert.pk): "Called Sam alone; safety plan."},
        follow=True,
    )
    html = page.content.decode()
    assert "Alert acknowledged." in html
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.follow_up_note) == (maya, "Called Sam alone; safety plan.")
    assert "Urgent: speak with" not in html
    follow_ups = html[html.index("Safety follow-ups") :]
    assert "Called Sam alone; safety plan." in follow_ups
    assert f"by {maya.display_name}" in follow_ups
    assert "Joint work is on" in html
    assert not access.joint_work_paused(couple)


def test_another_counselor_cannot_acknowledge_it(
    client, maya, daniel, couple, partner_a, support_preferences, now
):
    alert = raise_urgent_alert(couple, partner_a, support_preferences, maya, now)
    login(client, daniel)
    page = client.post(
        overview(couple), {"acknowledge": alert.pk, NOTE_FIELD.format(alert.pk): "x"}
    )
    assert page.status_code == 404
    alert.refresh_from_db()
    assert alert.is_open


def test_what_partners_told_the_counselor_privately_is_listed_drafts_included(
    client, maya, couple, partner_a, support_preferences, now
):
    raise_urgent_alert(
        couple,
        partner_a,
        support_preferences,
        maya,
        now,
        note_for_counselor="I did not want to say this in front of Alex.",
    )
    login(client, maya)
    page = client.get(overview(couple)).content.decode()
    private = page[page.index("What partners told you privately") : page.index("Scores over time")]
    assert "For you only: never shown to the other partner." in private
    assert "I did not want to say this in front of Alex." in private
    assert "Is there anything about help or support that you want only your counselor" in private
    assert private.count("Draft, not handed in") == 2  # the note and the safety answer


@pytest.mark.parametrize("alerts", [1, 4])
def test_the_couple_page_with_urgent_alerts_runs_a_fixed_number_of_queries(
    client, maya, couple, partner_a, support_preferences, alerts, django_assert_num_queries
):
    start = timezone.now() - dt.timedelta(days=20)
    for n in range(alerts):
        alert = raise_urgent_alert(
            couple, partner_a, support_preferences, maya, start + dt.timedelta(days=n)
        )
        Alert.objects.filter(pk=alert.pk).update(
            acknowledged_at=start + dt.timedelta(days=n, hours=1),
            acknowledged_by=maya,
            follow_up_note=f"Follow-up number {n}",
        )
    raise_urgent_alert(couple, partner_a, support_preferences, maya, timezone.now())
    login(client, maya)
    # As in test_dashboard's count: session, user, counselor and practice, counselor
    # (scoping), the couple, the access-log row, partners, responses, their items, reminder
    # counts, notes, alerts, whether joint work is paused, the sidebar's checks, the latest
    # submissions the couple patterns are read from, and the change history: one query for
    # each of its six kinds of record.
    with django_assert_num_queries(22):
        page = client.get(overview(couple)).content.decode()
    assert page.count("Follow-up number") == alerts
    assert page.count("Urgent: speak with Sam alone first") == 1


def test_the_bulk_action_acknowledges_the_others_but_refuses_urgent_alerts(
    client, maya, couple, partner_a, support_preferences, now
):
    urgent = raise_urgent_alert(couple, partner_a, support_preferences, maya, now)
    other = Alert.objects.create(couple=couple, kind="concern_band", reason="Other", created_at=now)
    login(client, maya)
    page = client.post(
        reverse("admin:therapy_alert_changelist"),
        {"action": "acknowledge_selected", "_selected_action": [urgent.pk, other.pk]},
    )
    shown = [str(message) for message in get_messages(page.wsgi_request)]
    assert "1 alert(s) acknowledged." in shown
    assert any("acknowledge urgent alerts on the couple's page, with a note" in m for m in shown)
    urgent.refresh_from_db()
    other.refresh_from_db()
    assert urgent.is_open and not other.is_open


def test_the_alert_list_filters_urgent_alerts_and_shows_the_follow_up(
    client, maya, couple, partner_a, support_preferences, now
):
    urgent = raise_urgent_alert(couple, partner_a, support_preferences, maya, now)
    Alert.objects.create(
        couple=couple, kind="concern_band", reason="A score in its band", created_at=now
    )
    login(client, maya)
    changelist = reverse("admin:therapy_alert_changelist")
    assert "A score in its band" not in client.get(changelist, {"urgent": "yes"}).content.decode()
    assert "A score in its band" in client.get(changelist, {"urgent": "no"}).content.decode()
    client.post(
        overview(couple),
        {"acknowledge": urgent.pk, NOTE_FIELD.format(urgent.pk): "Met Sam alone on Tuesday."},
    )
    detail = client.get(reverse("admin:therapy_alert_change", args=[urgent.pk])).content.decode()
    assert "Met Sam alone on Tuesday." in detail
    assert maya.display_name in detail


def test_a_counselor_turns_on_individual_work_only_and_joint_work_pauses(
    client, maya, couple, partner_a, partner_b
):
    login(client, maya)
    change = reverse("admin:clients_couple_change", args=[couple.pk])
    form = client.get(change).content.decode()
    assert 'name="individual_work_only"' in form
    assert "Pause joint features" in form
    data = {
        "label": couple.label,
        "status": "active",
        "individual_work_only": "on",
        "partners-TOTAL_FORMS": "2",
        "partners-INITIAL_FORMS": "2",
        "partners-MIN_NUM_FORMS": "1",
        "partners-MAX_NUM_FORMS": "2",
    }
    for index, partner in enumerate((partner_a, partner_b)):
        data.update(
            {
                f"partners-{index}-id": partner.pk,
                f"partners-{index}-couple": couple.pk,
                f"partners-{index}-display_name": partner.display_name,
                f"partners-{index}-email": partner.email,
                f"partners-{index}-time_zone": partner.time_zone,
                f"partners-{index}-quiet_hours_start": "21:00",
                f"partners-{index}-quiet_hours_end": "08:00",
                f"partners-{index}-preferred_hour": "18",
                f"partners-{index}-channel": "email",
                f"partners-{index}-reminders_enabled": "on",
            }
        )
    assert client.post(change, data).status_code == 302
    couple.refresh_from_db()
    assert couple.individual_work_only and access.joint_work_paused(couple)
    page = client.get(overview(couple)).content.decode()
    assert "Joint work is paused." in page and "You chose individual work only" in page
