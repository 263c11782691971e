"""Safety in a real browser: a partner signals fear on a phone, the counselor follows up
alone, the other partner sees nothing, and the quick exit leaves at once. axe checks every
page the safety features add or change."""

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import expect

from clients.links import issue_link
from clients.portal import PARTNER_KEY
from tests.e2e.axe import check_accessibility
from tests.e2e.conftest import PHONE
from tests.factories import PASSWORD
from therapy.models import Alert
from worksheets.assignments import assign_worksheet
from worksheets.models import Response

pytestmark = pytest.mark.e2e
LAPTOP = {"width": 1366, "height": 900}
# Outside the repository: other engineers share the tree.
SHOTS = Path("/tmp/e2e-shots")
NOTE = "Called Sam alone on Tuesday; safety plan agreed, joint sessions on hold for now."
NEUTRAL_PAGE = "<!doctype html><html lang='en'><title>Weather</title><h1>Weather today</h1></html>"
URGENT_HOME = "Urgent: speak with these partners alone first"


@pytest.fixture
def assigned(transactional_db, live_server, couple, library, maya, partner_a):
    """The weekly check-in for both partners, and the safety check for partner A alone."""
    now = timezone.now()
    details = {"couple": couple, "due_at": now + dt.timedelta(days=4), "assigned_by": maya}
    assign_worksheet(template=library.get(slug="weekly-checkin"), now=now, **details)
    return assign_worksheet(
        template=library.get(slug="safety-check"), for_partner=partner_a, now=now, **details
    )


@pytest.fixture
def open_page(browser):
    """A page in a browser of its own (a phone at the phone's size), closed after the test
    even when it fails, so no request is still in flight when the database is torn down."""
    contexts = []

    def new_page(viewport):
        phone = viewport == PHONE
        contexts.append(
            browser.new_context(
                viewport=viewport,
                device_scale_factor=2 if phone else 1,
                is_mobile=phone,
                has_touch=phone,
            )
        )
        return contexts[-1].new_page()

    yield new_page
    for context in contexts:
        context.close()


@pytest.fixture
def neutral_site(open_page):
    """A phone whose browser answers for the quick exit's neutral site: the network is
    closed."""
    page = open_page(PHONE)
    host = urlsplit(django_settings.QUICK_EXIT_URL).netloc
    page.context.route(
        re.compile(rf"^https?://{re.escape(host)}/"),
        lambda route: route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE),
    )
    return page


def sign_in(page, partner, live_server):
    """Open a fresh personal link and press Continue, as the partner would."""
    page.goto(f"{live_server.url}/p/{issue_link(partner=partner, now=timezone.now())}/")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your worksheets")).to_be_visible()
    # Styles and the quick exit's script, before anything is measured or pressed.
    page.wait_for_load_state("load")


def shoot(page, name, **options):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", **options)


def assert_in_reach(locator, viewport):
    """On screen as the page is now, and at least 44 px square (WCAG 2.5.5)."""
    box = locator.bounding_box()
    assert box is not None
    assert box["width"] >= 44 and box["height"] >= 44, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box


def signed_in(partner) -> bool:
    """Whether any live portal session still holds the partner."""
    sessions = Session.objects.filter(expire_date__gt=timezone.now())
    return any(s.get_decoded().get(PARTNER_KEY) == partner.pk for s in sessions)


def wait_until_signed_out(page, partner):
    """The sign-out is a beacon the page does not wait for (Playwright even reports it as
    aborted once the page has gone); wait for the server to have received it."""
    for _ in range(100):
        if not signed_in(partner):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{partner} is still signed in 5 s after the quick exit")


