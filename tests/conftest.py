"""Shared personas: two counselors in one practice, each with a couple; a practice admin;
a counselor of another practice. Every access test uses these same people."""

import datetime as dt

import pytest
from django.http import HttpRequest
from django.utils import timezone

from tests.factories import (
    PASSWORD,
    CounselorFactory,
    PracticeFactory,
    UserFactory,
    couple_with_partners,
)
from therapy.models import Counselor
from worksheets.library import load_library


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate limits and sign-in counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def library(db):
    load_library()
    from worksheets.library import latest_templates

    return latest_templates()


@pytest.fixture
def checkin(library):
    return library.get(slug="weekly-checkin")


@pytest.fixture
def practice(db):
    return PracticeFactory(name="Harbor Counseling", time_zone="America/New_York")


@pytest.fixture
def maya(practice):
    """A counselor, and the owner of the couple most tests are about."""
    return CounselorFactory(practice=practice, user=UserFactory(username="maya"))


@pytest.fixture
def daniel(practice):
    """Another counselor in the same practice, with a caseload of his own."""
    return CounselorFactory(practice=practice, user=UserFactory(username="daniel"))


@pytest.fixture
def priya(practice):
    """The practice admin: sees every couple of the practice."""
    return CounselorFactory(
        practice=practice, user=UserFactory(username="priya"), role=Counselor.Role.PRACTICE_ADMIN
    )


@pytest.fixture
def outsider(db):
    """A counselor of another practice."""
    return CounselorFactory(
        practice=PracticeFactory(name="Elsewhere"), user=UserFactory(username="olga")
    )


@pytest.fixture
def couple(maya):
    return couple_with_partners(counselor=maya, label="Rivera & Chen", names=("Sam", "Alex"))


@pytest.fixture
def partner_a(couple):
    return couple.partners.order_by("pk")[0]


@pytest.fixture
def partner_b(couple):
    return couple.partners.order_by("pk")[1]


@pytest.fixture
def daniels_couple(daniel):
    return couple_with_partners(counselor=daniel, label="Nakamura & Berg", names=("Ken", "Ina"))


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def next_week(now):
    return now + dt.timedelta(days=7)


def login(client, counselor):
    # The sign-in lockout needs the request a real sign-in would have.
    client.login(request=HttpRequest(), username=counselor.user.username, password=PASSWORD)
    return client


def portal_sign_in(client, partner):
    """Open a fresh personal link and press Continue, as the partner would."""
    from clients.links import issue_link

    token = issue_link(partner=partner, now=timezone.now())
    client.get(f"/p/{token}/")
    client.post("/portal/welcome/")
    return client


def fill_in(client, response, data):
    """Answer every part of a worksheet and submit it from the review page, as a partner would
    by pressing Next, then Review, then Submit. Returns the last page: the redirect to the
    result, or the first page that refused the answers."""
    url = f"/portal/worksheets/{response.pk}/"
    step = 1
    while True:
        page = client.post(f"{url}?step={step}", {**data, "action": "next"})
        if page.status_code != 302:
            return page
        if page["Location"].endswith("/review/"):
            return client.post(f"{url}review/")
        step += 1


def pytest_terminal_summary(terminalreporter):
    """Print the accessibility results of every portal page the browser tests checked."""
    from tests.e2e.axe import REPORT

    if REPORT:
        terminalreporter.section("accessibility (axe-core)")
        for line in REPORT:
            terminalreporter.write_line(line)
