"""Assignments through the API: made by the assign page's own rules, so that the partners get
exactly the invitations and reminders the dashboard would plan; paused and cancelled; and each
caller allowed only what it should be."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import login, portal_sign_in
from tests.factories import couple_with_partners
from tests.therapy.test_api_worksheets import COUPLE_READ, ROLES, as_role, refused
from therapy.models import AccessLog
from therapy.sessions import schedule_session
from worksheets.models import Assignment, Reminder

START = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in New York
DUE = "2026-11-09"
ZONES = ("Europe/Berlin", "Pacific/Auckland")


def assignments_url(couple):
    return reverse("api-couple-assignments", args=[couple.pk])


def assign(client, couple, headers=None, **fields):
    body = {"worksheet": "weekly-checkin", "due_date": DUE, **fields}
    return client.post(
        assignments_url(couple), body, content_type="application/json", **(headers or {})
    )


@pytest.fixture(autouse=True)
def _monday_afternoon():
    with time_machine.travel(START, tick=False):
        yield


def twin_couples(counselor):
    """Two couples alike in everything a plan reads: a partner in Berlin and one in Auckland."""
    twins = []
    for label in ("Rivera & Chen", "Okafor & Lind"):
        couple = couple_with_partners(counselor=counselor, label=label)
        for partner, zone in zip(couple.partners.order_by("pk"), ZONES, strict=True):
            partner.time_zone = zone
            partner.save(update_fields=["time_zone"])
        twins.append(couple)
    return twins


def dashboard_post(api_fields: dict, couple, library) -> dict:
    """The assign page's form, filled in with the same choices as `api_fields`."""
    template = library.get(slug=api_fields["worksheet"])
    partners = list(couple.partners.order_by("pk"))
    data = {
        "template": template.pk,
        "confirm": "1",
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
        **{
            f"visibility__{item.key}": item.visibility
            for item in template.items.exclude(visibility="never")
        },
    }
    for name, value in api_fields.items():
        if name == "worksheet":
            continue
        if name == "partner":
            data["for_partner"] = partners[value].pk
        elif name == "sharing":
            data.update({f"visibility__{key}": choice for key, choice in value.items()})
        elif name == "due_day":
            data.pop("due_day") if not value else data.update(due_day="on")
        else:
            data[name] = "" if value is None else str(value)
    return data


def api_body(api_fields: dict, couple) -> dict:
    partners = list(couple.partners.order_by("pk"))
    if "partner" in api_fields:
        return {**api_fields, "partner": partners[api_fields["partner"]].pk}
    return api_fields


def planned(couple) -> dict:
    """Everything the assignment planned for the couple, with partners named by their place:
    the assignments, each partner's deadline, and every outbox row."""
    order = {p.pk: n for n, p in enumerate(couple.partners.order_by("pk"))}
    assignments = Assignment.objects.filter(couple=couple).order_by("pk")
    return {
        "assignments": [
            (
                a.template.slug,
                a.status,
                a.due_at,
                a.due_date,
                a.recurrence,
                a.interval_days,
                a.repeat_until,
                a.max_occurrences,
                a.reminder_plan,
                a.visibility_overrides,
                a.reveal,
                order.get(a.only_partner_id),
            )
            for a in assignments
        ],
        "deadlines": sorted(
            (order[r.partner_id], r.occurrence, r.due_at, r.due_date, r.status)
            for a in assignments
            for r in a.responses.all()
        ),
        "outbox": sorted(
            (order[m.partner_id], m.kind, m.channel, m.due_at, m.expires_at, m.status)
            for m in Reminder.objects.filter(partner__couple=couple)
        ),
    }


