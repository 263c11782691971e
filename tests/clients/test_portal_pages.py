"""First visit, settings, fresh links, and what each partner sees of the other."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from django.utils.html import escape

from clients.models import Partner
from tests.conftest import portal_sign_in
from worksheets.assignments import assign_worksheet
from worksheets.models import Reminder
from worksheets.responses import submit_response


def test_the_first_visit_asks_for_consent_once(client, partner_a):
    Partner.objects.filter(pk=partner_a.pk).update(consented_at=None)
    portal_sign_in(client, partner_a)
    page = client.get("/portal/", follow=True)
    assert "Who sees what" in page.content.decode()
    assert "Your partner sees only the answers marked as shared" in page.content.decode()
    client.post("/portal/consent/")
    partner_a.refresh_from_db()
    assert partner_a.consented_at is not None
    assert "Your worksheets" in client.get("/portal/").content.decode()


def test_a_partner_changes_their_time_zone_and_their_reminders_follow(
    client, partner_a, couple, checkin, maya
):
    now = timezone.now()
    assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=now + dt.timedelta(days=6),
        assigned_by=maya,
        now=now,
    )
    portal_sign_in(client, partner_a)
    response = client.post(
        "/portal/preferences/",
        {
            "time_zone": "Europe/London",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:00",
            "preferred_hour": "9",
            "channel": "email",
            "phone": "",
            "reminders_enabled": "on",
        },
        follow=True,
    )
    assert "Your choices are saved" in response.content.decode()
    partner_a.refresh_from_db()
    assert (partner_a.time_zone, partner_a.preferred_hour) == ("Europe/London", 9)
    nudge = Reminder.objects.get(response__partner=partner_a, kind="before_due")
    assert nudge.due_at.astimezone(ZoneInfo("Europe/London")).hour == 9


def test_settings_with_bad_input_explain_and_keep_what_was_typed(client, partner_a):
    portal_sign_in(client, partner_a)
    response = client.post(
        "/portal/preferences/",
        {
            "time_zone": "Europe/London",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:00",
            "preferred_hour": "31",
            "channel": "sms",
            "phone": "",
            "reminders_enabled": "on",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose an hour from 0 to 23." in page
    assert "Add your mobile number to get text messages." in page
    assert 'value="22:00"' in page
    partner_a.refresh_from_db()
    assert partner_a.time_zone == "America/New_York"


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_asking_for_a_new_link_answers_the_same_for_known_and_unknown_addresses(
    client, partner_a, fresh_cache, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from therapy.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            known = client.post("/portal/new-link/", {"email": partner_a.email.upper()})
            unknown = client.post("/portal/new-link/", {"email": "nobody@nowhere.example"})
    finally:
        app.conf.task_always_eager = False
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    [message] = mail.outbox
    assert message.to == [partner_a.email] and "/p/" in message.body


def test_new_link_requests_are_rate_limited(
    client, partner_a, fresh_cache, django_capture_on_commit_callbacks
):
    from therapy.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(5):
                client.post("/portal/new-link/", {"email": partner_a.email})
    finally:
        app.conf.task_always_eager = False
    assert len(mail.outbox) == 3


def test_a_malformed_address_gets_a_message(client, fresh_cache):
    response = client.post("/portal/new-link/", {"email": "not-an-address"})
    assert response.status_code == 400
    assert "Please enter an e-mail address." in response.content.decode()


SENTINEL = "SENTINEL-private-7731"


@pytest.fixture
def both_submitted(couple, library, maya, partner_a, partner_b):
    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=library.get(slug="time-map"),
        due_at=now + dt.timedelta(days=3),
        assigned_by=maya,
        now=now,
    )
    answers = {
        partner_a: {
            "preferred_togetherness": 8,
            "guess_partner_togetherness": 5,
            "time_together_feels": "often_costs",
            "new_thing_to_try": "Climbing",
            "partner_time_apart_feels": "glad",
        },
        partner_b: {
            "preferred_togetherness": 4,
            "guess_partner_togetherness": 8,
            "time_together_feels": "want_it",
            "new_thing_to_try": "Choir",
            "partner_time_apart_feels": "left_out",
        },
    }
    # Alex keeps a private answer that must never reach Sam.
    answers[partner_b]["time_together_feels"] = "often_costs"
    for partner, given in answers.items():
        response = assignment.responses.get(partner=partner)
        submit_response(response_id=response.pk, partner=partner, answers=given, now=now)
    # Make one shared item private for this couple, with a sentinel in it.
    assignment.visibility_overrides = {"new_thing_to_try": "private"}
    assignment.save()
    response_b = assignment.responses.get(partner=partner_b)
    response_b.answers["new_thing_to_try"] = SENTINEL
    response_b.save()
    return assignment


def test_after_both_submit_each_sees_what_the_other_shared_and_nothing_private(
    client, both_submitted, partner_a
):
    portal_sign_in(client, partner_a)
    mine = both_submitted.responses.get(partner=partner_a)
    page = client.get(f"/portal/worksheets/{mine.pk}/result/").content.decode()
    assert "You and Alex" in page
    assert "Wide gap" in page  # 8 against 4
    assert "How close your picture of Alex was: 90 out of 100" in page
    assert "How close Alex's picture of you was: 100 out of 100." in page
    assert "% right" not in page
    assert "A bit left out" in page  # Alex's shared answer
    assert "When you spend time together, how does it usually feel to you?" not in page
    assert SENTINEL not in page


def test_a_private_answer_never_reaches_the_other_partner_anywhere(
    client, both_submitted, partner_a, partner_b, caplog
):
    caplog.set_level("DEBUG")
    portal_sign_in(client, partner_a)
    pages = [
        client.get(url).content.decode()
        for url in (
            "/portal/",
            "/portal/preferences/",
            *[f"/portal/worksheets/{r.pk}/result/" for r in both_submitted.responses.all()],
        )
    ]
    assert all(SENTINEL not in page for page in pages)
    assert all(SENTINEL not in m.body for m in mail.outbox)
    assert SENTINEL not in caplog.text
    outsider = client.__class__()
    for r in both_submitted.responses.all():
        assert outsider.get(f"/portal/worksheets/{r.pk}/result/").status_code == 302


def test_questions_are_numbered_once_across_every_part_and_the_review(client, couple, library,
                                                                       maya, partner_a):
    """One numbering: a part's first question carries on from the part before, as on the
    review page."""
    from worksheets.forms import steps

    inventory = library.get(slug="balance-inventory")
    response = assign_worksheet(
        couple=couple, template=inventory, due_at=timezone.now() + dt.timedelta(days=3),
        assigned_by=maya, now=timezone.now(),
    ).responses.get(partner=partner_a)
    parts = steps(list(inventory.items.all()))
    assert len(parts) > 1
    portal_sign_in(client, partner_a)
    second = parts[1]
    page = client.get(f"/portal/worksheets/{response.pk}/?step=2").content.decode()
    first_of_second = len(parts[0].items) + 1
    assert f"{first_of_second}. {escape(second.items[0].prompt)}" in page
