"""The counselor's side of the loop, through the admin as a counselor would use it."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import Couple
from tests.conftest import login
from worksheets.models import Assignment, Reminder
from worksheets.responses import save_draft, submit_response


def couple_form(label, partners):
    data = {
        "label": label,
        "status": "active",
        "partners-TOTAL_FORMS": str(len(partners)),
        "partners-INITIAL_FORMS": "0",
        "partners-MIN_NUM_FORMS": "1",
        "partners-MAX_NUM_FORMS": "2",
    }
    for index, (name, email, zone) in enumerate(partners):
        data.update(
            {
                f"partners-{index}-display_name": name,
                f"partners-{index}-email": email,
                f"partners-{index}-time_zone": zone,
                f"partners-{index}-quiet_hours_start": "21:00",
                f"partners-{index}-quiet_hours_end": "08:00",
                f"partners-{index}-preferred_hour": "18",
                f"partners-{index}-reminders_enabled": "on",
                f"partners-{index}-channel": "email",
            }
        )
    return data


def visibility_as_in_template(template):
    """The assign form as it comes, with the template's sharing and the default plan."""
    return {
        **{
            f"visibility__{item.key}": item.visibility
            for item in template.items.exclude(visibility="never")
        },
        "for_partner": "",
        "reveal": "after_both",
        "recurrence": "once",
        "interval_days": "7",
        "before_due_hours": "48",
        "due_day": "on",
        "overdue_first": "1",
        "overdue_second": "3",
        "max_nudges": "3",
        "before_session_hours": "24",
    }


def test_the_counselor_can_make_a_shared_answer_private_for_this_couple(
    client, maya, couple, checkin
):
    login(client, maya)
    url = reverse("admin:clients_couple_assign", args=[couple.pk])
    due = (timezone.now() + dt.timedelta(days=7)).date().isoformat()
    choices = {**visibility_as_in_template(checkin), "visibility__confided": "private"}
    client.post(url, {"template": checkin.pk, "due_date": due, "confirm": "1", **choices})
    assignment = Assignment.objects.get(couple=couple)
    assert assignment.visibility_overrides == {"confided": "private"}
    confided = checkin.items.get(key="confided")
    assert (confided.visibility, assignment.visibility_of(confided)) == ("shared", "private")


def test_a_counselor_creates_a_couple_with_two_partners(client, maya):
    login(client, maya)
    response = client.post(
        reverse("admin:clients_couple_add"),
        couple_form(
            "Ortiz & Haddad",
            [
                ("Lena Ortiz", "lena@mail.example", "Europe/Berlin"),
                ("Omar Haddad", "omar@mail.example", "Asia/Kathmandu"),
            ],
        ),
    )
    assert response.status_code == 302
    couple = Couple.objects.get(label="Ortiz & Haddad")
    assert couple.practice == maya.practice
    assert list(couple.counselors.all()) == [maya]
    assert sorted(couple.partners.values_list("time_zone", flat=True)) == [
        "Asia/Kathmandu",
        "Europe/Berlin",
    ]


def test_an_unknown_time_zone_gets_a_clear_message(client, maya):
    login(client, maya)
    response = client.post(
        reverse("admin:clients_couple_add"),
        couple_form("Ortiz & Haddad", [("Lena Ortiz", "lena@mail.example", "Mars/Olympus")]),
    )
    assert response.status_code == 200
    assert "“Mars/Olympus” is not a time zone we know." in response.content.decode()
    assert not Couple.objects.filter(label="Ortiz & Haddad").exists()


@pytest.mark.parametrize("claimed", ["0", "-1"])
def test_a_couple_is_never_made_without_a_partner(client, maya, claimed):
    login(client, maya)
    form = {**couple_form("Nobody & No one", []), "partners-TOTAL_FORMS": claimed}
    response = client.post(reverse("admin:clients_couple_add"), form)
    assert response.status_code == 200
    assert "Add at least one partner." in response.content.decode()
    assert not Couple.objects.filter(label="Nobody & No one").exists()