def test_a_partner_signals_fear_on_a_phone_and_the_counselor_follows_up_alone(
    open_page, live_server, assigned, couple, maya, partner_a, partner_b
):
    blocking = {}

    def audit(page, name):
        page.wait_for_load_state("load")  # the styles too, for the contrast checks
        blocking[name] = check_accessibility(page, name)

    # Sam, on a phone: the safety check says who reads it before anything is asked.
    phone = open_page(PHONE)
    sign_in(phone, partner_a, live_server)
    expect(phone.get_by_role("region", name="Support, any time")).to_have_count(0)
    phone.get_by_role("link", name="Start How things are at home").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("How things are at home")
    notice = phone.get_by_role("note").filter(has_text="Just between you and your counselor")
    expect(notice).to_contain_text("Your counselor reads these answers soon")
    expect(notice).to_contain_text("Your partner never sees them")
    question = phone.locator("#q-felt_scared")
    expect(question).to_contain_text("Only your counselor will see this answer")
    audit(phone, "safety-check")
    shoot(phone, "safety-check-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Saving, not submitting, is what raises the alert: a frightened partner may never submit.
    question.get_by_label("Sometimes", exact=True).check()
    phone.get_by_role("button", name="Save and finish later").click()
    expect(phone.get_by_text("Your answers are saved")).to_be_visible()
    support = phone.get_by_role("region", name="Support, any time")
    expect(support).to_be_visible()
    expect(support).to_contain_text("Only you see this")
    audit(phone, "safety-check-just-saved")
    # The same page once the "saved" message has gone: what Sam sees from now on.
    phone.reload()
    expect(support).to_be_visible()
    audit(phone, "safety-check-with-support")
    shoot(phone, "safety-check-with-support-phone")
    phone.get_by_role("link", name="← Your worksheets").click()
    expect(phone.get_by_role("region", name="Support, any time")).to_be_visible()
    response = Response.objects.get(assignment=assigned, partner=partner_a)
    assert response.status == Response.Status.DRAFT
    alert = Alert.objects.get(couple=couple, kind=Alert.Kind.SAFETY)
    assert alert.acknowledged_at is None and alert.signal_keys == ["felt_scared"]

    # Alex, on another phone: no support section, no safety check, nothing that tells.
    other = open_page(PHONE)
    sign_in(other, partner_b, live_server)
    content = other.content()
    assert "Support, any time" not in content
    assert "How things are at home" not in content
    other.get_by_role("link", name=re.compile("^Start Weekly")).click()
    expect(other.get_by_role("heading", level=1)).to_contain_text("Weekly")
    assert "Support, any time" not in other.content()

    # Maya, at a laptop: the urgent section first on her home page.
    desk = open_page(LAPTOP)
    desk.goto(f"{live_server.url}/admin/login/")
    desk.get_by_label("Username").fill("maya")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Log in").click()
    urgent = desk.get_by_role("region", name=URGENT_HOME)
    expect(urgent).to_be_visible()
    expect(urgent).to_contain_text("Rivera & Chen")
    expect(urgent.locator("strong")).to_have_text("Sam")
    audit(desk, "counselor-home-urgent")
    shoot(desk, "counselor-home-urgent")

    urgent.get_by_role("link", name=re.compile("Read and acknowledge")).click()
    expect(desk).to_have_url(re.compile(rf"/admin/clients/couple/{couple.pk}/overview/$"))
    section = desk.get_by_role("region", name="Urgent: speak with Sam alone first")
    expect(section).to_be_visible()
    signalled = section.get_by_role("row").filter(has_text="Have you felt scared")
    expect(signalled.get_by_role("cell", name="Sometimes", exact=True)).to_be_visible()
    audit(desk, "couple-page-urgent")
    shoot(desk, "couple-page-urgent")

    # No note: the browser asks for one first; a note of spaces is refused by the server.
    note = section.get_by_label("What did you do to follow up?")
    acknowledge = section.get_by_role("button", name="Acknowledge with this note")
    acknowledge.click()
    assert note.evaluate("el => el.validity.valueMissing")
    note.fill("   ")
    acknowledge.click()
    expect(section.get_by_role("alert")).to_contain_text("Write what you did to follow up")
    expect(note).to_have_accessible_description(re.compile("Write what you did to follow up"))
    expect(section).to_be_visible()
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    audit(desk, "couple-page-urgent-refused")
    shoot(desk, "couple-page-urgent-refused")

    section.get_by_label("What did you do to follow up?").fill(NOTE)
    section.get_by_role("button", name="Acknowledge with this note").click()
    expect(desk.get_by_text("Alert acknowledged.")).to_be_visible()
    expect(desk.get_by_role("region", name=re.compile("^Urgent"))).to_have_count(0)
    follow_ups = desk.get_by_role("region", name="Safety follow-ups")
    expect(follow_ups).to_contain_text(NOTE)
    expect(follow_ups).to_contain_text("Sam")
    shoot(desk, "couple-page-followed-up")
    alert.refresh_from_db()
    assert alert.acknowledged_by == maya
    assert alert.acknowledged_at is not None
    assert alert.follow_up_note == NOTE

    desk.get_by_role("link", name="Home").first.click()
    expect(desk.locator("table.caseload")).to_be_visible()
    expect(desk.get_by_role("region", name=URGENT_HOME)).to_have_count(0)

    assert {name: found for name, found in blocking.items() if found} == {}


def test_the_quick_exit_leaves_at_once_and_signs_the_partner_out(
    neutral_site, live_server, assigned, partner_a
):
    page = neutral_site
    sign_in(page, partner_a, live_server)
    quick_exit = page.get_by_role("link", name=re.compile("^Quick exit"))
    expect(quick_exit).to_have_attribute("href", django_settings.QUICK_EXIT_URL)
    assert_in_reach(quick_exit, PHONE)
    blocking = check_accessibility(page, "portal-home-quick-exit")

    # On a long worksheet page too, and still in reach once scrolled to the end.
    page.get_by_role("link", name="Start How things are at home").click()
    page.wait_for_load_state("load")
    assert_in_reach(quick_exit, PHONE)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("window.scrollY") > 0
    assert_in_reach(quick_exit, PHONE)

    history = page.evaluate("history.length")
    quick_exit.click()
    expect(page.get_by_role("heading", name="Weather today")).to_be_visible()
    assert page.evaluate("history.length") == history  # replaced, not added
    wait_until_signed_out(page, partner_a)

    # Back leads past the worksheet, to a portal page that no longer opens.
    page.go_back()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    assert "How things are at home" not in page.content()
    page.goto(f"{live_server.url}/portal/")
    expect(page).to_have_url(re.compile(r"/portal/signed-out/$"))

    # Esc three times does the same.
    sign_in(page, partner_a, live_server)
    assert signed_in(partner_a)
    for _ in range(3):
        page.keyboard.press("Escape")
    expect(page.get_by_role("heading", name="Weather today")).to_be_visible()
    wait_until_signed_out(page, partner_a)
    page.goto(f"{live_server.url}/portal/")
    expect(page).to_have_url(re.compile(r"/portal/signed-out/$"))

    assert blocking == []
