"""The counselor's dashboard in a real browser, on the demo practice's three stories."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.axe import check_accessibility
from therapy.demo import DEMO_PASSWORD, load_demo
from worksheets.library import load_library

pytestmark = pytest.mark.e2e
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture
def demo(transactional_db, live_server):
    load_library()
    load_demo(now=timezone.now())
    return live_server


def test_home_couple_page_and_brief(browser, demo, tmp_path):
    page = browser.new_context(viewport=LAPTOP).new_page()
    page.goto(f"{demo.url}/admin/login/")
    page.get_by_label("Username").fill("counselor")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # The caseload: three couples, what needs attention first.
    table = page.locator("table.caseload")
    expect(table.get_by_role("link", name="Rivera & Chen")).to_be_visible()
    expect(table.get_by_role("link", name="Patel & Moreau")).to_be_visible()
    expect(table.get_by_role("link", name="Okafor & Lind")).to_be_visible()
    expect(
        page.get_by_text(re.compile("Priya Patel setting themselves aside while Luc Moreau"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile("Erik Lind has not handed in")).first).to_be_visible()
    assert "Nakamura" not in page.content()
    page.screenshot(path=tmp_path / "home.png", full_page=True)
    blocking = {"dashboard-home": check_accessibility(page, "dashboard-home")}

    # The drifting couple: charts of the gap widening, with their numbers.
    table.get_by_role("link", name="Patel & Moreau").click()
    expect(page.get_by_role("heading", name=re.compile("Scores over time"))).to_be_visible()
    gap_chart = page.get_by_role("img", name=re.compile("Gap between the partners"))
    expect(gap_chart).to_be_visible()
    assert gap_chart.bounding_box()["width"] >= 400  # legible on a laptop
    assert page.locator("svg.chart").count() >= 5
    page.get_by_text("The numbers: Gap between the partners' preferred balance").click()
    expect(page.get_by_role("cell", name="7").first).to_be_visible()
    expect(page.get_by_text(re.compile("Priya wants more time together"))).to_be_visible()
    page.screenshot(path=tmp_path / "couple.png", full_page=True)
    blocking["dashboard-couple"] = check_accessibility(page, "dashboard-couple")
    # The counselor acknowledges the newest alert right there.
    open_alerts = page.locator("ul.alerts > li")
    before = open_alerts.count()
    newest = open_alerts.first.inner_text()
    open_alerts.first.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Alert acknowledged.")).to_be_visible()
    assert open_alerts.count() == before - 1
    assert newest not in page.locator("ul.alerts").inner_text()

    # The brief for the session in three days.
    page.get_by_role("link", name="Session brief").first.click()
    expect(page.get_by_text(re.compile("This is an early look"))).to_be_visible()
    expect(page.get_by_text("7 of 10", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile("not a diagnosis")).first).to_be_visible()
    page.screenshot(path=tmp_path / "brief.png", full_page=True)
    blocking["dashboard-brief"] = check_accessibility(page, "dashboard-brief")
    page.context.close()
    assert blocking == {name: [] for name in blocking}