def test_a_counselor_assigns_a_worksheet_with_a_due_date(client, maya, couple, checkin):
    login(client, maya)
    due = (timezone.now() + dt.timedelta(days=7)).date()
    url = reverse("admin:clients_couple_assign", args=[couple.pk])
    assert "Weekly check-in on closeness and space" in client.get(url).content.decode()
    second_step = client.get(url, {"template": checkin.pk}).content.decode()
    assert "Who may see each answer" in second_step and "Due date" in second_step
    response = client.post(
        url,
        {
            "template": checkin.pk,
            "due_date": due.isoformat(),
            "confirm": "1",
            **visibility_as_in_template(checkin),
        },
        follow=True,
    )
    assert "assigned. Sam and Alex will each get an e-mail" in response.content.decode()
    assignment = Assignment.objects.get(couple=couple)
    assert assignment.assigned_by == maya
    local_due = assignment.due_at.astimezone(ZoneInfo(maya.practice.time_zone))
    assert (local_due.date(), local_due.strftime("%H:%M")) == (due, "23:59")
    assert Reminder.objects.filter(response__assignment=assignment, kind="invitation").count() == 2


def test_a_due_date_in_the_past_is_refused_with_a_message(client, maya, couple, checkin):
    login(client, maya)
    url = reverse("admin:clients_couple_assign", args=[couple.pk])
    response = client.post(
        url,
        {
            "template": checkin.pk,
            "due_date": "2020-01-01",
            "confirm": "1",
            **visibility_as_in_template(checkin),
        },
    )
    assert "Choose today or a later date." in response.content.decode()
    assert not Assignment.objects.exists()


def test_the_couple_page_shows_each_partners_state(client, maya, couple, checkin, partner_a):
    from worksheets.assignments import assign_worksheet

    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=now + dt.timedelta(days=3),
        assigned_by=maya,
        now=now,
    )
    response_a = assignment.responses.get(partner=partner_a)
    save_draft(response_id=response_a.pk, partner=partner_a, answers={"confided": 2}, now=now)
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_change", args=[couple.pk])).content.decode()
    assert "Draft" in page and "Not started" in page


def test_the_counselor_reads_a_submitted_response_with_its_answers_and_scores(
    client, maya, couple, checkin, partner_a
):
    from worksheets.assignments import assign_worksheet

    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=now + dt.timedelta(days=3),
        assigned_by=maya,
        now=now,
    )
    response_a = assignment.responses.get(partner=partner_a)
    submit_response(
        response_id=response_a.pk,
        partner=partner_a,
        now=now,
        answers={
            "confided": 5,
            "own_time": 2,
            "needs_on_hold": 4,
            "went_it_alone": 1,
            "balance_felt_right": 3,
            "note_for_counselor": "Private thought for Maya",
        },
    )
    login(client, maya)
    page = client.get(reverse("admin:worksheets_response_change", args=[response_a.pk]))
    content = page.content.decode()
    assert "5 – Strongly agree" in content
    assert "Private thought for Maya" in content
    assert "Putting your needs on hold" in content and "4.0 of 5" in content
    assert "not a diagnosis" in content


def test_once_both_have_submitted_the_counselor_sees_the_gap_and_the_guesses(
    client, maya, couple, library, partner_a, partner_b
):
    from worksheets.assignments import assign_worksheet

    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=library.get(slug="time-map"),
        due_at=now + dt.timedelta(days=3),
        assigned_by=maya,
        now=now,
    )
    # Sam wants a lot of togetherness and guesses Alex wants less; Alex guesses Sam exactly.
    for partner, own, guess in ((partner_a, 9, 5), (partner_b, 3, 9)):
        response = assignment.responses.get(partner=partner)
        submit_response(
            response_id=response.pk,
            partner=partner,
            now=now,
            answers={"preferred_togetherness": own, "guess_partner_togetherness": guess},
        )
    login(client, maya)
    sams = assignment.responses.get(partner=partner_a)
    page = client.get(reverse("admin:worksheets_response_change", args=[sams.pk])).content.decode()
    assert "Gap in preferred balance (0–10)</td><td>6</td><td>Wide gap" in page
    assert "How closely Sam guessed Alex</td><td>80%" in page
    assert "How closely Alex guessed Sam</td><td>100%" in page


def test_counselor_pages_show_times_in_the_practice_time_zone(client, maya, couple, checkin):
    from worksheets.assignments import assign_worksheet

    due = dt.datetime(2030, 5, 9, 3, 59, tzinfo=dt.UTC)  # 23:59 on 8 May in New York
    assignment = assign_worksheet(
        couple=couple, template=checkin, due_at=due, assigned_by=maya, now=timezone.now()
    )
    login(client, maya)
    page = client.get(reverse("admin:worksheets_assignment_change", args=[assignment.pk]))
    assert "May 8, 2030, 11:59 PM" in page.content.decode()
