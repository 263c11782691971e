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


NO_OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll("body *")].filter(
        (el) => el.getBoundingClientRect().right > width + 0.5
    );
    return {scroll: document.documentElement.scrollWidth, width,
            wide: wide.map((el) => el.tagName + "." + el.className).slice(0, 5)};
}"""


def test_the_side_by_side_view_is_one_card_per_question_on_a_phone_and_a_table_when_wide(
    browser,
    live_server,
    transactional_db,
    settings,
    couple,
    library,
    maya,
    partner_a,
    partner_b,
    tmp_path,
):
    settings.SITE_URL = live_server.url
    now = timezone.now()
    inventory = library.get(slug="balance-inventory")
    assignment = assign_worksheet(
        couple=couple,
        template=inventory,
        due_at=now + dt.timedelta(days=4),
        assigned_by=maya,
        now=now,
    )
    items = list(inventory.items.all())
    keys = [item.key for item in items]
    shared = [item for item in items if assignment.visibility_of(item) == "shared"]
    assert len(shared) > 10
    for partner, value in ((partner_a, 4), (partner_b, 2)):
        response = Response.objects.get(partner=partner, assignment=assignment)
        submit_response(
            response_id=response.pk,
            partner=partner,
            now=now,
            answers=dict.fromkeys(keys, value),
        )
    # Alex keeps one shared answer to themselves: Sam's view says so, and shows nothing of it.
    Response.objects.filter(partner=partner_b, assignment=assignment).update(
        withheld=["own_friends"]
    )
    sams = Response.objects.get(partner=partner_a, assignment=assignment)

    phone = new_device(browser)
    phone.goto(fresh_link(partner_a, live_server))
    phone.get_by_role("button", name="Continue").click()
    phone.goto(f"{live_server.url}/portal/worksheets/{sams.pk}/result/")
    expect(phone.get_by_role("heading", name="You and Alex")).to_be_visible()
    table = phone.get_by_role("table", name="Your shared answers, question by question")
    rows = table.get_by_role("row")
    expect(rows).to_have_count(1 + len(shared))  # the header row, and one per shared question

    # A card per question: the question, then each answer stacked under its own label.
    card = rows.nth(1)
    question, mine, theirs = (card.locator(tag).first for tag in ("th", "td", "td + td"))
    expect(question).to_have_text(re.compile(r"^1\. "))
    expect(mine.locator(".who")).to_be_visible()
    expect(mine.locator(".who")).to_have_text("You")
    expect(theirs.locator(".who")).to_have_text("Alex")
    q, m, t = (box.bounding_box() for box in (question, mine, theirs))
    assert q["y"] < m["y"] < t["y"], "the answers stack under the question"
    assert min(m["width"], t["width"]) > 0.7 * 390, "each answer has the card's full width"
    # The column headers are there for screen readers, out of sight.
    assert table.locator("thead").bounding_box()["height"] <= 1
    # To a screen reader it is still a table: each answer is a cell under its column header.
    expect(card.get_by_role("rowheader")).to_have_count(1)
    expect(card.get_by_role("cell")).to_have_count(2)
    kept = table.get_by_role("row", name=re.compile("friends of my own"))
    expect(kept.get_by_role("cell").nth(1)).to_have_text(re.compile("Not shared"))

    assert "{#" not in phone.content() and "{%" not in phone.content()
    overflow = phone.evaluate(NO_OVERFLOW)
    assert overflow["scroll"] <= overflow["width"] == 390, overflow
    assert overflow["wide"] == [], overflow
    rows.nth(1).evaluate("row => row.scrollIntoView()")
    phone.screenshot(path=tmp_path / "side-by-side-390.png")  # the 390 x 844 screen
    phone.screenshot(path=tmp_path / "side-by-side-390-full.png", full_page=True)
    assert check_accessibility(phone, "result-side-by-side-phone") == []

    # Wide: a table of three columns, the labels in the cells give way to the column headers.
    phone.set_viewport_size({"width": 1024, "height": 800})
    assert table.locator("thead").bounding_box()["height"] > 10
    expect(mine.locator(".who")).not_to_be_visible()
    q, m, t = (box.bounding_box() for box in (question, mine, theirs))
    assert q["y"] == m["y"] == t["y"] and q["x"] < m["x"] < t["x"]
    phone.screenshot(path=tmp_path / "side-by-side-wide.png", full_page=True)
    assert check_accessibility(phone, "result-side-by-side-wide") == []
    phone.context.close()


def test_the_accessibility_check_does_catch_a_broken_page(browser):
    page = new_device(browser)
    page.set_content("<html><body><img src='x.png'><input type='text'></body></html>")
    found = {violation["id"] for violation in check_accessibility(page, "deliberately-broken")}
    page.context.close()
    assert "image-alt" in found
