"""The product loop on real parts: PostgreSQL, Redis, a Celery worker and beat, HTTP, and an
SMTP server that keeps every message it is sent, so each count below is what reached it."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import CounselorFactory, PracticeFactory, couple_with_partners
from tests.integration.http import Browserless
from tests.integration.mailbox import messages_in, messages_to, personal_link
from tests.integration.processes import wait_for
from worksheets.assignments import assign_worksheet
from worksheets.library import latest_templates, load_library
from worksheets.models import Reminder, Response
from worksheets.outbox import due_word

pytestmark = pytest.mark.integration

ANSWERS = {
    "confided": "4",
    "own_time": "4",
    "needs_on_hold": "2",
    "went_it_alone": "2",
    "balance_felt_right": "4",
    "note_for_counselor": "",
}


def test_assign_invite_submit_and_remind_only_the_partner_who_has_not(
    celery_processes, live_server, smtp_sink
):
    load_library()
    counselor = CounselorFactory(practice=PracticeFactory())
    # No quiet hours, so the test does not depend on the hour it runs at.
    couple = couple_with_partners(
        counselor=counselor,
        names=("Sam", "Alex"),
        quiet_hours_start=dt.time(0),
        quiet_hours_end=dt.time(0),
    )
    sam, alex = couple.partners.order_by("pk")
    now = timezone.now()

    assign_worksheet(
        couple=couple,
        template=latest_templates().get(slug="weekly-checkin"),
        due_at=now + dt.timedelta(days=3),
        assigned_by=counselor,
        now=now,
    )

    # The invitation is swept right after the assignment commits and sent by the worker.
    wait_for(
        lambda: messages_to(smtp_sink, sam.email) and messages_to(smtp_sink, alex.email),
        timeout=30,
        what="both invitations",
    )
    [invitation] = messages_to(smtp_sink, sam.email)
    assert "A new worksheet from your counselor" in invitation.subject

    # Sam follows the link, presses Continue and submits over HTTP.
    browser = Browserless()
    welcome_url, welcome = browser.get(personal_link(invitation))
    assert welcome_url.endswith("/portal/welcome/")
    _, home = browser.post_form(welcome_url, welcome, {})
    assert "Weekly check-in on closeness and space" in home
    response = Response.objects.get(partner=sam)
    form_url = f"{live_server.url}/portal/worksheets/{response.pk}/"
    _, form_page = browser.get(form_url)
    review_url, review_page = browser.post_form(
        form_url, form_page, {**ANSWERS, "action": "review"}
    )
    assert review_url.endswith("/review/")
    result_url, result = browser.post_form(review_url, review_page, {})
    assert result_url.endswith("/result/")
    assert "not a diagnosis" in result

    # Time passes: the two nudges before the due date come due, for both partners. Only
    # beat's sweep can pick these up now.
    Reminder.objects.filter(kind__in=["before_due", "due_day"]).update(due_at=timezone.now())
    wait_for(lambda: len(messages_to(smtp_sink, alex.email)) >= 3, timeout=30, what="Alex's nudges")

    assert [m.subject for m in messages_to(smtp_sink, sam.email)] == [invitation.subject]
    alex_subjects = sorted(m.subject for m in messages_to(smtp_sink, alex.email))
    # The due-day nudge was pulled forward to now, so it names the due day as seen from now.
    alex_due = Response.objects.get(partner=alex).due_at
    word = due_word(alex_due, timezone.now(), ZoneInfo(alex.time_zone))
    assert alex_subjects == sorted(
        [
            "A new worksheet from your counselor: Weekly check-in on closeness and space",
            "Reminder: Weekly check-in on closeness and space is due soon",
            f"Due {word}: Weekly check-in on closeness and space",
        ]
    )
    statuses = dict(Reminder.objects.filter(response__partner=sam).values_list("kind", "status"))
    assert statuses == {
        "invitation": "sent",
        "before_due": "cancelled",
        "due_day": "cancelled",
        "overdue_first": "cancelled",
        "counselor_alert": "cancelled",
    }
    # Each message reached the SMTP server once: it keeps a repeated Message-ID twice.
    ids = [message.message_id for message in messages_in(smtp_sink)]
    assert len(ids) == len(set(ids)) == 4
    log = celery_processes["worker_log"].read_text()
    assert sam.email not in log and "SENTINEL" not in log