CASES = {
    "once, as the page comes": {"worksheet": "weekly-checkin", "due_date": DUE},
    "every few days, with its own reminders and sharing": {
        "worksheet": "weekly-checkin",
        "due_date": DUE,
        "recurrence": "every_n_days",
        "interval_days": 3,
        "repeat_until": "2026-12-01",
        "max_occurrences": 4,
        "before_due_hours": 12,
        "due_day": False,
        "overdue_first": 2,
        "overdue_second": None,
        "max_nudges": 2,
        "before_session_hours": 6,
        "sharing": {"confided": "private", "needs_on_hold": "shared"},
    },
    "before every session, revealed in session": {
        "worksheet": "time-map",
        "due_date": DUE,
        "recurrence": "before_session",
        "max_occurrences": 3,
        "reveal": "in_session",
    },
    "a safety check for both": {"worksheet": "safety-check", "due_date": DUE},
    "for one partner": {"worksheet": "support-preferences", "due_date": DUE, "partner": 1},
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_api_plans_exactly_what_the_dashboard_plans(client, maya, library, case):
    on_dashboard, through_api = twin_couples(maya)
    for couple in (on_dashboard, through_api):
        schedule_session(
            couple=couple, counselor=maya, starts_at=START + dt.timedelta(days=5), now=START
        )
    fields = CASES[case]
    login(client, maya)
    page = client.post(
        reverse("admin:clients_couple_assign", args=[on_dashboard.pk]),
        dashboard_post(fields, on_dashboard, library),
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    made = client.post(
        assignments_url(through_api), api_body(fields, through_api), content_type="application/json"
    )
    assert made.status_code == 201, made.content
    expected = planned(on_dashboard)
    assert expected["outbox"], "the dashboard planned no message at all"
    assert planned(through_api) == expected
    assert len(made.json()["assignments"]) == len(expected["assignments"])


def test_the_assignment_made_is_answered_with_its_partners_deadlines(client, maya, library):
    couple, _ = twin_couples(maya)
    login(client, maya)
    [made] = assign(client, couple).json()["assignments"]
    assert (made["worksheet"]["slug"], made["status"], made["assigned_by"]) == (
        "weekly-checkin",
        "active",
        maya.display_name,
    )
    sam, alex = couple.partners.order_by("pk")
    # The end of 9 November on each partner's own clock: Berlin, and Auckland.
    assert {r["partner"]: r["due_at"] for r in made["responses"]} == {
        sam.pk: "2026-11-09T22:59:59.999999Z",
        alex.pk: "2026-11-09T10:59:59.999999Z",
    }
    assert made["reminders"]["overdue_days"] == [1, 3]
    fetched = client.get(reverse("api-assignment", args=[made["id"]])).json()
    assert fetched == made


# Making an assignment for Maya's couple.
WRITE = {
    "counselor": 201,
    "other counselor": 404,
    "practice admin": 201,
    "read key": 403,
    "read-write key": 201,
    "other practice key": 404,
    "revoked key": 401,
    "nobody": 403,
}


@pytest.mark.parametrize("role", ROLES)
def test_each_caller_may_assign_or_is_refused(
    role, client, couple, library, maya, daniel, priya, outsider
):
    headers = as_role(role, client, maya=maya, daniel=daniel, priya=priya, outsider=outsider)
    answer = assign(client, couple, headers)
    assert answer.status_code == WRITE[role], answer.content
    assert Assignment.objects.filter(couple=couple).exists() == (WRITE[role] == 201)
    if role == "read-write key":
        assert answer.json()["assignments"][0]["assigned_by"] is None


@pytest.mark.parametrize("role", ROLES)
def test_each_caller_may_pause_and_cancel_or_is_refused(
    role, client, couple, library, maya, daniel, priya, outsider
):
    from worksheets.assignments import assign_worksheet

    assignment = assign_worksheet(
        couple=couple,
        template=library.get(slug="weekly-checkin"),
        assigned_by=maya,
        due_at=START + dt.timedelta(days=3),
        now=START,
    )
    headers = as_role(role, client, maya=maya, daniel=daniel, priya=priya, outsider=outsider)
    expected = 200 if WRITE[role] == 201 else WRITE[role]
    for action in ("pause", "cancel"):
        url = reverse(f"api-assignment-{action}", args=[assignment.pk])
        assert client.post(url, **headers).status_code == expected
    assignment.refresh_from_db()
    assert (assignment.status == "cancelled") == (expected == 200)
    read = client.get(reverse("api-assignment", args=[assignment.pk]), **headers).status_code
    listed = client.get(assignments_url(couple), **headers).status_code
    assert read == listed == COUPLE_READ[role]


def test_a_choice_the_assign_page_refuses_is_refused_naming_its_field(
    client, maya, couple, library, daniels_couple
):
    login(client, maya)
    stranger = daniels_couple.partners.first()
    assert refused(assign(client, couple, due_date="2026-11-01")) == {
        "due_date": ["Choose today or a later date."]
    }
    assert refused(assign(client, couple, overdue_first=3, overdue_second=2)) == {
        "overdue_second": ["Make the second overdue nudge later than the first."]
    }
    assert refused(
        assign(client, couple, recurrence="every_n_days", repeat_until="2026-11-05")
    ) == {"repeat_until": ["Choose a day on or after the first due date."]}
    assert refused(assign(client, couple, recurrence="every_n_days", interval_days=91)) == {
        "interval_days": ["Ensure this value is less than or equal to 90."]
    }
    assert list(refused(assign(client, couple, partner=stranger.pk))) == ["partner"]
    assert list(refused(assign(client, couple, partner=2**64))) == ["partner"]
    assert refused(assign(client, couple, colour="blue")) == {
        "colour": ["Not a field of this request."]
    }
    assert list(refused(assign(client, couple, worksheet="no-such"))) == ["worksheet"]
    assert list(refused(assign(client, couple, sharing={"no_such": "shared"}))) == [
        "sharing/no_such"
    ]
    assert list(refused(assign(client, couple, sharing={"confided": "everyone"}))) == [
        "sharing/confided"
    ]
    assert not Assignment.objects.exists()


def test_a_repeat_detail_the_chosen_repeat_does_not_use_is_ignored(client, maya, couple, library):
    login(client, maya)
    assert assign(client, couple, recurrence="once", interval_days=3).status_code == 201
    assert Assignment.objects.get().interval_days == 7


def test_a_question_never_shown_to_the_other_partner_cannot_be_shared(
    client, maya, couple, library
):
    never = library.get(slug="safety-check").items.filter(visibility="never").first()
    login(client, maya)
    answer = assign(client, couple, worksheet="safety-check", sharing={never.key: "shared"})
    assert list(refused(answer)) == [f"sharing/{never.key}"]


def test_a_couple_that_is_not_active_cannot_be_given_work(client, maya, couple, library):
    couple.status = "paused"
    couple.save(update_fields=["status"])
    login(client, maya)
    assert refused(assign(client, couple)) == {
        "": ["Worksheets can only be assigned to an active couple."]
    }


def test_a_paused_assignment_cannot_be_answered_and_pauses_once(
    client, maya, couple, library, partner_a
):
    login(client, maya)
    [made] = assign(client, couple).json()["assignments"]
    pause = reverse("api-assignment-pause", args=[made["id"]])
    assert client.post(pause).json()["status"] == "paused"
    assert refused(client.post(pause)) == {"status": ["Only an active assignment can be paused."]}
    response_id = made["responses"][0]["response"]
    portal = portal_sign_in(Client(), partner_a)
    assert portal.get(f"/portal/worksheets/{response_id}/").status_code == 410


def test_cancelling_stops_the_reminders_and_can_be_asked_twice(client, maya, couple, library):
    login(client, maya)
    [made] = assign(client, couple).json()["assignments"]
    assert Reminder.objects.open().filter(response__assignment_id=made["id"]).exists()
    cancel = reverse("api-assignment-cancel", args=[made["id"]])
    assert client.post(cancel).json()["status"] == "cancelled"
    assert client.post(cancel).json()["status"] == "cancelled"
    assert not Reminder.objects.open().filter(response__assignment_id=made["id"]).exists()


def test_reading_assignments_is_in_the_access_log(client, maya, couple, library):
    login(client, maya)
    [made] = assign(client, couple).json()["assignments"]
    client.get(assignments_url(couple))
    client.get(reverse("api-assignment", args=[made["id"]]))
    assert list(
        AccessLog.objects.filter(couple=couple).order_by("pk").values_list("what", flat=True)
    ) == ["assignments (API)", "assignment (API)"]


def test_listing_assignments_takes_the_same_queries_for_many_rows(client, maya, couple, library):
    login(client, maya)
    url = assignments_url(couple)

    def queries_for_the_list():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    assign(client, couple)
    few = queries_for_the_list()
    for _ in range(6):
        assign(client, couple)
    # The session, the user and counselor, the couple, the access log row, the assignments
    # with their worksheets and counselors, and their responses.
    assert queries_for_the_list() == few
    assert len(client.get(url).json()["results"]) == 7


def test_assigning_again_with_the_same_idempotency_key_invites_nobody_twice(
    client, maya, couple, library
):
    headers = {
        **as_role("read-write key", client, maya=maya, daniel=None, priya=None, outsider=None),
        "HTTP_IDEMPOTENCY_KEY": "assign-1",
    }
    first = assign(client, couple, headers)
    again = assign(client, couple, headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Assignment.objects.filter(couple=couple).count() == 1
    invitations = Reminder.objects.filter(partner__couple=couple, kind="invitation")
    assert invitations.count() == 2  # one for each partner
