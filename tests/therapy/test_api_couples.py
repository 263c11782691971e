"""The API's couples and partners: listed, added, changed and closed by every kind of caller,
by the dashboard's own rules, and recorded in the change history under the caller."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import Couple, Partner
from tests.conftest import login
from tests.factories import couple_with_partners
from tests.therapy.test_couple_workflow import couple_form
from therapy import dashboard
from therapy.api_keys import create_api_key, revoke_api_keys
from therapy.models import AccessLog, ApiKey
from worksheets.assignments import assign_worksheet
from worksheets.models import Reminder

COUPLES = reverse("api-couples")

# Each kind of caller, and what it gets for a change to Maya's couple.
ROLES = {
    "counselor": 200,
    "other counselor": 404,
    "practice admin": 200,
    "read key": 403,
    "read-write key": 200,
    "other practice key": 404,
    "revoked key": 401,
    "nobody": 403,
}


def key_headers(practice, scope=ApiKey.Scope.READ_WRITE, name="Records"):
    key, raw_key = create_api_key(
        practice=practice, name=name, scope=scope, created_by=None, now=timezone.now()
    )
    return key, {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}


def sign_in(role, client, maya, daniel, priya, outsider):
    """Sign the client in as `role`; returns its headers and the account changes are under."""
    people = {"counselor": maya, "other counselor": daniel, "practice admin": priya}
    if role in people:
        login(client, people[role])
        return {}, people[role].user
    if role == "nobody":
        return {}, None
    practice = outsider.practice if role == "other practice key" else maya.practice
    scope = ApiKey.Scope.READ if role == "read key" else ApiKey.Scope.READ_WRITE
    key, headers = key_headers(practice, scope)
    if role == "revoked key":
        revoke_api_keys(keys=ApiKey.objects.filter(pk=key.pk), now=timezone.now())
    return headers, key.user


def send(client, method, url, body=None, **headers):
    """A JSON request, as a client of the API sends it."""
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(url, data=data, content_type="application/json", **headers)


def couple_url(couple, action=""):
    return f"{reverse('api-couple', args=[couple.pk])}{action}"


def pointers(response):
    return {error["pointer"]: error["detail"] for error in response.json()["errors"]}


NEW_COUPLE = {
    "label": "Ortiz & Haddad",
    "partners": [
        {"name": "Lena Ortiz", "email": "lena@mail.example", "time_zone": "Europe/Berlin"},
        {"name": "Omar Haddad", "email": "omar@mail.example"},
    ],
}


@pytest.mark.parametrize("role", list(ROLES))
def test_each_caller_changes_the_couple_only_within_its_scope(
    role, client, couple, maya, daniel, priya, outsider
):
    headers, account = sign_in(role, client, maya, daniel, priya, outsider)
    response = send(client, "patch", couple_url(couple), {"label": "Rivera-Chen"}, **headers)
    assert response.status_code == ROLES[role], response.content
    couple.refresh_from_db()
    if response.status_code == 200:
        assert response.json()["label"] == couple.label == "Rivera-Chen"
        latest = couple.history.latest()
        assert (latest.label, latest.history_user) == ("Rivera-Chen", account)
    else:
        assert couple.label == "Rivera & Chen"
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("role", list(ROLES))
def test_each_caller_lists_the_couples_in_its_scope(
    role, client, couple, daniels_couple, maya, daniel, priya, outsider
):
    headers, _ = sign_in(role, client, maya, daniel, priya, outsider)
    response = client.get(COUPLES, **headers)
    seen = {
        "counselor": ["Rivera & Chen"],
        "other counselor": ["Nakamura & Berg"],
        "practice admin": ["Nakamura & Berg", "Rivera & Chen"],
        "read key": ["Nakamura & Berg", "Rivera & Chen"],
        "read-write key": ["Nakamura & Berg", "Rivera & Chen"],
        "other practice key": [],
    }
    if role in seen:
        assert response.status_code == 200
        assert [row["label"] for row in response.json()["results"]] == seen[role]
    else:
        assert response.status_code == {"revoked key": 401, "nobody": 403}[role]


def caseload_as_seen(user, label):
    """A couple's caseload row on the dashboard's home page, less what names it."""
    [row] = [row for row in dashboard.caseload(user, now=timezone.now()) if row.label == label]
    return (
        row.status,
        row.overdue,
        row.open_alerts,
        row.gap,
        [(p.name, p.done, p.assigned, p.balance) for p in row.partners],
    )


def partner_details(couple):
    return [
        (
            p.display_name,
            p.email,
            p.time_zone,
            p.quiet_hours_start,
            p.quiet_hours_end,
            p.preferred_hour,
            p.channel,
            p.phone,
            p.reminders_enabled,
            p.removed_at,
        )
        for p in couple.partners.order_by("pk")
    ]


def test_a_couple_added_through_the_api_is_on_the_caseload_as_one_added_on_the_dashboard(
    client, maya
):
    login(client, maya)
    dashboard_form = couple_form(
        "Ortiz & Haddad",
        [
            ("Lena Ortiz", "lena@mail.example", "Europe/Berlin"),
            ("Omar Haddad", "omar@mail.example", "America/New_York"),
        ],
    )
    assert client.post(reverse("admin:clients_couple_add"), dashboard_form).status_code == 302
    by_dashboard = Couple.objects.get()
    by_dashboard.label = "Ortiz & Haddad (dashboard)"
    by_dashboard.save()

    response = send(client, "post", COUPLES, NEW_COUPLE)

    assert response.status_code == 201, response.content
    by_api = Couple.objects.get(pk=response.json()["id"])
    assert caseload_as_seen(maya.user, "Ortiz & Haddad") == caseload_as_seen(
        maya.user, "Ortiz & Haddad (dashboard)"
    )
    assert list(by_api.counselors.all()) == list(by_dashboard.counselors.all()) == [maya]
    assert by_api.practice == by_dashboard.practice
    assert partner_details(by_api) == partner_details(by_dashboard)
    assert by_api.history.latest().history_user == maya.user


def test_a_key_names_the_counselors_of_the_couple_it_adds(client, maya, daniel, outsider):
    key, headers = key_headers(maya.practice)
    refused = send(client, "post", COUPLES, NEW_COUPLE, **headers)
    assert refused.status_code == 400
    assert pointers(refused) == {"#/counselors": "Choose at least one counselor."}
    elsewhere = send(
        client, "post", COUPLES, {**NEW_COUPLE, "counselors": [outsider.pk]}, **headers
    )
    assert pointers(elsewhere) == {"#/counselors": "Choose counselors of the couple's practice."}
    assert not Couple.objects.exists()

    response = send(client, "post", COUPLES, {**NEW_COUPLE, "counselors": [maya.pk]}, **headers)

    assert response.status_code == 201
    assert [c["id"] for c in response.json()["counselors"]] == [maya.pk]
    couple = Couple.objects.get()
    assert couple.practice == maya.practice
    assert couple.history.earliest().history_user == key.user
    assert [row.label for row in dashboard.caseload(maya.user, now=timezone.now())] == [
        "Ortiz & Haddad"
    ]


def test_a_counselor_cannot_choose_the_couples_counselors(client, maya, daniel, couple):
    login(client, maya)
    response = send(client, "patch", couple_url(couple), {"counselors": [daniel.pk]})
    assert response.status_code == 400
    assert pointers(response) == {
        "#/counselors": "Only a practice admin chooses a couple's counselors."
    }
    assert list(couple.counselors.all()) == [maya]


def test_a_new_partner_is_checked_by_the_dashboards_rules(client, maya):
    login(client, maya)
    body = {
        "label": "Ortiz & Haddad",
        "partners": [
            {"name": "Lena", "email": "lena@mail.example", "time_zone": "Mars/Olympus"},
            {"name": "Omar", "email": "omar@mail.example", "channel": "sms"},
        ],
    }
    response = send(client, "post", COUPLES, body)
    assert response.status_code == 400
    errors = pointers(response)
    assert errors["#/partners/0/time_zone"].startswith("“Mars/Olympus” is not a time zone we know.")
    assert errors["#/partners/1/phone"] == "Add a phone number to send text messages."
    assert not Couple.objects.exists()


def test_a_partner_is_saved_as_the_dashboard_saves_one(client, maya):
    login(client, maya)
    partner = {
        "name": "Lena",
        "email": "lena@mail.example",
        "time_zone": " europe/berlin ",
        "quiet_hours_start": "22:15",
        "channel": "sms",
        "phone": "(202) 555-0143",
    }
    response = send(client, "post", COUPLES, {"label": "Ortiz", "partners": [partner]})
    assert response.status_code == 201, response.content
    [shown] = response.json()["partners"]
    assert (shown["time_zone"], shown["quiet_hours_start"], shown["quiet_hours_end"]) == (
        "Europe/Berlin",
        "22:15",
        "08:00",
    )
    assert shown["phone"] == "+12025550143"
    saved = Partner.objects.get()
    assert (saved.time_zone, saved.quiet_hours_start) == ("Europe/Berlin", dt.time(22, 15))


def test_a_partner_never_shows_a_personal_link(client, maya, partner_a):
    from clients.links import issue_link

    token = issue_link(partner=partner_a, now=timezone.now())
    login(client, maya)
    response = client.get(reverse("api-partner", args=[partner_a.pk]))
    assert response.status_code == 200
    assert token not in response.content.decode()
    assert set(response.json()) == {
        "id",
        "couple",
        "name",
        "email",
        "phone",
        "time_zone",
        "quiet_hours_start",
        "quiet_hours_end",
        "preferred_hour",
        "channel",
        "reminders_enabled",
        "removed",
        "removed_at",
        "created_at",
    }
    assert AccessLog.objects.filter(user=maya.user, couple=partner_a.couple).count() == 1


def test_reading_a_couple_is_in_the_access_log(client, maya, couple):
    login(client, maya)
    assert client.get(couple_url(couple)).status_code == 200
    [log] = AccessLog.objects.all()
    assert (log.user, log.couple, log.what) == (maya.user, couple, "couple (API)")


def test_another_counselors_partner_answers_404(client, daniel, partner_a):
    login(client, daniel)
    assert client.get(reverse("api-partner", args=[partner_a.pk])).status_code == 404
    response = send(client, "patch", reverse("api-partner", args=[partner_a.pk]), {"name": "X"})
    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_a_partners_new_time_zone_moves_their_pending_reminders(
    client, maya, couple, partner_a, checkin, now
):
    assign_worksheet(
        couple=couple,
        template=checkin,
        assigned_by=maya,
        due_at=now + dt.timedelta(days=5),
        now=now,
    )
    pending = Reminder.objects.filter(partner=partner_a, status=Reminder.Status.PENDING)
    before = sorted(pending.values_list("kind", "due_at"))
    login(client, maya)
    url = reverse("api-partner", args=[partner_a.pk])
    response = send(client, "patch", url, {"time_zone": "Pacific/Auckland"})
    assert response.status_code == 200, response.content
    after = sorted(pending.values_list("kind", "due_at"))
    assert [kind for kind, _ in after] == [kind for kind, _ in before]
    assert after != before


def test_a_partner_is_removed_and_keeps_their_record(client, maya, partner_b):
    login(client, maya)
    url = reverse("api-partner", args=[partner_b.pk])
    response = send(client, "patch", url, {"removed": True})
    assert response.status_code == 200
    assert response.json()["removed"] is True
    partner_b.refresh_from_db()
    assert partner_b.removed_at is not None
    assert partner_b.history.latest().history_user == maya.user


def test_a_couple_has_at_most_two_partners(client, maya, couple):
    login(client, maya)
    url = reverse("api-couple-partners", args=[couple.pk])
    response = send(client, "post", url, {"name": "Kim", "email": "kim@mail.example"})
    assert response.status_code == 400
    assert pointers(response) == {"#/partners": "A couple has at most 2 partners."}


def test_a_second_partner_is_added_in_the_practices_time_zone(client, maya):
    couple = couple_with_partners(counselor=maya, label="Solo", names=("Sam",))
    login(client, maya)
    url = reverse("api-couple-partners", args=[couple.pk])
    response = send(client, "post", url, {"name": "Kim", "email": "kim@mail.example"})
    assert response.status_code == 201
    assert response.json()["time_zone"] == "America/New_York"
    assert couple.partners.count() == 2


def test_a_couple_is_closed_paused_and_reopened(client, maya, couple):
    login(client, maya)
    closed = send(client, "post", couple_url(couple, "close/"))
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"] is not None
    couple.refresh_from_db()
    assert couple.closed_at is not None
    assert send(client, "post", couple_url(couple, "pause/")).json()["status"] == "paused"
    reopened = send(client, "post", couple_url(couple, "reopen/")).json()
    assert (reopened["status"], reopened["closed_at"]) == ("active", None)


def test_a_read_key_cannot_close_a_couple(client, maya, couple):
    _, headers = key_headers(maya.practice, ApiKey.Scope.READ)
    response = send(client, "post", couple_url(couple, "close/"), **headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "This API key may only read."
    couple.refresh_from_db()
    assert couple.status == Couple.Status.ACTIVE


def test_couples_come_in_pages_by_label(client, maya, monkeypatch):
    from therapy import api_pages

    monkeypatch.setattr(api_pages, "PAGE_SIZE", 2)
    for label in ("Eve", "Bea", "Dan", "Ann", "Cat"):
        couple_with_partners(counselor=maya, label=label)
    login(client, maya)
    page, labels = client.get(COUPLES).json(), []
    while True:
        labels += [row["label"] for row in page["results"]]
        if page["next"] is None:
            break
        page = client.get(page["next"]).json()
    assert labels == ["Ann", "Bea", "Cat", "Dan", "Eve"]
    back = client.get(page["previous"]).json()
    assert [row["label"] for row in back["results"]] == ["Cat", "Dan"]
    closed = client.get(COUPLES, {"status": "closed"}).json()
    assert closed["results"] == []
    refused = client.get(COUPLES, {"status": "gone"})
    assert [e["parameter"] for e in refused.json()["errors"]] == ["status"]


def list_queries(client, url, counselor, couples):
    for n in range(couples):
        couple_with_partners(counselor=counselor, label=f"Couple {n:02}")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_couples_list_costs_the_same_queries_for_2_or_20_couples(client, maya, daniel):
    # The session, the user and counselor, the couples, their partners, their counselors.
    login(client, maya)
    few = list_queries(client, COUPLES, maya, 2)
    many = list_queries(client, COUPLES, maya, 18)
    assert few == many


@pytest.mark.parametrize("role", list(ROLES))
def test_each_caller_changes_a_partner_only_within_its_scope(
    role, client, partner_a, maya, daniel, priya, outsider
):
    headers, account = sign_in(role, client, maya, daniel, priya, outsider)
    url = reverse("api-partner", args=[partner_a.pk])
    response = send(client, "patch", url, {"quiet_hours_start": "22:30"}, **headers)
    assert response.status_code == ROLES[role], response.content
    partner_a.refresh_from_db()
    if response.status_code == 200:
        assert partner_a.quiet_hours_start == dt.time(22, 30)
        assert partner_a.history.latest().history_user == account
    else:
        assert partner_a.quiet_hours_start == dt.time(21, 0)


@pytest.mark.parametrize("role", list(ROLES))
def test_each_caller_reads_a_couple_only_within_its_scope(
    role, client, couple, maya, daniel, priya, outsider
):
    headers, _ = sign_in(role, client, maya, daniel, priya, outsider)
    response = client.get(couple_url(couple), **headers)
    reads = {"read key": 200, "read-write key": 200}
    assert response.status_code == reads.get(role, ROLES[role])
    assert AccessLog.objects.filter(couple=couple).count() == (response.status_code == 200)
