"""The portal on a phone, across two devices, with both partners; axe checks every page."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.links import issue_link, unsubscribe_url
from clients.models import Partner
from tests.e2e.axe import check_accessibility
from tests.e2e.conftest import PHONE
from worksheets.assignments import assign_worksheet
from worksheets.models import Response
from worksheets.responses import submit_response

pytestmark = pytest.mark.e2e
SECRET = "SENTINEL-alex-private-5521"


@pytest.fixture
def time_map(transactional_db, live_server, settings, couple, library, maya, partner_a):
    settings.SITE_URL = live_server.url
    Partner.objects.filter(pk=partner_a.pk).update(consented_at=None)
    now = timezone.now()
    return assign_worksheet(
        couple=couple,
        template=library.get(slug="time-map"),
        due_at=now + dt.timedelta(days=4),
        assigned_by=maya,
        now=now,
    )


def fresh_link(partner, live_server):
    return f"{live_server.url}/p/{issue_link(partner=partner, now=timezone.now())}/"


def new_device(browser):
    return browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    ).new_page()


def test_a_partner_starts_on_one_phone_finishes_on_another_and_sees_only_what_was_shared(
    browser, live_server, time_map, partner_a, partner_b, tmp_path
):
    blocking = {}

    def audit(page, name):
        blocking[name] = check_accessibility(page, name)
        page.screenshot(path=tmp_path / f"{name}.png", full_page=True)

    # First phone: link, Continue, consent, the first part, then leave.
    phone = new_device(browser)
    phone.goto(fresh_link(partner_a, live_server))
    audit(phone, "welcome")
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Before you start")
    audit(phone, "consent")
    phone.get_by_role("button", name="I understand, continue").click()
    audit(phone, "home")
    phone.get_by_role("link", name=re.compile("Start")).click()
    expect(phone.get_by_text(re.compile("Part 1 of 4"))).to_be_visible()
    for label, hours in (
        ("just the two of you", "12"),
        ("other people", "6"),
        ("On your own", "10"),
        ("own friends", "5"),
        ("work or study", "40"),
    ):
        phone.get_by_label(re.compile(label)).fill(hours)
    audit(phone, "worksheet-part-1")
    phone.get_by_role("button", name="Next part").click()
    expect(phone.get_by_text(re.compile("Part 2 of 4"))).to_be_visible()
    phone.context.close()

    # A new device: a fresh link, and the draft is waiting.
    phone = new_device(browser)
    phone.goto(fresh_link(partner_a, live_server))
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("link", name=re.compile("Continue")).click()
    phone.get_by_role("button", name="Back").click()
    expect(phone.get_by_label(re.compile("work or study"))).to_have_value("40")
    phone.get_by_role("button", name="Next part").click()
    for label in (
        "just the two of you",
        "other people",
        "On your own",
        "own friends",
        "work or study",
    ):
        phone.get_by_label(re.compile(label)).fill("10")
    phone.get_by_role("button", name="Next part").click()
    phone.locator(".question").nth(0).get_by_label("7", exact=True).check()
    phone.locator(".question").nth(1).get_by_label("5", exact=True).check()
    phone.get_by_label("Glad for them").check()
    phone.get_by_label("Mostly good").check()
    audit(phone, "worksheet-part-3")
    phone.get_by_role("button", name="Next part").click()
    phone.get_by_label("Time with my own friends").check()
    phone.get_by_role("button", name="Review my answers").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your answers")
    audit(phone, "review")
    phone.get_by_role("button", name="Submit my answers").click()
    expect(phone.get_by_text("not a diagnosis")).to_be_visible()
    audit(phone, "result")

    # Alex submits, keeping one answer private; Sam then sees only what Alex shared.
    alex = Response.objects.get(partner=partner_b, assignment=time_map)
    submit_response(
        response_id=alex.pk,
        partner=partner_b,
        now=timezone.now(),
        answers={
            "preferred_togetherness": 3,
            "guess_partner_togetherness": 7,
            "partner_time_apart_feels": "left_out",
            "time_together_feels": "often_costs",
            "new_thing_to_try": SECRET,
        },
    )
    Response.objects.filter(pk=alex.pk).update(withheld=["new_thing_to_try"])
    phone.reload()
    expect(phone.get_by_role("heading", name="You and Alex")).to_be_visible()
    expect(phone.get_by_text("Wide gap")).to_be_visible()  # 7 against 3
    expect(phone.get_by_role("cell", name="A bit left out")).to_be_visible()
    audit(phone, "result-side-by-side")
    content = phone.content()
    assert SECRET not in content
    assert "Like time I want" not in content and "Often like I am giving up" not in content

    phone.goto(f"{live_server.url}/portal/preferences/")
    audit(phone, "preferences")
    phone.goto(f"{live_server.url}/portal/progress/")
    expect(phone.get_by_text("have no scores to follow over time")).to_be_visible()
    audit(phone, "progress")
    phone.goto(f"{live_server.url}/portal/new-link/")
    audit(phone, "new-link")
    phone.goto(unsubscribe_url(partner_a))
    audit(phone, "unsubscribe")
    phone.goto(f"{live_server.url}/p/not-a-real-token/")
    audit(phone, "link-no-longer-works")
    phone.goto(f"{live_server.url}/portal/signed-out/")
    audit(phone, "signed-out")
    phone.context.close()

    assert {name: found for name, found in blocking.items() if found} == {}


def test_the_accessibility_check_does_catch_a_broken_page(browser):
    page = new_device(browser)
    page.set_content("<html><body><img src='x.png'><input type='text'></body></html>")
    found = {violation["id"] for violation in check_accessibility(page, "deliberately-broken")}
    page.context.close()
    assert "image-alt" in found
