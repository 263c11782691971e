"""Dates and times on the dashboard: one way of writing them on every page, chosen by the
counselor's browser language (month first in US English, day first in British English), in
the practice's time zone. Templates name a format (therapy/formats/), never a pattern."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from therapy.sessions import schedule_session
from worksheets.assignments import assign_worksheet

# 18:00 UTC is 14:00 in New York, the practice's zone (daylight time in May).
SESSION = dt.datetime(2030, 5, 8, 18, 0, tzinfo=dt.UTC)
# 03:59 UTC on 9 May is 23:59 on 8 May in New York.
DUE = dt.datetime(2030, 5, 9, 3, 59, tzinfo=dt.UTC)

US = {
    "home": "Wed, May 8, 2:00 PM",
    "due": "May 8, 2030",
    "session": "May 8, 2030, 2:00 PM",
    "assignment": "May 8, 2030, 11:59 PM",
}
GB = {
    "home": "Wed 8 May, 14:00",
    "due": "8 May 2030",
    "session": "8 May 2030, 14:00",
    "assignment": "8 May 2030, 23:59",
}


@pytest.fixture
def booked(couple, maya, checkin):
    now = timezone.now()
    schedule_session(couple=couple, counselor=maya, starts_at=SESSION, now=now)
    return assign_worksheet(couple=couple, template=checkin, due_at=DUE, assigned_by=maya, now=now)


def pages(client, couple, assignment, language):
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    urls = {
        "home": reverse("admin:index"),
        "due": reverse("admin:clients_couple_overview", args=[couple.pk]),
        "session": reverse("admin:clients_couple_change", args=[couple.pk]),
        "assignment": reverse("admin:worksheets_assignment_change", args=[assignment.pk]),
    }
    return {name: client.get(url, **headers).content.decode() for name, url in urls.items()}


@pytest.mark.parametrize(
    ("language", "expected"), [("en-US,en;q=0.9", US), ("en-GB,en;q=0.9", GB), ("", US)]
)
def test_every_page_writes_dates_the_counselors_way_in_the_practices_zone(
    client, maya, couple, booked, language, expected
):
    login(client, maya)
    shown = pages(client, couple, booked, language)
    for name, text in expected.items():
        assert text in shown[name], name
    for page in shown.values():
        # Neither Django's stock "p.m." nor the other locale's order slips in anywhere.
        assert "p.m." not in page and "a.m." not in page
    other = GB if expected is US else US
    assert all(other[name] not in shown[name] for name in other)


def test_an_australian_counselor_reads_dates_day_first(client, maya, couple, booked):
    login(client, maya)
    shown = pages(client, couple, booked, "en-AU")
    assert GB["home"] in shown["home"] and GB["due"] in shown["due"]


# Raised at 01:00 UTC on 10 May: 21:00 on 9 May in New York.
RAISED = dt.datetime(2030, 5, 10, 1, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("language", "raised"), [("en-US,en;q=0.9", "May 9, 2030"), ("en-GB,en;q=0.9", "9 May 2030")]
)
def test_an_alert_is_dated_the_counselors_way_wherever_it_is_listed(
    client, maya, couple, booked, language, raised
):
    from therapy.alerts import raise_missed_work_alert

    response = booked.responses.first()
    alert = raise_missed_work_alert(response=response, now=RAISED)
    # The stored words carry no date of their own, in either order.
    assert not any(month in alert.reason for month in ("May", "2030"))
    login(client, maya)
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    for url in (
        reverse("admin:index"),
        reverse("admin:clients_couple_overview", args=[couple.pk]),
        reverse("admin:clients_couple_brief", args=[couple.pk]),
    ):
        page = client.get(url, **headers).content.decode()
        assert f"{alert.reason} <span class=\"help\">(raised {raised})</span>" in page, url
