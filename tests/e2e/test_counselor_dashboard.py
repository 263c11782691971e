"""The counselor's dashboard in a real browser, on the demo practice's three stories."""

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Couple
from tests.e2e.axe import check_accessibility
from therapy.demo import DEMO_PASSWORD, load_demo
from worksheets.library import latest_templates, load_library

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


PHONE = {"width": 390, "height": 844}
SCREENSHOTS = os.environ.get("DASHBOARD_SCREENSHOTS", "")


def dashboard_pages(live_url):
    """Every page a counselor works in, on the drifting couple where a couple is needed."""
    couple = Couple.objects.get(label="Patel & Moreau")
    inventory = latest_templates().get(slug="balance-inventory")
    return {
        "home": "/admin/",
        "caseload": reverse("admin:clients_couple_changelist"),
        "couple": reverse("admin:clients_couple_overview", args=[couple.pk]),
        "add-couple": reverse("admin:clients_couple_add"),
        "assign": f"{reverse('admin:clients_couple_assign', args=[couple.pk])}"
        f"?template={inventory.pk}",
        "alerts": reverse("admin:therapy_alert_changelist"),
        "deliveries": reverse("admin:worksheets_reminder_changelist"),
        "outbox": reverse("admin:outbox"),
        "brief": reverse("admin:clients_couple_brief", args=[couple.pk]),
    }


def sign_in(page, url):
    page.goto(f"{url}/admin/login/")
    page.get_by_label("Username").fill("counselor")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("table.caseload")).to_be_visible()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_every_dashboard_page_reads_well_at_laptop_and_phone_width(
    browser, demo, settings, tmp_path, viewport
):
    # The development outbox is listed only while e-mail is written to files.
    settings.EMAIL_BACKEND = "therapy.mailfiles.MessageFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    phone = viewport is PHONE
    context = browser.new_context(
        viewport=viewport, is_mobile=phone, has_touch=phone, locale="en-US"
    )
    page = context.new_page()
    sign_in(page, demo.url)
    blocking, too_wide = {}, {}
    for name, path in dashboard_pages(demo.url).items():
        page.goto(f"{demo.url}{path}")
        expect(page.locator("#content")).to_be_visible()
        # Nothing widens the page: wide tables scroll inside it, or turn into cards.
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"]:
            too_wide[name] = width
        page.screenshot(path=folder / f"{name}-{viewport['width']}.png")
        blocking[name] = check_accessibility(page, f"dashboard-{name}-{viewport['width']}")
    context.close()
    assert too_wide == {}
    assert blocking == {name: [] for name in blocking}


def test_the_caseload_is_cards_on_a_phone_and_its_headers_keep_words_whole(browser, demo):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, demo.url)
    header = page.locator("table.caseload thead th", has_text="Overdue")
    # One line box for the one word: it is never split across two ("OVERDU E").
    lines = "h => { const r = document.createRange(); r.selectNodeContents(h); " \
        "return r.getClientRects().length; }"
    assert header.evaluate(lines) == 1
    assert header.evaluate("h => getComputedStyle(h).wordBreak") == "normal"
    page.set_viewport_size(PHONE)
    row = page.locator("table.caseload tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    expect(page.locator("table.caseload thead")).to_have_css("position", "absolute")
    overdue = row.locator('td[data-label="Overdue"]')
    label = overdue.evaluate("c => getComputedStyle(c, '::before').content")
    assert label == '"Overdue"'
    context.close()


def test_the_assign_page_shows_repeat_details_only_for_a_repeat(browser, demo):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, demo.url)
    page.goto(f"{demo.url}{dashboard_pages(demo.url)['assign']}")
    expect(page.get_by_label("Every how many days")).to_be_hidden()
    page.locator("#id_recurrence").select_option("every_n_days")
    expect(page.get_by_label("Every how many days")).to_be_visible()
    page.locator("#id_recurrence").select_option("before_session")
    expect(page.get_by_label("Every how many days")).to_be_hidden()
    expect(page.get_by_label("Repeat until")).to_be_visible()
    # The sharing table: a button per choice, named by it, for each question.
    first = page.locator("table.sharing tbody tr").first
    expect(first.get_by_role("radio", name="Private")).to_have_count(1)
    expect(first.get_by_role("radio", name="Shared with the partner")).to_have_count(1)
    context.close()


def test_a_new_partner_has_no_left_the_work_box_and_zones_are_typed(browser, demo):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, demo.url)
    page.goto(f"{demo.url}/admin/clients/couple/add/")
    # In the page for each form (and the blank one "Add another" copies), but never shown.
    removed = page.get_by_text("No longer part of this work")
    assert removed.count() >= 2
    for label in removed.all():
        expect(label).to_be_hidden()
    zone = page.locator("#id_partners-0-time_zone")
    assert zone.get_attribute("list") == "id_partners-0-time_zone_names"
    expect(page.locator("#id_partners-0-quiet_hours_start")).to_have_value("21:00")
    expect(page.get_by_text("hours ahead of server time")).to_have_count(0)
    context.close()
