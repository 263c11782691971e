"""A partner completes a worksheet on a phone-sized screen, in a real browser."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from worksheets.assignments import assign_worksheet
from worksheets.models import Response
from worksheets.outbox import claim_due_reminders, send_reminder

pytestmark = pytest.mark.e2e


@pytest.fixture
def invitation_link(transactional_db, live_server, settings, couple, checkin, maya, partner_a):
    settings.SITE_URL = live_server.url
    now = timezone.now().replace(hour=15)  # outside quiet hours in New York
    assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=now + dt.timedelta(days=4),
        assigned_by=maya,
        now=now,
    )
    for reminder_id in claim_due_reminders(now=now, limit=10):
        send_reminder(reminder_id=reminder_id, now=now)
    [message] = [m for m in mail.outbox if m.to == [partner_a.email]]
    return re.search(r"http://\S+/p/[\w-]+/", message.body).group(0)


def answer(page, question_number, choice):
    page.locator(".question").nth(question_number - 1).get_by_label(choice, exact=True).check()


def test_a_partner_completes_the_check_in_on_a_phone(phone, invitation_link, partner_a, tmp_path):
    page = phone
    page.goto(invitation_link)
    expect(page).to_have_url(re.compile(r"/portal/welcome/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello {partner_a.display_name}")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Your worksheets")).to_be_visible()
    page.get_by_role("link", name=re.compile("Start")).click()
    expect(page.get_by_text("0 of 6 answered")).to_be_visible()

    # Half the answers, then save and leave.
    answer(page, 1, "Agree")
    answer(page, 2, "Strongly agree")
    page.get_by_label(re.compile("anything you want your counselor to know")).fill(
        "Work was heavy; we still had Sunday together."
    )
    page.get_by_role("button", name="Save and finish later").click()
    expect(page.get_by_text("Your answers are saved")).to_be_visible()
    expect(page.get_by_text("3 of 6 answered")).to_be_visible()
    page.screenshot(path=tmp_path / "draft.png", full_page=True)

    # Going on too early explains what is missing and keeps what was typed.
    page.get_by_role("button", name="Review my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("Some answers need another look")
    expect(page.get_by_text("Please choose an answer.")).to_have_count(3)
    expect(page.get_by_label(re.compile("anything you want your counselor"))).to_have_value(
        "Work was heavy; we still had Sunday together."
    )

    answer(page, 3, "Disagree")
    answer(page, 4, "Strongly disagree")
    answer(page, 5, "Agree")
    page.get_by_role("button", name="Review my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    expect(page.get_by_text("1 – Strongly disagree")).to_be_visible()
    page.get_by_role("button", name="Submit my answers").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Thank you, {partner_a.display_name}"
    )
    expect(page.get_by_text("not a diagnosis")).to_be_visible()
    expect(page.get_by_text("Open with your partner")).to_be_visible()
    page.screenshot(path=tmp_path / "result.png", full_page=True)

    # Phone-first: nothing is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    response = Response.objects.get(partner=partner_a)
    assert response.status == Response.Status.SUBMITTED
    assert response.answers["went_it_alone"] == 1


def test_autosave_never_says_saved_when_the_draft_was_not_kept(phone, invitation_link, partner_a):
    """Signed out in another tab (or by Quick exit, or the session's time limit), the page
    still holds the answers, but a save cannot land: autosave says so, rather than "Draft
    saved." over a redirect it followed. The same when the work was handed in elsewhere."""
    page = phone
    page.goto(invitation_link)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name=re.compile("Start")).click()
    page.wait_for_load_state("load")  # autosave.js is deferred: let it listen first
    note = page.get_by_label(re.compile("anything you want your counselor to know"))
    status = page.locator("#autosave-status")
    note.press_sequentially("Kept.")
    expect(status).to_have_text("Draft saved.")
    response = Response.objects.get(partner=partner_a)
    assert response.answers["note_for_counselor"] == "Kept."

    other_tab = page.context.new_page()
    other_tab.goto(invitation_link.split("/p/")[0] + "/portal/")
    other_tab.get_by_role("button", name="Sign out").click()
    expect(other_tab.get_by_role("heading", name="You are signed out")).to_be_visible()
    note.press_sequentially(" Then more, typed after signing out.")
    expect(status).to_contain_text("Not saved: you are signed out here")
    response.refresh_from_db()
    assert response.answers["note_for_counselor"] == "Kept."
    expect(note).to_have_value("Kept. Then more, typed after signing out.")


def test_a_second_tab_cannot_autosave_over_what_the_first_saved(phone, invitation_link, partner_a):
    page = phone
    page.goto(invitation_link)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name=re.compile("Start")).click()
    page.wait_for_load_state("load")
    worksheet_url = page.url
    older = page.context.new_page()
    older.goto(worksheet_url)
    older.wait_for_load_state("load")

    note = re.compile("anything you want your counselor to know")
    page.get_by_label(note).press_sequentially("First tab, once.")
    expect(page.locator("#autosave-status")).to_have_text("Draft saved.")
    page.locator("#autosave-status").evaluate("node => { node.textContent = ''; }")
    page.get_by_label(note).press_sequentially(" And again.")  # its own saves follow on
    expect(page.locator("#autosave-status")).to_have_text("Draft saved.")

    older.get_by_label(note).press_sequentially("Second tab, opened before.")
    expect(older.locator("#autosave-status")).to_contain_text("saved in another window")
    response = Response.objects.get(partner=partner_a)
    assert response.answers["note_for_counselor"] == "First tab, once. And again."
    expect(older.get_by_label(note)).to_have_value("Second tab, opened before.")
